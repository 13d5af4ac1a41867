"""Compare methods across an output tree: python parse_results.py OUTPUT_DIR [--metric ...] [--format ...]."""

import sys

from medprompt.results.cli import main

if __name__ == "__main__":
    sys.exit(main())
