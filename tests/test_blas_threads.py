"""one_blas_thread: BLAS at one thread while any holder is inside, the old limit back after."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from rnnstudio.blas_threads import blas_thread_limit, one_blas_thread

ROOT = Path(__file__).resolve().parents[1]


def _blas_limits() -> list[int]:
    """Read straight from threadpoolctl, not through the module under test."""
    return [library["num_threads"] for library in threadpool_info()
            if library["user_api"] == "blas"]


@pytest.fixture
def two_threads() -> Iterator[None]:
    """Start from a limit of 2, so "restored" cannot be confused with "still 1"."""
    assert np.ones((2, 2)) @ np.ones(2) is not None  # NumPy (and its BLAS) loaded
    with threadpool_limits(limits=2, user_api="blas"):
        if _blas_limits() != [2]:
            pytest.skip(f"this BLAS cannot be set to 2 threads: {threadpool_info()}")
        yield


def test_nested_blocks_hold_one_thread_until_the_outer_one_ends(two_threads) -> None:
    with one_blas_thread():
        assert _blas_limits() == [1]
        with one_blas_thread():
            assert _blas_limits() == [1]
        assert _blas_limits() == [1]
    assert _blas_limits() == [2]
    assert blas_thread_limit() == 2


def test_the_limit_comes_back_when_the_block_raises(two_threads) -> None:
    with pytest.raises(ZeroDivisionError), one_blas_thread():
        1 / 0  # noqa: B018
    assert _blas_limits() == [2]


class _Holder(threading.Thread):
    """A worker that enters, leaves and ends only when told, to script an overlap."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.left = threading.Event(), threading.Event()
        self.leave, self.end = threading.Event(), threading.Event()

    def run(self) -> None:
        with one_blas_thread():
            self.entered.set()
            self.leave.wait(5)
        self.left.set()
        self.end.wait(5)  # still alive after leaving, like a pool thread between jobs


@pytest.mark.parametrize("first_out", [0, 1], ids=["first-in-out-first", "last-in-out-first"])
def test_overlapping_threads_restore_only_when_both_left(two_threads, first_out) -> None:
    """threadpoolctl lets only one living thread set OpenBLAS's limit: the last one out
    must restore it even when the first one in, which set it, is still running."""
    holders = [_Holder(), _Holder()]
    for holder in holders:
        holder.start()
        assert holder.entered.wait(5)
    assert _blas_limits() == [1]
    for order, holder in enumerate((holders[first_out], holders[1 - first_out])):
        holder.leave.set()
        assert holder.left.wait(5)
        assert _blas_limits() == ([1] if order == 0 else [2])
    for holder in holders:
        holder.end.set()
        holder.join(5)
        assert not holder.is_alive()


def test_without_a_blas_library_it_does_nothing() -> None:
    """A fresh interpreter that has not loaded NumPy has no BLAS to limit: no error."""
    code = ("import sys; from rnnstudio.blas_threads import blas_thread_limit, one_blas_thread\n"
            "with one_blas_thread(): inside = blas_thread_limit()\n"
            "print(inside, blas_thread_limit(), 'numpy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert result.stdout.split() == ["None", "None", "False"]
