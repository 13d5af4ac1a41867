"""Seconds a fresh interpreter takes to import what a train.py run must import, layer by layer.

Each cell is a whole fresh process (`python -c ...`, interpreter start and exit included), timed REPEATS
times with the cells alternating; medians are printed. The layers:
- `import torch`;
- `+ open_clip` (the backbones; it imports torchvision, and with it torch._dynamo, transformers and timm);
- `+ dassl.engine` (the trainer registry and TrainerX every method subclasses; it imports Dassl's data,
  evaluation (scikit-learn, scipy) and tensorboard);
- `project`: everything a run imports (medprompt/sweep/warm.py `preload`: the above plus Dassl's config,
  the project's datasets, trainers and train.py itself).
The first three are the stock packages a Dassl plug-in on open_clip cannot avoid; the difference between
the third and the last is the project's own share of a run's start-up.

    python -m benchmarks.startup [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from medprompt.utils.paths import REPO

LAYERS = {
    "import torch": "import torch",
    "+ open_clip": "import torch, open_clip",
    "+ dassl.engine": "import torch, open_clip, dassl.engine",
    "project": "from medprompt.sweep.warm import preload; preload()",
}


def timed(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    times: dict[str, list[float]] = {name: [] for name in LAYERS}
    for _ in range(args.repeats):
        for name, code in LAYERS.items():
            times[name].append(timed(code))
    print(f"fresh processes, {args.repeats} each, alternating; seconds (median, then each):")
    for name, values in times.items():
        print(f"  {name:16s} {statistics.median(values):6.2f}   " + " ".join(f"{v:.2f}" for v in values))
    return 0


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m benchmarks.startup")
