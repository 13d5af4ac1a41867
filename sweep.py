"""Run a protocol grid of train.py runs, locally or on SLURM: python sweep.py --help (docs/PROTOCOLS.md)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from medprompt.utils.entrypoint import run_main  # noqa: E402
from medprompt.sweep.cli import main  # noqa: E402

if __name__ == "__main__":
    run_main(main, "sweep.py")
