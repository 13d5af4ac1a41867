"""Time a zero-shot / text-only sweep through the sweep driver against the same runs done the published
way: one fresh process per run that encodes its own test images and descriptions.

The published code cannot ship with the project (its license, and each method there is its own modified
copy of CLIP), so side (b) is the project's emulation of it: the same train.py runs, each a fresh
``python train.py`` with ``MODEL.CACHE_DIR none`` (no feature cache: every run encodes its test images and
its descriptions itself) and ``MODEL.FULL_TEXT_CONTEXT True`` (the text tower runs all 77 tokens instead of
being trimmed to the longest prompt), one after the other. Training itself is the project's on both sides
(the published training step is slower still; see the README), so the ratio here is a lower bound.

Workload (defaults): 5 method settings x 3 seeds = 15 runs, zeroshot protocol (no training image), on a
generated image tree with the class count and split sizes of a real dataset (FFA: 5 classes, 89 val and
93 test images; training images are listed but not written, as text-only runs never read them), 224 px
PNGs; backbone vit_b16 (open_clip ViT-B-16) with random weights (timing does not depend on the weights)
drawn once and saved as a checkpoint file that every run loads (MODEL.BACKBONE.WEIGHTS), as runs load
pretrained weights: `random` would draw other weights for every seed, and so other image features; fp32 on
the CPU, each method's own config otherwise.

    method setting              trainer               config            options
    ZeroshotCLIP                ZeroshotCLIP          vit_b16
    ZeroshotCLIP-ensemble       ZeroshotCLIP          ensemble_vit_b16
    ZeroshotDescriptions        ZeroshotDescriptions  vit_b16
    MedPromptCLIP               MedPromptCLIP         vit_b16           (mse loss, 30 epochs)
    MedPromptCLIP-contrastive   MedPromptCLIP         contrastive_vit_b16

(a) sweep: ``python sweep.py zeroshot --methods <trainers> --configs <configs> ...`` with default settings
    (warm executor, one job at a time, one feature cache, empty at the start): one invocation, as each
    config is a setting of only some of the methods (a grid runs each method with the configs it has);
    settings that one grid cannot cover exactly take one invocation per config;
(b) published way: each of the same 15 train.py commands as a fresh process with the two options above.

Each side is timed as whole processes (wall clock). The split sums the phases of every run's ``Time:``
line (imports, backbone build, description encoding, training, image encoding, evaluation, other); what
a side spent outside its runs' Time: lines is "outside runs" (sweep: the driver's start-up and warm
interpreters, planning, polling, the results table; published: interpreter start before the run's clock).

With `--jobs N [M ...]` side (a) is timed once per value, N runs at a time; its runs then overlap, so their
phases sum to more than the wall time and "outside runs" can be negative. With `--repeats R` every side is
timed R times (fresh output folders and an empty cache each time), in an order reversed every other
repetition; the report gives each side's median, the ratio of the medians and the ratio within each
repetition, and splits each side's median repetition (this CPU's speed drifts by 10-20% over minutes).

    python -m benchmarks.sweep [--out DIR] [--seeds 1 2 3] [--methods ...] [--dataset FFA] [--jobs 1 2] \\
        [--repeats 3] [--test-images 93 --val-images 89 --image-size 224] [-- KEY VALUE ... (options of every run)]

Writes DIR/sweep_benchmark.json (after every repetition) and DIR/sweep_benchmark.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from medprompt.sweep.grid import Grid, expand
from medprompt.utils.atomic import write_json, write_text
from medprompt.utils.paths import REPO
from medprompt.utils.timing import parse_summary, sum_phases

#: name -> (trainer, config name, options)
SETTINGS = {
    "ZeroshotCLIP": ("ZeroshotCLIP", "vit_b16", ()),
    "ZeroshotCLIP-ensemble": ("ZeroshotCLIP", "ensemble_vit_b16", ()),
    "ZeroshotDescriptions": ("ZeroshotDescriptions", "vit_b16", ()),
    "MedPromptCLIP": ("MedPromptCLIP", "vit_b16", ()),
    "MedPromptCLIP-contrastive": ("MedPromptCLIP", "contrastive_vit_b16", ()),
}
#: what makes a train.py run the published way (see the module docstring)
PUBLISHED_WAY = ("MODEL.CACHE_DIR", "none", "MODEL.FULL_TEXT_CONTEXT", "True")
OUTSIDE = "outside runs"
PUBLISHED = "published way"
ENCODED = re.compile(r"Encoding \d+ test images")
REUSED = re.compile(r"^Reused \d+ cached test image features", re.M)


def groups(names: list[str]) -> list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    """(trainers, configs, options) per sweep invocation: one grid of all the settings when it runs exactly
    these (method, config) pairs, else one per (config, options)."""
    settings = [SETTINGS[name] for name in names]
    trainers = tuple(dict.fromkeys(trainer for trainer, _, _ in settings))
    configs = tuple(dict.fromkeys(config for _, config, _ in settings))
    options = {opts for _, _, opts in settings}
    wanted = {(trainer, config) for trainer, config, _ in settings}
    if len(options) == 1 and set(Grid("zeroshot", trainers, configs, ()).pairs()) == wanted:
        return [(trainers, configs, options.pop())]
    found: dict[tuple, list[str]] = {}
    for trainer, config, opts in settings:
        found.setdefault((config, opts), []).append(trainer)
    return [(tuple(found_trainers), (config,), opts) for (config, opts), found_trainers in found.items()]


def run_record(log: Path) -> dict:
    text = log.read_text(errors="replace")
    return {"log": str(log), "time": parse_summary(text), "encoded_test_images": bool(ENCODED.search(text)),
            "reused_test_images": bool(REUSED.search(text))}


def split_of(runs: list[dict], wall: float) -> dict[str, float]:
    """Sum over runs of each Time: phase, plus the side's wall time outside the runs' clocks."""
    sums = sum_phases(run["time"] for run in runs)
    out = {name: round(seconds, 2) for name, seconds in sums.items() if name != "total"}
    out[OUTSIDE] = round(wall - sums.get("total", 0.0), 2)
    return out


def sweep_side(args, out: Path, extra: list[str], jobs: int) -> dict:
    """Every group through `python sweep.py zeroshot`, timed as whole processes."""
    cache = out / "cache"
    wall, runs, invocations = 0.0, [], []
    for i, (trainers, configs, opts) in enumerate(groups(args.methods)):
        output = out / "sweep" / f"group{i}"
        cmd = [sys.executable, str(REPO / "sweep.py"), "zeroshot", "--methods", *trainers, "--configs", *configs,
               "--datasets", args.dataset, "--seeds", *map(str, args.seeds), "--data", str(args.data),
               "--output", str(output), "--jobs", str(jobs), "--", "MODEL.CACHE_DIR", str(cache), *extra, *opts]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        (out / "sweep" / f"group{i}.out").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise SystemExit(f"sweep group {i} failed (exit {proc.returncode}); see {out / 'sweep' / f'group{i}.out'}")
        wall += seconds
        logs = sorted((output / ".sweep" / "logs").glob("*.log"))
        runs += [run_record(log) for log in logs]
        invocations.append({"command": cmd, "seconds": round(seconds, 2), "runs": len(logs)})
    return {"seconds": round(wall, 2), "runs": runs, "invocations": invocations, "split": split_of(runs, wall),
            "jobs": jobs}


def published_side(args, out: Path, extra: list[str]) -> dict:
    """The same runs, each a fresh `python train.py` the published way, one after the other."""
    wall, runs = 0.0, []
    logs = out / "published" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for i, (trainers, configs, opts) in enumerate(groups(args.methods)):
        grid = Grid("zeroshot", trainers, configs, (args.dataset,), seeds=tuple(args.seeds),
                    opts=(*extra, *opts))
        for spec in expand(grid, out / "published" / f"group{i}"):
            cmd = [*spec.command(args.data, sys.executable), *PUBLISHED_WAY]
            log = logs / f"group{i}_{spec.key.trainer}_{spec.key.config_name}_seed{spec.key.seed}.log"
            start = time.perf_counter()
            with open(log, "w") as handle:
                code = subprocess.call(cmd, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT)
            wall += time.perf_counter() - start
            if code != 0:
                raise SystemExit(f"published-way run failed (exit {code}); see {log}")
            runs.append({**run_record(log), "seconds": round(time.perf_counter() - start, 2)})
    return {"seconds": round(wall, 2), "runs": runs, "split": split_of(runs, wall), "options": list(PUBLISHED_WAY)}


def make_data(args, out: Path) -> Path:
    from tests import tiny_data

    root = out / "data"
    counts = {"train": args.train_images, "val": args.val_images, "test": args.test_images}
    tiny_data.write_tiny_dataset(root, args.dataset, size=args.image_size, with_train_images=False, counts=counts)
    return root


def fixed_random_weights(out: Path) -> Path:
    """A checkpoint of vit_b16's architecture with random weights (seed 0), the same for every run."""
    import torch

    from medprompt.clip.backbones import load_backbone

    path = out / "weights" / "vit_b16_random_seed0.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    torch.save(load_backbone("vit-b16", "random").model.state_dict(), path)
    return path


