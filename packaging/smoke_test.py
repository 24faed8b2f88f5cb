"""Launch the built app offscreen with ``--smoke-test`` and fail on any sign of breakage.

    python packaging/smoke_test.py                       # the bundle in dist/rnnstudio
    python packaging/smoke_test.py --app PATH            # another bundle or executable
    python packaging/smoke_test.py --python .venv/bin/python      # the pip-installed app
    python packaging/smoke_test.py --against .venv/bin/python     # bundle, then pip app
    xvfb-run -a python packaging/smoke_test.py --platform xcb     # the real X11 plugin

A run passes when it exits 0 within the timeout and its output has no ``Traceback`` and
no "could not load the Qt platform plugin" (Qt prints that and aborts when a bundle lacks
its platform plugins). Settings, data and logs go to a fresh temporary folder per run, so
a user's saved model or layout cannot make the result differ; a ``crash.log`` left there
fails the run too. Reports the bundle's size and the wall-clock start-to-exit time (best
and median of ``--runs``), next to the pip-installed app's when ``--against`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FATAL_MARKERS = ("Traceback (most recent call last)", "could not load the Qt platform plugin",
                 "This application failed to start")
#: Printed by rnnstudio.gui.desktop.smoke when LAUNCHED_AT_VARIABLE is set.
LAUNCHED_AT_VARIABLE = "RNNSTUDIO_LAUNCHED_AT"
WINDOW_UP = re.compile(r"smoke-test: window up (\d+) ms after launch")
#: Distributions the pip-installed app needs (rnnstudio's dependencies), for the size.
RUNTIME_DISTRIBUTIONS = ("rnnstudio", "numpy", "safetensors", "PySide6_Essentials",
                         "shiboken6", "pyqtgraph")


@dataclass
class Target:
    """One way to start the app, with what the report needs."""

    label: str
    command: list[str]
    size_bytes: int | None = None
    seconds: list[float] = field(default_factory=list)
    window_seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def bundle_executable(path: Path) -> Path:
    """The executable inside a one-folder bundle, a ``.app`` or the path itself."""
    if path.is_file():
        return path
    for candidate in (path / "rnnstudio", path / "rnnstudio.exe",
                      path / "Contents" / "MacOS" / "rnnstudio"):
        if candidate.is_file():
            return candidate
    raise SystemExit(f"smoke_test: no rnnstudio executable in {path}; build it first with "
                     "packaging/build.sh")


def folder_size(folder: Path) -> int:
    """Bytes of every file under ``folder`` (symlinks not followed)."""
    return sum(path.lstat().st_size for path in folder.rglob("*") if path.is_file()
               and not path.is_symlink())


def installed_size(python: str) -> int | None:
    """Bytes of the app's runtime distributions in ``python``'s environment."""
    script = (
        "import json, importlib.metadata as m, os\n"
        f"names = {list(RUNTIME_DISTRIBUTIONS)!r}\n"
        "total = 0\n"
        "for name in names:\n"
        "    try: files = m.distribution(name).files or []\n"
        "    except m.PackageNotFoundError: continue\n"
        "    for f in files:\n"
        "        p = f.locate()\n"
        "        total += os.path.getsize(p) if os.path.isfile(p) else 0\n"
        "print(json.dumps(total))\n"
    )
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, check=False)
    return json.loads(done.stdout) if done.returncode == 0 and done.stdout.strip() else None


def isolated_environment(folder: Path, platform: str = "offscreen") -> dict[str, str]:
    """Qt on ``platform``, and settings/data/logs in ``folder`` instead of the user's."""
    env = dict(os.environ)
    env.update({
        "QT_QPA_PLATFORM": platform,
        "XDG_CONFIG_HOME": str(folder / "config"),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_STATE_HOME": str(folder / "state"),
        "XDG_CACHE_HOME": str(folder / "cache"),
        "RNNSTUDIO_LOG_DIR": str(folder / "logs"),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def run_once(target: Target, timeout: float, platform: str = "offscreen") -> None:
    """One start-to-exit run; appends its time, or a failure with the output."""
    with tempfile.TemporaryDirectory(prefix="rnnstudio-smoke-") as folder:
        env = isolated_environment(Path(folder), platform)
        started = time.perf_counter()
        env[LAUNCHED_AT_VARIABLE] = repr(time.time())
        try:
            done = subprocess.run([*target.command, "--smoke-test"], capture_output=True,
                                  text=True, errors="replace", timeout=timeout, env=env,
                                  check=False)
        except subprocess.TimeoutExpired:
            target.failures.append(f"no exit within {timeout:.0f} s")
            return
        elapsed = time.perf_counter() - started
        output = done.stdout + done.stderr
        crash_log = Path(folder) / "logs" / "crash.log"
        problems = [marker for marker in FATAL_MARKERS if marker.lower() in output.lower()]
        if done.returncode != 0:
            problems.append(f"exit status {done.returncode}")
        if crash_log.is_file():
            problems.append("crash.log written")
            output += "\n--- crash.log ---\n" + crash_log.read_text(encoding="utf-8")
        if problems:
            target.failures.append(f"{', '.join(problems)}\n{output}")
        else:
            target.seconds.append(elapsed)
            window_up = WINDOW_UP.search(done.stdout)
            if window_up:
                target.window_seconds.append(int(window_up.group(1)) / 1000)


def describe(target: Target) -> str:
    """One report line: size and start-to-exit times."""
    size = f"{target.size_bytes / 1e6:7.1f} MB" if target.size_bytes else "      ? MB"
    if not target.seconds:
        return f"{target.label:<22} {size}   FAILED"
    window = (f"window up in {statistics.median(target.window_seconds):.2f} s, "
              if target.window_seconds else "")
    best, median = min(target.seconds), statistics.median(target.seconds)
    return (f"{target.label:<22} {size}   {window}start-to-exit {median:.2f} s "
            f"(best {best:.2f} s; medians of {len(target.seconds)} run(s))")


def build_targets(options: argparse.Namespace) -> list[Target]:
    """The frozen bundle (unless ``--python``), and the pip app for ``--python/--against``."""
    targets = []
    pythons = [options.python] if options.python else []
    if not options.python:
        executable = bundle_executable(options.app)
        folder = options.app if options.app.is_dir() else executable.parent
        targets.append(Target("frozen bundle", [str(executable)], folder_size(folder)))
        pythons += [options.against] if options.against else []
    for python in pythons:
        command = [python, str(options.entry)] if options.entry else [python, "-m", "rnnstudio"]
        label = f"python {options.entry.name}" if options.entry else "pip-installed app"
        targets.append(Target(label, command, installed_size(python)))
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=ROOT / "dist" / "rnnstudio",
                        help="bundle folder, .app or executable (default: dist/rnnstudio)")
    parser.add_argument("--python", help="test `PYTHON -m rnnstudio` instead of a bundle")
    parser.add_argument("--against", metavar="PYTHON",
                        help="also time `PYTHON -m rnnstudio`, for comparison")
    parser.add_argument("--entry", type=Path,
                        help="with --python/--against: run this script instead of -m rnnstudio")
    parser.add_argument("--runs", type=int, default=3, help="runs per target (default 3)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--platform", default="offscreen",
                        help="Qt platform plugin (default offscreen; xcb under xvfb-run "
                        "proves the bundled X11 plugin and its libraries load)")
    options = parser.parse_args(argv)
    targets = build_targets(options)
    for target in targets:
        for _ in range(options.runs):
            run_once(target, options.timeout, options.platform)
            if target.failures:  # the first failure says it all; do not repeat it
                break
    for target in targets:
        for failure in target.failures:
            print(f"smoke_test: {target.label} FAILED: {' '.join(target.command)}\n{failure}",
                  file=sys.stderr)
    print("smoke_test: target                 size      time")
    for target in targets:
        print(f"smoke_test: {describe(target)}")
    failed = any(target.failures for target in targets)
    print("smoke_test: FAILED" if failed else "smoke_test: passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
