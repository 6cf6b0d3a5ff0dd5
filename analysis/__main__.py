"""``python -m analysis ...``: the command line."""

import sys

from analysis.cli import main

if __name__ == "__main__":
    sys.exit(main())