def side_label(side: str, jobs: int) -> str:
    return f"sweep --jobs {jobs}" if side == "sweep" else PUBLISHED


def side_order(sides: list, repetition: int) -> list:
    """The sides of one repetition, reversed every other one, so that a slow spell of the machine does not
    always fall on the same side."""
    return sides if repetition % 2 == 0 else sides[::-1]


def median_record(records: list[dict]) -> dict:
    """The repetition whose total is the median (the lower middle one of an even count)."""
    ranked = sorted(records, key=lambda r: r["seconds"])
    return ranked[(len(ranked) - 1) // 2]


def summarise(result: dict) -> None:
    """Per side its totals and median; per sweep side the ratio of the medians and the ratio within each
    repetition (both sides measured minutes apart)."""
    sides = {label: [rep["sides"][label] for rep in result["repetitions"]] for label in result["labels"]}
    result["summary"] = {label: {"seconds": [r["seconds"] for r in records],
                                 "median": round(statistics.median(r["seconds"] for r in records), 2)}
                         for label, records in sides.items()}
    if PUBLISHED not in sides:
        return
    published = result["summary"][PUBLISHED]
    result["ratios"] = {label: {"of_medians": round(published["median"] / summary["median"], 3),
                                "per_repetition": [round(b / a, 3) for a, b in zip(summary["seconds"],
                                                                                    published["seconds"])]}
                        for label, summary in result["summary"].items() if label != PUBLISHED}


def markdown(result: dict) -> str:
    labels, summary, w = result["labels"], result["summary"], result["workload"]
    median = {label: median_record([rep["sides"][label] for rep in result["repetitions"]]) for label in labels}
    any_side = median[labels[0]]
    lines = [
        f"# Sweep benchmark ({result['when']})", "",
        f"{len(w['methods'])} method settings x {len(w['seeds'])} seeds = {len(any_side['runs'])} runs on "
        f"{w['dataset']} ({w['test_images']} test images, {w['image_size']} px), torch threads {w['threads']}, "
        f"options {' '.join(w['options']) or '(none)'}; {result['machine']}; {len(result['repetitions'])} "
        f"repetition(s), sides in the order {' / '.join(labels)}, reversed every other repetition.", "",
    ]
    for label in labels:
        side = median[label]
        encoded = sum(r["encoded_test_images"] for r in side["runs"])
        how = f" (emulated: {' '.join(side['options'])})" if label == PUBLISHED else ""
        lines.append(f"- {label}{how}: median **{summary[label]['median']:.1f} s** of "
                     f"{', '.join(f'{s:.1f}' for s in summary[label]['seconds'])}; runs that encoded test "
                     f"images: {encoded} of {len(side['runs'])}")
    for label, ratio in result.get("ratios", {}).items():
        lines.append(f"- ratio {PUBLISHED} / {label}: **{ratio['of_medians']:.2f}x** of the medians; "
                     f"within each repetition {', '.join(f'{r:.2f}x' for r in ratio['per_repetition'])}")
    phases = list(dict.fromkeys(name for label in labels for name in median[label]["split"]))
    lines += ["", "Split of each side's median repetition:", "",
              "| seconds, summed over runs | " + " | ".join(labels) + " |",
              "|---|" + "---:|" * len(labels)]
    lines += [f"| {name} | " + " | ".join(f"{median[label]['split'].get(name, 0.0):.1f}" for label in labels) + " |"
              for name in phases]
    lines += ["| **total** | " + " | ".join(f"**{median[label]['seconds']:.1f}**" for label in labels) + " |", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cut = argv.index("--") if "--" in argv else len(argv)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO / "output-benchmarks" / "sweep")
    p.add_argument("--methods", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    p.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    p.add_argument("--dataset", default="FFA")
    # FFA's test split has 93 images; a smaller --test-images keeps the benchmark short on a busy CPU
    p.add_argument("--data", type=Path, help="an existing data root (default: generate one under --out)")
    p.add_argument("--test-images", type=int, default=93)
    p.add_argument("--val-images", type=int, default=89)
    p.add_argument("--train-images", type=int, default=418)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--weights", default="fixed-random",
                   help="fixed-random (default): one random-weight vit_b16 checkpoint for every run; none: add "
                        "no MODEL.BACKBONE.WEIGHTS (the options after -- name the backbone)")
    p.add_argument("--threads", type=int, default=0,
                   help="torch threads of every run on both sides (OMP_NUM_THREADS); 0: torch's default")
    p.add_argument("--jobs", type=int, nargs="+", default=[1],
                   help="side (a), once per value: sweep.py --jobs (runs at a time, the cores split between "
                        "them); side (b) runs one by one, as the published scripts do")
    p.add_argument("--repeats", type=int, default=1,
                   help="time every side this many times, alternating their order; medians are reported")
    p.add_argument("--sides", nargs="+", default=["sweep", "published"], choices=["sweep", "published"])
    args = p.parse_args(argv[:cut])
    if args.threads:  # read by every process both sides start (the sweep's warm interpreters too)
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    weights = [] if args.weights == "none" else ["MODEL.BACKBONE.WEIGHTS", str(fixed_random_weights(out))]
    extra = [*weights, *argv[cut + 1:]]  # the runs' options (the caller's last: they win in train.py)
    args.data = args.data or make_data(args, out)
    plan = [(side_label(side, jobs), side, jobs) for side in args.sides
            for jobs in (args.jobs if side == "sweep" else [1])]
    labels = [label for label, _, _ in plan]
    result = {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "script": "benchmarks/sweep.py", "argv": argv,
              "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
                         f"Python {platform.python_version()}",
              "workload": {"methods": args.methods, "seeds": args.seeds, "dataset": args.dataset,
                           "test_images": args.test_images, "val_images": args.val_images,
                           "image_size": args.image_size, "threads": args.threads or "default",
                           "options": extra},
              "labels": labels, "repetitions": []}
    for repetition in range(args.repeats):
        sides = {}
        for label, side, jobs in side_order(plan, repetition):
            where = out / f"rep{repetition}" / label.replace(" --jobs ", "_jobs")
            print(f"Repetition {repetition + 1}/{args.repeats}: timing {label} ...", flush=True)
            sides[label] = sweep_side(args, where, extra, jobs) if side == "sweep" else \
                published_side(args, where, extra)
            print(f"  {sides[label]['seconds']:.1f} s, split {sides[label]['split']}", flush=True)
        result["repetitions"].append({"order": side_order(labels, repetition), "sides": sides})
        summarise(result)
        write_json(out / "sweep_benchmark.json", result)  # after each repetition: a stopped run keeps them
    write_text(out / "sweep_benchmark.md", markdown(result))
    print(markdown(result))
    print(f"Wrote {out / 'sweep_benchmark.json'} and {out / 'sweep_benchmark.md'}")
    return 0


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m benchmarks.sweep")
