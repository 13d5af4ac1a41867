"""Helpers shared by the baseline, stacking and protocol tests (no tests of its own).

Trainers are built in-process through train.py's own argument parser and config setup, so a test runs
exactly what `python train.py ...` runs, without paying the interpreter start-up for every run.
"""

from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from pathlib import Path

from medprompt.utils.paths import REPO

# Fast settings for every test run: tiny images, no worker processes, no warm-up at 1e-5.
FAST = ["DATALOADER.NUM_WORKERS", "0", "INPUT.SIZE", "(32,32)", "OPTIM.MAX_EPOCH", "1",
        "OPTIM.WARMUP_EPOCH", "0", "DATALOADER.TRAIN_X.BATCH_SIZE", "4", "DATALOADER.TEST.BATCH_SIZE", "8",
        "MODEL.PRECISION", "fp32"]


def train_args(trainer: str, model_dir: Path, data: Path, out: Path, cache: Path, *opts: str,
               config: str = "vit_b16", dataset: str = "BTMRI", seed: int = 1, flags: tuple = ()) -> list[str]:
    """train.py's command line for a tiny run."""
    return [
        "--root", str(data), "--seed", str(seed), "--trainer", trainer,
        "--dataset-config-file", str(REPO / "configs" / "datasets" / f"{dataset}.yaml"),
        "--config", config,
        "--output-dir", str(out), *flags,
        "MODEL.BACKBONE.NAME", f"local-dir:{model_dir}", "MODEL.CACHE_DIR", str(cache), *FAST, *opts,
    ]


def build(argv: list[str]):
    """A Dassl trainer built from a train.py command line."""
    from dassl.engine import build_trainer

    from medprompt.run.train_args import build_parser
    from trainers import launch

    cfg = launch.setup_cfg(build_parser().parse_args(argv))
    return build_trainer(cfg)


@contextmanager
def restored_stdout():
    """Dassl's setup_logger replaces sys.stdout with a tee to log.txt; put it back afterwards."""
    saved = sys.stdout
    try:
        yield
    finally:
        logger, sys.stdout = sys.stdout, saved
        if logger is not saved:
            if getattr(logger, "file", None):
                logger.file.close()
                logger.file = None
            logger.console = io.StringIO()  # Dassl's Logger closes its console when it is collected


def run_train_py(argv: list[str]) -> None:
    """Run train.py's main on a command line, in this process."""
    from medprompt.run.train_args import build_parser
    from trainers import launch

    with restored_stdout():
        launch.main(build_parser().parse_args(argv))


def predictions(trainer):
    """Logits of every test image, through the trainer's own inference path."""
    import torch

    trainer.set_model_mode("eval")
    out = []
    with torch.no_grad():
        for batch in trainer.test_loader:
            images, _ = trainer.parse_batch_test(batch)
            out.append(trainer.model_inference(images))
    return torch.cat(out)
