"""Train or evaluate any method of the project with the stock Dassl, with CoOp's command line
(`python train.py --help`; the flags are medprompt/run/train_args.py, the run trainers/launch.py)."""

from __future__ import annotations

import sys

from medprompt.utils.timing import RUN_TIMER  # noqa: F401  (first: the run's clock starts before the heavy imports)
from medprompt.utils import threads

threads.prepare_environment()  # before torch loads OpenMP: waiting threads sleep, not spin
# torch, open_clip and Dassl are imported after the command line is checked (medprompt/run/precheck.py)


def require_dassl() -> None:
    try:
        import dassl  # noqa: F401
    except ImportError:
        sys.exit("The stock Dassl is not installed. Install it from its public repository "
                 "(KaiyangZhou/Dassl.pytorch), as the README says, then run again.")


def checked_args(argv: list[str] | None = None):
    """The command line, refused before the heavy imports when a name, key, value or path is wrong."""
    from medprompt.run.precheck import check_train_args
    from medprompt.run.train_args import build_parser

    args = build_parser().parse_args(argv)
    for note in check_train_args(args):
        print(f"Note: {note}", flush=True)
    return args


def run() -> None:
    args = checked_args()
    require_dassl()
    from trainers.launch import main

    main(args)


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(run, "train.py")
