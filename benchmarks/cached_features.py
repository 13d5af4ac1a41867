"""Time a head on frozen image features trained on cached features versus pushing every image through
the frozen encoder in every epoch (what the published adapter code does with augmentation on).

Workload: CLIP-Adapter (medprompt/methods/clip_adapter.py, reduction 4, ratio 0.2) on a few-shot task of CLASSES x
SHOTS random 224x224 images, batch 32, SGD 0.01, EPOCHS epochs, fp32 on the CPU, architecture given by
--backbone with random weights (the timing does not depend on the weights).

(a) through the encoder: every batch of every epoch is encoded by the frozen image tower, then the
    adapter steps;
(b) cached: every image is encoded once (timed separately; on disk it is shared by every method and seed
    of the same backbone), then each epoch steps the adapter over the stored features.

    python -m benchmarks.cached_features [--backbone vit-b16] [--classes 4] [--shots 16] [--epochs 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from medprompt.clip.backbones import load_backbone
from medprompt.methods.clip_adapter import ClipAdapter


def train_epochs(head, batches, features_of, epochs: int) -> float:
    """Seconds for `epochs` epochs of adapter steps over `batches` of (inputs, labels)."""
    optim = torch.optim.SGD(head.parameters(), lr=0.01, momentum=0.9)
    start = time.perf_counter()
    for _ in range(epochs):
        for inputs, labels in batches:
            loss = F.cross_entropy(head(features_of(inputs)), labels)
            optim.zero_grad()
            loss.backward()
            optim.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="vit-b16")
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--shots", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    clip = load_backbone(args.backbone, "random").model
    n = args.classes * args.shots
    images = torch.randn(n, 3, 224, 224)
    labels = torch.arange(args.classes).repeat_interleave(args.shots)
    batches = [(images[i:i + args.batch], labels[i:i + args.batch]) for i in range(0, n, args.batch)]

    @torch.no_grad()
    def encode(x):
        return clip.encode_image(x)

    with torch.no_grad():
        dim = encode(images[:1]).shape[1]
    text = F.normalize(torch.randn(args.classes, dim), dim=-1)
    scale = float(clip.logit_scale.exp())

    torch.manual_seed(1)
    through = train_epochs(ClipAdapter(text, 4, 0.2, scale), batches, encode, args.epochs)

    start = time.perf_counter()
    features = torch.cat([encode(x) for x, _ in batches])
    encode_once = time.perf_counter() - start
    cached = [(features[i:i + args.batch], labels[i:i + args.batch]) for i in range(0, n, args.batch)]
    torch.manual_seed(1)
    from_cache = train_epochs(ClipAdapter(text, 4, 0.2, scale), cached, lambda f: f, args.epochs)

    print(f"backbone {args.backbone} (random weights), {args.classes} classes x {args.shots} shots = {n} images "
          f"224x224, batch {args.batch}, {args.epochs} epochs, CLIP-Adapter, fp32 CPU, {args.threads} threads")
    print(f"(a) every image through the encoder each epoch: {through:.2f} s ({through / args.epochs:.3f} s/epoch)")
    print(f"(b) cached features: encode once {encode_once:.2f} s + training {from_cache:.3f} s "
          f"({from_cache / args.epochs:.4f} s/epoch) = {encode_once + from_cache:.2f} s")
    print(f"speed-up: {through / (encode_once + from_cache):.1f}x for this run; per epoch after the one pass "
          f"{through / max(from_cache, 1e-9):.0f}x; a further method or seed on the same images pays only "
          f"{from_cache:.3f} s")


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m benchmarks.cached_features")
