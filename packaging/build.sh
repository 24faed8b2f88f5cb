#!/usr/bin/env bash
# Build the one-folder bundle with PyInstaller into dist/rnnstudio/ (and dist/RNN Studio.app
# on macOS), then smoke-test it offscreen.
#
#   packaging/build.sh            the real app (packaging/launcher.py -> rnnstudio.cli:main)
#   packaging/build.sh --no-smoke skip the smoke test
#
# PYTHON selects the interpreter whose packages are bundled (default: python3); it needs
# `pip install pyinstaller` and the app's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
smoke=1
for arg in "$@"; do
    case "$arg" in
        --no-smoke) smoke=0 ;;
        *) echo "build.sh: unknown option $arg (use --no-smoke)" >&2; exit 2 ;;
    esac
done

if ! "$PYTHON" -m PyInstaller --version >/dev/null 2>&1; then
    echo "build.sh: PyInstaller is not installed for $PYTHON; run: $PYTHON -m pip install pyinstaller" >&2
    exit 2
fi

started=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/rnnstudio.spec
echo "build.sh: built dist/rnnstudio in $(( $(date +%s) - started )) s"

if [ "$smoke" = 1 ]; then
    "$PYTHON" packaging/smoke_test.py --app dist/rnnstudio
fi
