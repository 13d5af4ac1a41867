"""How a training step degrades with torch's thread count when other processes share the cores.

Workload: one MedPromptCLIP step (benchmarks/medpromptclip_epoch.py's "this project" step: ViT-B-16
architecture, random weights, 4 classes x 16 descriptions, N_CTX 6, DEPTH 9, batch 32, AdamW, fp32).
Each setting (torch threads x OpenMP wait policy) runs in a fresh process, since OpenMP reads
OMP_WAIT_POLICY once at start-up. In that process the step is timed in rounds, alternately alone and
beside COMPETITORS CPU-bound processes (pure-Python busy loops, one core each), and the median step time
of each condition is printed.

    python -m benchmarks.threads [--threads 1 2] [--policies default passive] [--competitors 1] [--steps 10]
    python -m benchmarks.threads --backbone local-dir:FOLDER ...   (a tiny model, to check the script)

The "alone" condition is only as alone as the machine is: on a machine other jobs share, say so.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time


def spin(stop_at: float) -> None:
    """A CPU-bound competitor: busy until `stop_at` (time.time())."""
    x = 0
    while time.time() < stop_at:
        x += 1


def child(threads: int, steps: int, rounds: int, competitors: int, backbone: str) -> dict:
    """Median step seconds alone and beside competitors, in this process's OpenMP setting."""
    import torch

    from benchmarks.medpromptclip_epoch import workload
    from medprompt.clip.backbones import load_backbone
    from medprompt.clip.prompts import PromptedClassifier, TextPrompts
    from medprompt.clip.text_encoder import PromptedTextEncoder
    from medprompt.methods.medpromptclip import text_to_text_loss

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    backbone = load_backbone(backbone, "random")
    enc = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    classes, pairs = workload("BTMRI")
    targets = enc.encode_texts([d for _, d in pairs])
    class_of = torch.tensor([c for c, _ in pairs])
    prompts = TextPrompts(enc, n_ctx=6, depth=min(9, enc.num_layers))  # a tiny tower has fewer layers
    classifier = PromptedClassifier(enc, classes, prompts)
    optim = torch.optim.AdamW(prompts.parameters(), lr=0.005)
    idx = torch.randperm(len(pairs))[:32]

    def step():
        unique, inverse = class_of[idx].unique(return_inverse=True)
        loss = text_to_text_loss(classifier(unique)[inverse], targets[idx])
        optim.zero_grad()
        loss.backward()
        optim.step()

    def timed(n):
        out = []
        for _ in range(n):
            start = time.perf_counter()
            step()
            out.append(time.perf_counter() - start)
        return out

    timed(2)  # warm-up
    alone, beside = [], []
    ctx = multiprocessing.get_context("fork")
    for _ in range(rounds):
        alone += timed(steps)
        procs = [ctx.Process(target=spin, args=(time.time() + 600,)) for _ in range(competitors)]
        for p in procs:
            p.start()
        time.sleep(0.2)  # let them be scheduled
        try:
            beside += timed(steps)
        finally:
            for p in procs:
                p.terminate()
                p.join()
    return {"alone": statistics.median(alone), "beside": statistics.median(beside)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--policies", nargs="+", default=["default", "passive"],
                   help="OMP_WAIT_POLICY values ('default': unset)")
    p.add_argument("--competitors", type=int, default=1, help="busy processes beside the step")
    p.add_argument("--steps", type=int, default=10, help="steps per round and condition")
    p.add_argument("--rounds", type=int, default=2, help="alternations alone / beside")
    p.add_argument("--backbone", default="ViT-B-16")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(**json.loads(args.child))))
        return

    cores = len(os.sched_getaffinity(0))
    print(f"{cores} cores available, {args.competitors} busy competitor(s), backbone {args.backbone} "
          f"(random weights), median of {args.steps * args.rounds} steps per cell")
    print(f"{'threads':>7} {'OMP_WAIT_POLICY':>15} {'alone s/step':>13} {'beside s/step':>14} {'slow-down':>10}")
    for policy in args.policies:
        for threads in args.threads:
            env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
            if policy != "default":
                env["OMP_WAIT_POLICY"] = policy
            spec = {"threads": threads, "steps": args.steps, "rounds": args.rounds,
                    "competitors": args.competitors, "backbone": args.backbone}
            proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], env=env,
                                  capture_output=True, text=True)
            if proc.returncode:
                sys.exit(f"the step process for {threads} thread(s), {policy} failed:\n{proc.stderr[-2000:]}")
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{threads:>7} {policy:>15} {res['alone']:>13.3f} {res['beside']:>14.3f} "
                  f"{res['beside'] / res['alone']:>9.1f}x", flush=True)


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m benchmarks.threads")
