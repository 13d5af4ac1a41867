"""Seconds each entry point takes to refuse a user mistake (target: under 2 s on the 2-core CPU).

Each case is a fresh process of the entry point with one mistake (a misspelt trainer, dataset, config
name, key or enumerated value, a missing path, a --model-dir one level above the run folder), run as
`python -c` around runpy so that the process can report whether torch, Dassl or open_clip was imported
before the refusal. Cases alternate over REPEATS rounds; medians are printed. tests/run/test_precheck.py runs
the same cases once (no timing) and checks the message and the imports.

    python -m benchmarks.refusal [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from medprompt.utils.paths import REPO

HEAVY = ("torch", "dassl", "open_clip")
PROBE = """
import runpy, sys
sys.argv = {argv!r}
code = 0
try:
    runpy.run_path({script!r}, run_name="__main__")
except SystemExit as stop:
    code = stop.code
sys.stdout.flush()
print("PROBE", code, *[m for m in {heavy!r} if m in sys.modules], file=sys.stderr)
"""


@dataclass(frozen=True)
class Case:
    name: str
    script: str
    args: tuple[str, ...]
    expected: str  # a piece of the refusal (the closest valid choice, where there is one)


@dataclass(frozen=True)
class Outcome:
    status: int | None
    imported: tuple[str, ...]
    output: str
    seconds: float


def paths(root: Path) -> dict[str, str]:
    """Where the files the cases point at live under `root` (scratch() writes them)."""
    run = root / "output" / "fewshot" / "BTMRI" / "shots_16" / "CoOp" / "vit_b16" / "seed1"
    return {"data": str(root / "data"), "bad_yaml": str(root / "bad_dataset.yaml"), "run_parent": str(run.parent),
            "run": str(run)}


def scratch(root: Path) -> None:
    """Write the files the cases point at: a data folder, a dataset yaml with a misspelt name, a run tree."""
    s = paths(root)
    Path(s["data"]).mkdir(parents=True, exist_ok=True)
    Path(s["bad_yaml"]).write_text('DATASET:\n  NAME: "BTMIR"\n')
    run = Path(s["run"])
    (run / "prompt_learner").mkdir(parents=True, exist_ok=True)
    (run / "prompt_learner" / "model-best.pth.tar").write_bytes(b"")
    (run / "log.txt").write_text("***************\n** Arguments **\n***************\ntrainer: CoOp\n")


def cases(root: Path) -> list[Case]:
    """The refusal cases, with paths under `root` (call scratch(root) before running them)."""
    s = paths(root)
    coop = ("--trainer", "CoOp", "--config", "vit_b16")
    return [
        Case("train: trainer", "train.py", ("--trainer", "CoOP", "--config", "vit_b16"), "did you mean 'CoOp'?"),
        Case("train: config name", "train.py", ("--trainer", "CoOp", "--config", "vit_b61"), "did you mean 'vit_b16'?"),
        Case("train: dataset file", "train.py", (*coop, "--dataset-config-file", "configs/datasets/BTMR.yaml"),
             "did you mean 'configs/datasets/BTMRI.yaml'?"),
        Case("train: config file", "train.py", ("--trainer", "CoOp", "--config-file", "configs/methods/CoOp.yml"),
             "did you mean 'configs/methods/CoOp.yaml'?"),
        Case("train: dataset name", "train.py", (*coop, "--dataset-config-file", s["bad_yaml"]), "did you mean 'BTMRI'?"),
        Case("train: data root", "train.py", (*coop, "--root", s["data"] + "_"), f"did you mean {s['data']!r}?"),
        Case("train: enumerated value", "train.py", (*coop, "TRAINER.COOP.CLASS_TOKEN_POSITION", "midle"),
             "did you mean 'middle'?"),
        Case("train: optimizer", "train.py", (*coop, "OPTIM.NAME", "sdg"), "did you mean 'sgd'?"),
        Case("train: dataset option", "train.py", (*coop, "DATASET.NAME", "BTMRl"), "did you mean 'BTMRI'?"),
        Case("train: odd options", "train.py", (*coop, "OPTIM.LR"), "KEY VALUE pairs"),
        Case("train: model dir above the run", "train.py", (*coop, "--eval-only", "--model-dir", s["run_parent"]),
             f"--model-dir {s['run']}"),
        Case("sweep: method", "sweep.py", ("fewshot", "--methods", "CoOP", "--configs", "vit_b16", "--datasets",
                                           "BTMRI", "--data", s["data"]), "did you mean 'CoOp'?"),
        Case("sweep: dataset", "sweep.py", ("fewshot", "--methods", "CoOp", "--configs", "vit_b16", "--datasets",
                                            "BTMIR", "--data", s["data"]), "did you mean 'BTMRI'?"),
        Case("sweep: config name", "sweep.py", ("fewshot", "--methods", "CoOp", "--configs", "vit_b61", "--datasets",
                                                "BTMRI", "--data", s["data"]), "did you mean 'vit_b16'?"),
        Case("explain_vip: model dir", "explain_vip.py", ("--config", "vit_b16", "--model-dir", s["run_parent"]),
             f"--model-dir {s['run']}"),
        Case("parse_results: folder", "parse_results.py", (s["data"] + "_",), f"did you mean {s['data']!r}?"),
        Case("demo: modality", "demo.py", ("--train-on", "SynthDrem"), "did you mean 'SynthDerm'?"),
        Case("generate_descriptions: dataset", "generate_descriptions.py", ("--dataset", "BTMIR", "--model", "m"),
             "BTMRI"),
    ]


def run_case(case: Case, env: dict[str, str] | None = None) -> Outcome:
    code = PROBE.format(argv=[case.script, *case.args], script=str(REPO / case.script), heavy=HEAVY)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
    seconds = time.perf_counter() - started
    probe = [line for line in proc.stderr.splitlines() if line.startswith("PROBE ")]
    words = probe[-1].split()[1:] if probe else ["None"]
    status = None if words[0] == "None" else int(words[0])
    return Outcome(status, tuple(words[1:]), proc.stdout + proc.stderr, seconds)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"MEDPROMPT_CACHE": str(Path(tmp) / "cache")}
        scratch(Path(tmp))
        all_cases = cases(Path(tmp))
        times: dict[str, list[float]] = {c.name: [] for c in all_cases}
        outcomes: dict[str, Outcome] = {}
        for _ in range(args.repeats):
            for case in all_cases:
                outcomes[case.name] = run_case(case, env)
                times[case.name].append(outcomes[case.name].seconds)
    width = max(map(len, times))
    print(f"{'case':<{width}}  median s  status  imported  closest choice named")
    for case in all_cases:
        o = outcomes[case.name]
        print(f"{case.name:<{width}}  {statistics.median(times[case.name]):8.2f}  {o.status!s:>6}  "
              f"{','.join(o.imported) or '-':<8}  {case.expected in o.output}")
    slowest = max(statistics.median(v) for v in times.values())
    print(f"slowest median: {slowest:.2f} s ({'under' if slowest < 2 else 'OVER'} the 2 s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
