"""Entry script of the frozen app: the same ``main`` as the ``rnnstudio`` command."""

from __future__ import annotations

import sys

from rnnstudio.cli import main

if __name__ == "__main__":
    sys.exit(main())
