"""python -m medprompt.sweep: the same as python sweep.py."""

from medprompt.utils.entrypoint import run_main
from medprompt.sweep.cli import main

run_main(main, "python -m medprompt.sweep")
