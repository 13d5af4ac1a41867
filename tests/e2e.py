"""Run train.py in a subprocess, as users do, and read back what it logged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from medprompt.results import read_run

REPO = Path(__file__).resolve().parents[1]
TINY_OPTS = ["DATALOADER.NUM_WORKERS", "0", "INPUT.SIZE", "(32,32)", "DATALOADER.TEST.BATCH_SIZE", "8",
             "USE_CUDA", "False"]


def needs_dassl():
    return pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")


def train(args: list[str], opts: list[str] = (), env: dict | None = None, ok: bool = True) -> str:
    """python train.py ARGS TINY_OPTS OPTS; returns stdout+stderr, asserting the exit status."""
    cmd = [sys.executable, "train.py", *map(str, args), *TINY_OPTS, *map(str, opts)]
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    proc = subprocess.run(cmd, cwd=REPO, env=full_env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert (proc.returncode == 0) == ok, f"exit {proc.returncode}:\n{out[-4000:]}"
    return out


def metrics(output_dir: Path) -> dict[str, float]:
    """The finished evaluation of a run folder, read by the project's own results reader."""
    run = read_run(output_dir)
    assert run.finished, run.reason
    return run.metrics
