"""Time building a backbone from a checkpoint file three ways, each repetition a fresh process, the ways
alternating, medians reported, all giving the same weights digest:
- draw: every parameter drawn at random first, then overwritten by the checkpoint (as before);
- skip: torch.nn's random initialisers skipped (what `medprompt.clip.backbones.load_backbone` does when a whole
  checkpoint is loaded strictly), the weights hashed for the cache keys;
- skip + kept digest: as skip, the digest read from the digest cache filled by an earlier build (what a
  run with a feature cache does from its second run on the same file).

    python -m benchmarks.backbone_build [--arch ViT-B-16] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from medprompt.utils.paths import REPO

ONE_BUILD = """
import contextlib, json, sys, time
import torch
from medprompt.clip import backbones
if sys.argv[3] == "draw":
    backbones._skip_random_init = contextlib.nullcontext
cache = sys.argv[4] if sys.argv[3] == "kept" else None
start = time.perf_counter()
backbone = backbones.load_backbone(sys.argv[1], sys.argv[2], digest_cache=cache)
print(json.dumps({"seconds": time.perf_counter() - start, "digest": backbone.digest}))
"""


def build_once(arch: str, weights: Path, way: str, env: dict, cache: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", ONE_BUILD, arch, str(weights), way, str(cache)], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", default="ViT-B-16")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    import torch

    from medprompt.clip.backbones import load_backbone

    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "weights.pt"
        torch.manual_seed(0)
        torch.save(load_backbone(args.arch, "random").model.state_dict(), weights)
        cache = Path(tmp) / "cache"
        build_once(args.arch, weights, "kept", env, cache)  # fills the digest cache
        runs: dict[str, list[dict]] = {"draw": [], "skip": [], "kept": []}
        for _ in range(args.repeats):
            for way in runs:
                runs[way].append(build_once(args.arch, weights, way, env, cache))
    digests = {r["digest"] for way in runs.values() for r in way}
    if len(digests) != 1:
        raise SystemExit(f"the two ways gave different weights: {digests}")
    medians = {way: statistics.median(r["seconds"] for r in found) for way, found in runs.items()}
    print(f"{args.arch} from a checkpoint file, {args.threads} thread(s), {args.repeats} fresh processes each "
          f"(alternating), median seconds: random init drawn then overwritten {medians['draw']:.2f}, "
          f"skipped {medians['skip']:.2f}, skipped with the digest kept {medians['kept']:.2f}; same weights "
          f"digest {digests.pop()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
