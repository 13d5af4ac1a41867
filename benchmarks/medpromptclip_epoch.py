"""Time one MedPromptCLIP training epoch: done the upstream way versus by this project.

Reference workload (docs/DESIGN.md §5): 4 classes x 16 descriptions = 64 pairs, ViT-B-16 architecture with
random weights, N_CTX 6, DEPTH 9, batch 32 (2 steps per epoch), AdamW, fp32 on the CPU. The time per epoch
is the median of 5 epochs after one warm-up epoch.

(a) upstream: every step re-encodes the batch's descriptions through the frozen encoder, and encodes one
    prompted template per pair, all sequences padded to the full context (77 tokens);
(b) this project: description features computed once before training (timed separately, and cached on
    disk across runs), each class's template encoded once per step, sequences trimmed to the longest
    prompt in the batch.

    python -m benchmarks.medpromptclip_epoch [--dataset BTMRI] [--epochs 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from medprompt.clip.backbones import load_backbone
from medprompt.clip.prompts import PromptedClassifier, TextPrompts
from medprompt.clip.text_encoder import PromptedTextEncoder
from medprompt.data.descriptions import load_descriptions
from medprompt.methods.medpromptclip import text_to_text_loss


def workload(dataset: str, n_classes: int = 4, per_class: int = 16):
    path = Path(__file__).resolve().parents[1] / "llm_descriptions" / f"{dataset}.json"
    data = load_descriptions(path)
    classes = list(data)[:n_classes]
    pairs = [(c, d) for c, name in enumerate(classes) for d in data[name][:per_class]]
    return classes, pairs


def time_epochs(step, batches, epochs: int) -> list[float]:
    times = []
    for _ in range(epochs + 1):  # the first epoch warms up
        start = time.perf_counter()
        for batch in batches:
            step(batch)
        times.append(time.perf_counter() - start)
    return times[1:]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backbone", default="ViT-B-16")
    p.add_argument("--dataset", default="BTMRI", help="description file under llm_descriptions/")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    backbone = load_backbone(args.backbone, "random")
    enc = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    classes, pairs = workload(args.dataset)
    texts = [d for _, d in pairs]
    class_of = torch.tensor([c for c, _ in pairs])
    perm = torch.randperm(len(pairs))
    batches = [perm[i:i + args.batch_size] for i in range(0, len(pairs), args.batch_size)]

    def make():
        prompts = TextPrompts(enc, n_ctx=6, depth=9)
        classifier = PromptedClassifier(enc, classes, prompts)
        return classifier, torch.optim.AdamW(prompts.parameters(), lr=0.005, betas=(0.9, 0.98), weight_decay=0.1)

    # (a) upstream
    up_classifier, up_optim = make()
    desc_tokens = enc.tokenize(texts)

    def upstream_step(idx):
        with torch.no_grad():
            target = enc(desc_tokens[idx], trim=False)
        tokens = up_classifier.tokens[class_of[idx]]
        pred = enc(tokens, ctx=up_classifier.prompts.ctx, deep_ctx=list(up_classifier.prompts.deep_ctx), trim=False)
        loss = text_to_text_loss(pred, target)
        up_optim.zero_grad()
        loss.backward()
        up_optim.step()

    # (b) this project
    start = time.perf_counter()
    targets = enc.encode_texts(texts)
    target_time = time.perf_counter() - start
    classifier, optim = make()

    def project_step(idx):
        unique, inverse = class_of[idx].unique(return_inverse=True)
        loss = text_to_text_loss(classifier(unique)[inverse], targets[idx])
        optim.zero_grad()
        loss.backward()
        optim.step()

    up = statistics.median(time_epochs(upstream_step, batches, args.epochs))
    ours = statistics.median(time_epochs(project_step, batches, args.epochs))
    print(f"backbone {args.backbone} (random weights), {len(classes)} classes x {len(pairs) // len(classes)} "
          f"descriptions, batch {args.batch_size}, {len(batches)} steps/epoch, torch threads {torch.get_num_threads()}")
    print(f"(a) upstream way : {up:8.3f} s/epoch (median of {args.epochs})")
    print(f"(b) this project : {ours:8.3f} s/epoch (median of {args.epochs}); "
          f"one-time description encoding {target_time:.3f} s")
    print(f"speed-up per epoch: {up / ours:.1f}x")


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m benchmarks.medpromptclip_epoch")
