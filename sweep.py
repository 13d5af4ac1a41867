"""Run a protocol grid of train.py runs, locally or on SLURM: python sweep.py --help (docs/PROTOCOLS.md)."""

from medprompt.sweep.cli import main
from medprompt.utils.entrypoint import run_main

if __name__ == "__main__":
    run_main(main, "sweep.py")
