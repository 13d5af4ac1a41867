"""CoOp-compatible parser for one experiment folder: python parse_test_res.py FOLDER [--keyword accuracy]."""

import sys

from medprompt.results.coop_cli import main

if __name__ == "__main__":
    sys.exit(main())
