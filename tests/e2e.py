"""Run train.py as users do, in a process of its own, and read back what it logged.

Each run is a child forked from one interpreter that imported torch, open_clip, Dassl and the project once
for the whole test session (tests/entry_cases.py --serve): the same script run as __main__ with the same
command line and environment as a fresh `python train.py`, without paying ~10 s of imports per run.
Set MEDPROMPT_TEST_FRESH=1 to run every train.py in a fresh interpreter instead.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from medprompt.results import read_run

REPO = Path(__file__).resolve().parents[1]
TINY_OPTS = ["DATALOADER.NUM_WORKERS", "0", "INPUT.SIZE", "(32,32)", "DATALOADER.TEST.BATCH_SIZE", "8",
             "USE_CUDA", "False"]


def needs_dassl():
    return pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")


RUN_TIMEOUT_S = 600


class _WarmServer:
    """The preloaded interpreter of tests/entry_cases.py --serve, started on first use."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.scratch = Path(tempfile.mkdtemp(prefix="medprompt-e2e-"))
        self.count = 0

    def run(self, script: str, args: list[str], environ: dict[str, str]) -> tuple[int, str]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "entry_cases.py"), "--serve"],
                                         cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
            atexit.register(self.close)
        self.count += 1
        output = self.scratch / f"run{self.count}.out"
        case = {"script": script, "args": args, "environ": environ, "output": str(output)}
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], RUN_TIMEOUT_S)
        if not ready:
            self.close()
            raise TimeoutError(f"{script} {args} ran longer than {RUN_TIMEOUT_S} s")
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError(f"the warm test interpreter died running {script} {args}")
        return json.loads(reply)["status"], output.read_text(errors="replace")

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


_SERVER = _WarmServer()


def run_script(script: str, args: list[str], env: dict | None = None) -> tuple[int, str]:
    """(exit status, stdout+stderr) of `python SCRIPT ARGS` run from the repository root."""
    args = [str(a) for a in args]
    environ = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    if os.environ.get("MEDPROMPT_TEST_FRESH") == "1":
        proc = subprocess.run([sys.executable, script, *args], cwd=REPO, env=environ, capture_output=True,
                              text=True, timeout=RUN_TIMEOUT_S)
        return proc.returncode, proc.stdout + proc.stderr
    return _SERVER.run(script, args, environ)


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
