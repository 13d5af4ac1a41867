"""Run train.py as users do, in a process of its own, and read back what it logged.

Each run is a child forked from one interpreter that imported torch, open_clip, Dassl and the project once
for the whole test session (the sweep's warm interpreter, medprompt/sweep/warm.py): the same script run as __main__ with the same
command line and environment as a fresh `python train.py`, without paying ~10 s of imports per run.
Set MEDPROMPT_TEST_FRESH=1 to run every train.py in a fresh interpreter instead.
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
from pathlib import Path

import pytest

from medprompt.results import read_run
from medprompt.sweep.warm import WarmServer, cold_launch
from medprompt.utils.paths import REPO

TINY_OPTS = ["DATALOADER.NUM_WORKERS", "0", "INPUT.SIZE", "(32,32)", "DATALOADER.TEST.BATCH_SIZE", "8",
             "USE_CUDA", "False"]


def needs_dassl():
    return pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")


_SERVER = WarmServer()
_LOGS = Path(tempfile.mkdtemp(prefix="medprompt-e2e-"))
atexit.register(_SERVER.close)


def run_script(script: str, args: list[str], env: dict | None = None) -> tuple[int, str]:
    """(exit status, stdout+stderr) of `python SCRIPT ARGS` run from the repository root."""
    command = [sys.executable, str(REPO / script), *map(str, args)]
    environ = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    log = Path(tempfile.mkstemp(dir=_LOGS, suffix=".log")[1])
    fresh = os.environ.get("MEDPROMPT_TEST_FRESH") == "1"
    status = cold_launch(command, environ, log) if fresh else _SERVER.run(command, environ, log)
    return status, log.read_text(errors="replace")


def train(args: list[str], opts: list[str] = (), env: dict | None = None, ok: bool = True) -> str:
    """python train.py ARGS TINY_OPTS OPTS; returns stdout+stderr, asserting the exit status."""
    status, out = run_script("train.py", [*args, *TINY_OPTS, *opts], env)
    assert (status == 0) == ok, f"exit {status}:\n{out[-4000:]}"
    return out


def metrics(output_dir: Path) -> dict[str, float]:
    """The finished evaluation of a run folder, read by the project's own results reader."""
    run = read_run(output_dir)
    assert run.finished, run.reason
    return run.metrics
