"""Atomic writes: all or nothing, permissions like open(), errors that name the path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from rnnstudio.errors import ExportError
from rnnstudio.io.atomic import check_writable, write_atomic, write_bytes_atomic, write_text_atomic


def _leftovers(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


def test_writes_bytes_and_text(tmp_path: Path) -> None:
    target = write_bytes_atomic(tmp_path / "a.bin", b"\x00\x01abc")
    assert target.read_bytes() == b"\x00\x01abc"
    write_text_atomic(tmp_path / "b.txt", "héllo\n")
    assert (tmp_path / "b.txt").read_bytes() == "héllo\n".encode()
    assert _leftovers(tmp_path) == []


def test_replaces_existing_file_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    target.chmod(0o640)
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o640


def test_new_file_mode_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        target = write_bytes_atomic(tmp_path / "m.bin", b"x")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o640


def test_failing_writer_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("precious")

    def writer(stream: object) -> None:
        stream.write(b"half")  # type: ignore[attr-defined]
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_atomic(target, writer)
    assert target.read_text() == "precious"
    assert _leftovers(tmp_path) == []


def _under_a_file(tmp: Path) -> Path:
    (tmp / "file.txt").write_text("x")
    return tmp / "file.txt" / "o.npz"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda tmp: tmp / "missing" / "out.npz", "does not exist"),
        (lambda tmp: tmp, "is a folder"),
        (_under_a_file, "is a file, not a folder"),
    ],
    ids=["missing-folder", "folder", "under-a-file"],
)
def test_unwritable_paths_name_the_path(tmp_path: Path, make, words: str) -> None:
    target = make(tmp_path)
    with pytest.raises(ExportError) as info:
        write_bytes_atomic(target, b"x")
    message = str(info.value)
    assert str(target) in message and words in message
    assert "\n" not in message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="not writable"):
            check_writable(folder / "out.json")
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_os_refusal_becomes_export_error() -> None:
    # Even root cannot create files in /proc: the OSError must surface as ExportError.
    with pytest.raises(ExportError, match="/proc/rnnstudio-test.npz"):
        write_bytes_atomic("/proc/rnnstudio-test.npz", b"x")


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "data" / "trace.csv"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    assert write_text_atomic(link, "new") == real
    assert link.is_symlink() and real.read_text() == "new"
    assert _leftovers(real.parent) == [] and _leftovers(tmp_path) == []
