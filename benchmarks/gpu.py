"""GPU check and benchmark, for a machine with a CUDA device (benchmarks/gpu.sh runs it).

1. Precisions: every trainer of the project trains one short epoch on a tiny image tree with a tiny
   random open_clip model, in fp32, fp16 and bf16 (MODEL.PRECISION, autocast on CUDA). Fails when a
   learned tensor or a metric is not finite, or when a precision's test accuracy is further than
   --max-acc-gap points from fp32's.
2. Speed: MedPromptCLIP training on the reference workload (4 classes x 16 descriptions, N_CTX 6,
   DEPTH 9, batch 32, AdamW) and frozen image encoding at 224 px, for ViT-B-16 and ViT-L-14 with
   random weights, per precision: training steps/s, images/s, peak GPU memory. `--backbones` also takes
   the publishers' backbones by short name (plip, pubmedclip, pubmedclip-hf, quiltnet, unimed, pmc-clip-rn50,
   medclip, flair; docs/BACKBONES.md) or as `local-dir:` folders, with their own weights: they need their
   files on the machine (Hugging Face cache or the download folder). `--published` times every one of them
   whose files are here and lists the others as not found.

Without a CUDA device it says so and exits 0. `--device cpu` runs the same code on the CPU (fp32, the
tiny model only), which is how the tests keep this script from rotting.

    bash benchmarks/gpu.sh [--out results.md]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import tempfile
import time
from pathlib import Path

import torch

from medprompt.utils.paths import REPO

PRECISIONS = ("fp32", "fp16", "bf16")
DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}
STACKED = {"MedPromptCLIP_CoOp": "MedPromptCLIP", "MedPromptCLIP_MaPLe": "MedPromptCLIP"}
DATASET_OF = {"ViP": "Pneumonia"}  # the trainers whose shipped files (symptoms) cover a few datasets only


def project_trainers() -> list[str]:
    """Every trainer the project registers in Dassl, stacked ones last (they start from another's run)."""
    from dassl.engine import TRAINER_REGISTRY

    import trainers  # noqa: F401  (registers them)

    names = [n for n in TRAINER_REGISTRY.registered_names() if TRAINER_REGISTRY.get(n).__module__.startswith("trainers.")]
    return sorted(names, key=lambda n: (n in STACKED, n))


def build_trainer(name: str, dataset: str, root: Path, model_dir: Path, out: Path, precision: str, device: str,
                  extra: list[str] = ()):
    """A trainer built as train.py builds it (config layers included), for one short tiny run."""
    from dassl.engine import build_trainer as dassl_build

    from medprompt.run.train_args import build_parser
    from trainers import launch

    argv = ["--root", str(root), "--seed", "1", "--trainer", name,
            "--dataset-config-file", str(REPO / "configs" / "datasets" / f"{dataset}.yaml"),
            "--config", "vit_b16", "--output-dir", str(out),
            "MODEL.BACKBONE.NAME", f"local-dir:{model_dir}", "MODEL.PRECISION", precision,
            "MODEL.CACHE_DIR", str(out.parent / "cache"), "USE_CUDA", str(device == "cuda"),
            "DATALOADER.NUM_WORKERS", "0", "INPUT.SIZE", "(32,32)", "OPTIM.MAX_EPOCH", "1", "OPTIM.WARMUP_EPOCH", "0",
            "DATALOADER.TRAIN_X.BATCH_SIZE", "4", "DATALOADER.TEST.BATCH_SIZE", "16", "TRAIN.PRINT_FREQ", "1000",
            *extra]
    return dassl_build(launch.setup_cfg(build_parser().parse_args(argv)))


def check_precisions(work: Path, device: str, max_gap: float, only: list[str] | None = None) -> list[list]:
    """Rows (trainer, precision, accuracy, gap to fp32, seconds); raises on a NaN or a gap."""
    from tests import tiny_data, tiny_models

    model_dir = tiny_models.write_local_dir(work / "model", "native")
    roots = {}
    precisions = PRECISIONS if device == "cuda" else ("fp32",)  # autocast is for CUDA only
    rows, failures = [], []
    for name in [n for n in project_trainers() if not only or n in only]:
        dataset = DATASET_OF.get(name, "BTMRI")
        if dataset not in roots:
            roots[dataset] = work / f"data_{dataset}"
            tiny_data.write_tiny_dataset(roots[dataset], dataset, per_class=8)
        fp32_acc = None
        for precision in precisions:
            out = work / "runs" / f"{name}_{precision}"
            extra = ["TRAINER.STACKING.INIT_FROM", str(work / "runs" / f"{STACKED[name]}_{precision}")] if name in STACKED else []
            start = time.perf_counter()
            with contextlib.redirect_stdout(sys.stderr):  # Dassl's chatter; the table goes to stdout
                trainer = build_trainer(name, dataset, roots[dataset], model_dir, out, precision, device, extra)
                if trainer.get_model_names():
                    trainer.train()  # one epoch, a checkpoint (stacked trainers start from it), a test
                acc = float(trainer.test())
            seconds = time.perf_counter() - start
            learner = getattr(trainer, "learner", None)
            finite = learner is None or all(bool(torch.isfinite(p).all()) for p in learner.parameters())
            fp32_acc = acc if precision == "fp32" else fp32_acc
            gap = abs(acc - fp32_acc)
            rows.append([name, precision, f"{acc:.1f}", f"{gap:.1f}", f"{seconds:.1f}"])
            if not finite or not math.isfinite(acc):
                failures.append(f"{name} {precision}: non-finite learned tensors or accuracy")
            elif gap > max_gap:
                failures.append(f"{name} {precision}: accuracy {acc:.1f} vs fp32 {fp32_acc:.1f}")
    if failures:
        raise SystemExit("Precision check failed:\n  " + "\n  ".join(failures))
    return rows


def reference_pairs() -> tuple[list[str], list[tuple[int, str]]]:
    """4 classes x 16 descriptions from a shipped description file (docs/docs/DESIGN.md §5)."""
    from medprompt.data.descriptions import load_descriptions

    data = load_descriptions(REPO / "llm_descriptions" / "BTMRI.json")
    classes = list(data)[:4]
    return classes, [(c, d) for c, name in enumerate(classes) for d in data[name][:16]]


def synchronize(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def time_backbone(arch: str, precision: str, device: str, steps: int, images: int, batch: int) -> list:
    """[arch, precision, training steps/s, images/s, peak GPU memory GiB] for one backbone."""
    from medprompt.clip.backbones import load_backbone
    from medprompt.clip.prompts import PromptedClassifier, TextPrompts
    from medprompt.clip.text_encoder import PromptedTextEncoder
    from medprompt.methods.medpromptclip import text_to_text_loss

    torch.manual_seed(0)
    from medprompt.clip.backbones import HF_HUB_PREFIX, LOCAL_DIR_PREFIX, resolve
    from medprompt.clip.published import PUBLISHED_PREFIX

    # architecture names get random weights; folders, hub ids and the publishers' short names their own files
    own_files = resolve(arch)[0].startswith((LOCAL_DIR_PREFIX, HF_HUB_PREFIX, PUBLISHED_PREFIX))
    backbone = load_backbone(arch, "" if own_files else "random", torch.device(device))
    model, size = backbone.model, backbone.model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    enc = PromptedTextEncoder(model, backbone.tokenizer)
    autocast = (torch.autocast("cuda", dtype=DTYPES[precision]) if device == "cuda" and precision in DTYPES
                else contextlib.nullcontext())
    classes, pairs = reference_pairs()
    with autocast:
        targets = enc.encode_texts([d for _, d in pairs]).to(device)
    class_of = torch.tensor([c for c, _ in pairs], device=device)
    prompts = TextPrompts(enc, n_ctx=6, depth=min(9, enc.num_layers)).to(device)
    classifier = PromptedClassifier(enc, classes, prompts).to(device)
    optim = torch.optim.AdamW(prompts.parameters(), lr=0.005, betas=(0.9, 0.98), weight_decay=0.1)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()

    def step(idx):
        unique, inverse = class_of[idx].unique(return_inverse=True)
        with autocast:
            pred = classifier(unique)[inverse]
        loss = text_to_text_loss(pred.float(), targets[idx].float())
        optim.zero_grad()
        loss.backward()
        optim.step()
        return loss

    order = torch.randperm(len(pairs), device=device)
    batches = [order[i:i + 32] for i in range(0, len(pairs), 32)]
    loss = step(batches[0])  # warm-up
    synchronize(device)
    start = time.perf_counter()
    for i in range(steps):
        loss = step(batches[i % len(batches)])
    synchronize(device)
    steps_per_s = steps / (time.perf_counter() - start)
    if not torch.isfinite(loss):
        raise SystemExit(f"{arch} {precision}: training loss is {loss.item()}")

    pixels = torch.randn(batch, 3, size, size, device=device)
    with torch.inference_mode(), autocast:
        model.encode_image(pixels)  # warm-up
        synchronize(device)
        start = time.perf_counter()
        for _ in range(max(images // batch, 1)):
            feats = model.encode_image(pixels)
        synchronize(device)
    images_per_s = max(images // batch, 1) * batch / (time.perf_counter() - start)
    if not torch.isfinite(feats).all():
        raise SystemExit(f"{arch} {precision}: image features are not finite")
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else float("nan")
    del model, backbone, enc, classifier
    if device == "cuda":
        torch.cuda.empty_cache()
    return [arch, precision, f"{steps_per_s:.1f}", f"{images_per_s:.0f}", f"{peak:.2f}"]


def time_published(precisions, args) -> list[list]:
    """time_backbone for each publisher's backbone whose files are here; a 'not found' row for the others."""
    from medprompt.clip.backbones import BackboneNotFoundError
    from medprompt.clip.published import SHORT_NAMES

    rows = []
    for name in ["quiltnet", *SHORT_NAMES]:
        try:
            rows += [time_backbone(name, precision, args.device, args.steps, args.images, args.batch)
                     for precision in precisions]
        except BackboneNotFoundError as err:
            rows.append([name, "-", "not found", str(err).split(":")[0], "-"])
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--backbones", nargs="+", default=["ViT-B-16", "ViT-L-14"])
    p.add_argument("--published", action="store_true",
                   help="also time every publisher's backbone (docs/BACKBONES.md) whose files are on this machine")
    p.add_argument("--steps", type=int, default=50, help="timed training steps per backbone and precision")
    p.add_argument("--images", type=int, default=1024, help="timed images per backbone and precision")
    p.add_argument("--batch", type=int, default=128, help="image batch size")
    p.add_argument("--max-acc-gap", type=float, default=12.5, help="allowed accuracy gap to fp32, in points")
    p.add_argument("--trainers", nargs="+", help="only these trainers in the precision part (default: all)")
    p.add_argument("--skip-precisions", action="store_true", help="only the speed part")
    p.add_argument("--out", type=Path, help="also write the tables to this markdown file")
    args = p.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("No CUDA device here: the GPU benchmark needs one, so nothing was run.")
        return 0
    from tabulate import tabulate

    sections = [f"Device: {torch.cuda.get_device_name() if args.device == 'cuda' else 'CPU'}; torch {torch.__version__}"]
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_precisions:
            rows = check_precisions(Path(tmp), args.device, args.max_acc_gap, args.trainers)
            sections.append(tabulate(rows, headers=["trainer", "precision", "test acc %", "gap to fp32", "s"],
                                     tablefmt="github"))
    precisions = PRECISIONS if args.device == "cuda" else ("fp32",)
    speed = [time_backbone(arch, precision, args.device, args.steps, args.images, args.batch)
             for arch in args.backbones for precision in precisions]
    if args.published:
        speed += time_published(precisions, args)
    sections.append(tabulate(speed, headers=["backbone", "precision", "train steps/s", "images/s", "peak GiB"],
                             tablefmt="github"))
    text = "\n\n".join(sections)
    print(text)
    if args.out:
        from medprompt.utils.atomic import write_text

        write_text(args.out, text + "\n")
    return 0


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m benchmarks.gpu")
