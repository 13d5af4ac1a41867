"""The project's mechanism on a laptop CPU: the synthetic medical world and its tiny CLIP.

    python demo.py             # full demo (world of 80 images per class; see docs/DEMO.md for timings)
    python demo.py --quick     # shortened run (fewer images and epochs), used by the tests

1. Writes the synthetic world (medprompt.synthetic) into --data, unless the same world is already there.
2. Runs train.py, one subprocess per run, for ZeroshotCLIP (class names), ZeroshotDescriptions (CuPL),
   MedPromptCLIP (text-only), CoOp (16 shots) and MedPromptCLIP_CoOp (CoOp started from the MedPromptCLIP
   prompts), all on the shipped tiny CLIP with the config synth (configs/backbones/synth.yaml under each method's
   yaml and its synth overlay where it has one):
   trained on the base classes of the training modality, evaluated on its new classes and, with no
   further training, on every class of each held-out modality. Finished runs are skipped.
   Output tree: <output>/base2new/{train_base,test_new}/<dataset>/shots_<K>/<Trainer>/synth/seed<S>/ and
   <output>/heldout_modality/<dataset>/shots_<K>/<Trainer>/synth/seed<S>/.
3. Prints the comparison table (parse_results.py; one method per row, to fit 120 columns), writes the full
   table to <output>/comparison.txt and its plots to <output>/comparison-*.png, and prints how much of the
   gap between class-name and description zero-shot each trained method closes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))

from medprompt.cli import run_main  # noqa: E402
from medprompt.results import read_tree  # noqa: E402
from medprompt.results.runs import clear_unfinished, run_finished  # noqa: E402
from medprompt.sweep.grid import STACKED_ON, train_command  # noqa: E402
from medprompt.sweep.layout import RunKey, run_dir as layout_dir  # noqa: E402
from medprompt.synthetic.world import WorldSettings, write_world  # noqa: E402

CONFIG = "synth"
METHODS = ("ZeroshotCLIP", "ZeroshotDescriptions", "MedPromptCLIP", "CoOp", "MedPromptCLIP_CoOp")
REFERENCE = ("ZeroshotCLIP", "ZeroshotDescriptions")  # the gap: class names -> descriptions
TRAINING_FREE = set(REFERENCE)  # their "training" run is an evaluation (--eval-only, nothing to load)
QUICK_OPTS = ["OPTIM.MAX_EPOCH", "2"]


@dataclass(frozen=True)
class Plan:
    data: Path
    output: Path
    train_on: str
    heldout: tuple[str, ...]
    shots: int
    seed: int
    world: WorldSettings
    extra_opts: tuple[str, ...]


def run_dir(plan: Plan, protocol: str, dataset: str, method: str) -> Path:
    return layout_dir(plan.output, RunKey(protocol, dataset, plan.shots, method, CONFIG, plan.seed))


def train(plan: Plan, method: str, dataset: str, outdir: Path, flags: list[str], opts: list[str]) -> float:
    """One train.py run in a subprocess unless it finished before; returns its seconds (0 when skipped)."""
    if run_finished(outdir)[0]:
        print(f"  skip (finished): {outdir}")
        return 0.0
    cmd = train_command(sys.executable, plan.data, plan.seed, method, dataset, CONFIG, outdir,
                        [*flags, "DATASET.NUM_SHOTS", str(plan.shots), "MODEL.CACHE_DIR", str(plan.output / "cache"),
                         *opts, *plan.extra_opts])
    clear_unfinished(outdir)  # an unfinished run resumes from its last epoch's checkpoint
    print(f"  run: {method} on {dataset} -> {outdir}")
    started = time.time()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-30:])
        raise SystemExit(f"train.py failed for {method} on {dataset} (exit {done.returncode}):\n{tail}\n"
                         f"command: {' '.join(cmd)}")
    return time.time() - started


def run_method(plan: Plan, method: str) -> float:
    """Base-class training, then evaluation on new classes and on every held-out modality."""
    seconds = 0.0
    base = run_dir(plan, "base2new/train_base", plan.train_on, method)
    init = []
    if method in STACKED_ON:
        source = run_dir(plan, "base2new/train_base", plan.train_on, STACKED_ON[method])
        init = ["TRAINER.STACKING.INIT_FROM", str(source)]
    first = ["--eval-only"] if method in TRAINING_FREE else []
    seconds += train(plan, method, plan.train_on, base, first, ["DATASET.SUBSAMPLE_CLASSES", "base", *init])
    evaluate = ["--eval-only", "--model-dir", str(base)]
    seconds += train(plan, method, plan.train_on, run_dir(plan, "base2new/test_new", plan.train_on, method),
                     evaluate, ["DATASET.SUBSAMPLE_CLASSES", "new", *init])
    for dataset in plan.heldout:
        seconds += train(plan, method, dataset, run_dir(plan, "heldout_modality", dataset, method),
                         evaluate, ["DATASET.SUBSAMPLE_CLASSES", "all", *init])
    return seconds


def accuracies(plan: Plan) -> dict[tuple[str, str], float]:
    """{(method, part): accuracy} with parts 'base', 'new' and each held-out dataset."""
    found = {}
    for run in read_tree(plan.output).runs:
        if run.config_name != CONFIG or run.seed != plan.seed or not run.seed_logs.finished:
            continue
        part = {"base2new/train_base": "base", "base2new/test_new": "new"}.get(run.protocol, run.dataset)
        found[(run.trainer, part)] = run.seed_logs.metrics.get("accuracy")
    return found


def gap_report(plan: Plan) -> str:
    """How much of the (description - class name) zero-shot gap each trained method closes, per part."""
    acc = accuracies(plan)
    lines = ["Gap closed = (method - ZeroshotCLIP) / (ZeroshotDescriptions - ZeroshotCLIP), accuracy:"]
    for part in ("base", "new", *plan.heldout):
        names, descs = acc.get((REFERENCE[0], part)), acc.get((REFERENCE[1], part))
        if names is None or descs is None:
            continue
        row = [f"  {part:12s} names {names:5.1f}  descriptions {descs:5.1f}"]
        for method in METHODS[2:]:
            value = acc.get((method, part))
            if value is None:
                continue
            gap = descs - names
            closed = f"{(value - names) / gap:+.2f}" if abs(gap) > 1e-9 else "n/a"
            row.append(f"{method} {value:5.1f} ({closed})")
        lines.append("  ".join(row))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small world, 2 epochs, 4 shots: a smoke test")
    p.add_argument("--data", default="", help="where the world is written (default data/synthetic[-quick])")
    p.add_argument("--output", default="", help="output tree (default output-demo[-quick], beside the protocol "
                                                "scripts' output/ so that their tables never mix)")
    p.add_argument("--seed", type=int, default=1, help="seed of every run")
    p.add_argument("--world-seed", type=int, default=0, help="seed of the synthetic world")
    p.add_argument("--train-on", default="SynthDerm", help="modality (dataset) whose base classes are trained on")
    p.add_argument("--heldout", nargs="+", default=["SynthFundus", "SynthXray"], help="held-out modalities")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    args = p.parse_args(argv)
    suffix = "-quick" if args.quick else ""
    world = WorldSettings(seed=args.world_seed, n_train=8, n_val=4, n_test=8) if args.quick else \
        WorldSettings(seed=args.world_seed)
    plan = Plan(
        data=Path(args.data or REPO / "data" / f"synthetic{suffix}"),
        output=Path(args.output or REPO / f"output-demo{suffix}"),
        train_on=args.train_on,
        heldout=tuple(args.heldout),
        shots=4 if args.quick else 16,
        seed=args.seed,
        world=world,
        extra_opts=tuple(QUICK_OPTS if args.quick else ()),
    )
    started = time.time()
    print(f"World: {plan.data}")
    marker = write_world(plan.data, world)
    print(f"  {marker['settings']} ({time.time() - started:.0f} s)")
    methods = [m for m in METHODS if m in args.methods]
    for method in methods:
        if method in STACKED_ON and STACKED_ON[method] not in methods:
            methods.insert(methods.index(method), STACKED_ON[method])
    for method in methods:
        print(f"{method}:")
        seconds = run_method(plan, method)
        print(f"  {seconds:.0f} s")
    plot = plan.output / "comparison"
    table = subprocess.run([sys.executable, str(REPO / "parse_results.py"), str(plan.output), "--methods", *methods,
                            "--plot", str(plot), "--full", f"{plot}.txt"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(table.stdout)
    print(gap_report(plan))
    print(f"Full tables: {plot}.txt; plots: {plot}-*.png; total {time.time() - started:.0f} s")
    return table.returncode


if __name__ == "__main__":
    run_main(main, "demo.py")
