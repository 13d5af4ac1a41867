"""python -m medprompt.sweep: the same as python sweep.py."""

import sys

from medprompt.sweep.cli import main

sys.exit(main())
