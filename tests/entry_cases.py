"""Run many command lines of the project's entry points cheaply, each in its own process.

    python tests/entry_cases.py CASES.json RESULTS.json

One interpreter imports torch, open_clip, Dassl and the project once, then forks a child per case. The
child runs the entry-point script as ``__main__`` (runpy) with the case's argv and environment, its
stdout and stderr going to a file; an exception that escapes the script is printed and exits 1, as the
interpreter would. The parent records each case's exit status and output. A case costs milliseconds of
start-up instead of the seconds of a fresh ``python train.py``.

A case is {"script": "train.py", "args": [...], "env": {...}}; the result adds "status" and "output".

    python tests/entry_cases.py --serve

keeps the preloaded interpreter alive for a whole test session (tests/e2e.py starts it): it reads one case
a line on stdin, with "environ" (the child's whole environment) and "output" (its log file), and answers
{"status": N} a line on stdout.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import sys
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _preload() -> None:
    sys.path.insert(0, str(REPO))
    import dassl.engine  # noqa: F401
    import open_clip  # noqa: F401
    import torch

    import datasets  # noqa: F401
    import trainers  # noqa: F401

    torch.set_num_threads(1)


def _reread_environment() -> None:
    """What a fresh interpreter would have read from the environment at import time: the Hugging Face
    hub's cache folders and offline flag (a test points HF_HOME at a fake hub cache), and the run's clock."""
    import huggingface_hub.constants

    importlib.reload(huggingface_hub.constants)
    from medprompt.timing import RUN_TIMER

    RUN_TIMER.__init__()


def _child(case: dict, out_path: str) -> None:
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # a run never reads the server's requests
    if "environ" in case:
        os.environ.clear()
        os.environ.update(case["environ"])
    os.environ.update(case.get("env", {}))
    _reread_environment()
    os.chdir(REPO)
    script = str(REPO / case["script"])
    sys.argv = [script, *map(str, case["args"])]
    status = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        if exc.code is None:
            status = 0
        elif isinstance(exc.code, int):
            status = exc.code
        else:
            print(exc.code, file=sys.stderr)
            status = 1
    except BaseException:  # noqa: BLE001  (what the interpreter does with an uncaught exception)
        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def run_case(case: dict, out_path: Path) -> int:
    """Fork, run the case in the child with its output in `out_path`; the child's exit status."""
    pid = os.fork()
    if pid == 0:
        _child(case, str(out_path))
    _, wait_status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(wait_status)


def run_cases(cases: list[dict], scratch: Path) -> list[dict]:
    results = []
    for i, case in enumerate(cases):
        out_path = scratch / f"case{i}.out"
        status = run_case(case, out_path)
        results.append({**case, "status": status, "output": out_path.read_text(errors="replace")})
    return results


def serve() -> None:
    """Answer cases read a line each from stdin until it closes."""
    for line in sys.stdin:
        case = json.loads(line)
        status = run_case(case, Path(case["output"]))
        sys.stdout.write(json.dumps({"status": status}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _preload()
    if sys.argv[1:] == ["--serve"]:
        serve()
        sys.exit(0)
    cases_file, results_file = Path(sys.argv[1]), Path(sys.argv[2])
    results = run_cases(json.loads(cases_file.read_text()), results_file.parent)
    results_file.write_text(json.dumps(results))
