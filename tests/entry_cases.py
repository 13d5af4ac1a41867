"""Run many command lines of the project's entry points cheaply, each in its own process.

    python -m tests.entry_cases CASES.json RESULTS.json    (from the project's folder)

One interpreter imports torch, open_clip, Dassl and the project once, then forks a child per case, with
the sweep's warm-start machinery (medprompt/sweep/warm.py): the child runs the entry-point script as
``__main__`` with the case's argv and environment, its stdout and stderr going to a file, and exits with
the script's status. The parent records each case's exit status and output. A case costs milliseconds of
start-up instead of the seconds of a fresh ``python train.py``.

A case is {"script": "train.py", "args": [...], "env": {...}}; the result adds "status" and "output".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from medprompt.sweep.warm import preload, run_forked
from medprompt.utils.paths import REPO


def run_cases(cases: list[dict], scratch: Path) -> list[dict]:
    results = []
    for i, case in enumerate(cases):
        out_path = scratch / f"case{i}.out"
        status = run_forked(REPO / case["script"], case["args"], case.get("env", {}), out_path)
        results.append({**case, "status": status, "output": out_path.read_text(errors="replace")})
    return results


if __name__ == "__main__":
    preload()
    import torch

    torch.set_num_threads(1)  # the cases are tiny; one thread each, as before
    cases_file, results_file = Path(sys.argv[1]), Path(sys.argv[2])
    results = run_cases(json.loads(cases_file.read_text()), results_file.parent)
    results_file.write_text(json.dumps(results))
