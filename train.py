"""Train or evaluate any method of the project with the stock Dassl, with CoOp's command line
(`python train.py --help`; the flags are medprompt/run/train_args.py, the run trainers/launch.py)."""

from __future__ import annotations

import sys

from medprompt.utils.timing import RUN_TIMER  # noqa: F401  (first: the run's clock starts before the heavy imports)
from medprompt.utils import threads

threads.prepare_environment()  # before torch loads OpenMP: waiting threads sleep, not spin


def require_dassl() -> None:
    try:
        import dassl  # noqa: F401
    except ImportError:
        sys.exit("The stock Dassl is not installed. Install it from its public repository "
                 "(KaiyangZhou/Dassl.pytorch), as the README says, then run again.")


def run() -> None:
    from medprompt.run.train_args import build_parser

    args = build_parser().parse_args()
    require_dassl()
    from trainers.launch import main

    main(args)


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(run, "train.py")
