"""Images per second of the frozen image encoder through the project's own path, by setting.

The path is the one a run takes on a cache miss (PromptTrainerBase.split_features): Dassl's test loader
(the project's DatasetWrapper, datasets/wrapper.py, reads each file with medprompt.data.decode and applies
Dassl's test transform: resize, center crop, normalise) feeding medprompt.clip.image_features.encode_loader.
Images: IMAGES random-noise RGB PNG files of SOURCE_SIZE px written to a temporary folder (noise compresses
badly, so decoding is not flattering).

One factor varies at a time around the base setting (by default what a run does on this CPU:
medprompt/clip/image_features.py loader_settings, the thread policy of medprompt/utils/threads.py); each cell is timed
REPEATS times in alternation with the others and the median is printed:
- batch size of the encoding loader (DATALOADER.TEST.BATCH_SIZE);
- DataLoader worker processes decoding images (DATALOADER.NUM_WORKERS);
- torch threads of the encoder;
- the autograd mode of the forward pass: torch.no_grad (the former path) or torch.inference_mode.

    python -m benchmarks.image_encoding [--backbone vit-b16|tiny] [--images 32] [--repeats 2]

--backbone vit-b16 is ViT-B-16 at 224 px with random weights (the throughput does not depend on the
weights); tiny is the repository's synth-clip image tower (48 px), for a quick check of the script.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import statistics
import tempfile
import time
from pathlib import Path

from medprompt.utils import threads

threads.prepare_environment()  # as train.py: before torch loads OpenMP

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from medprompt.clip.backbones import load_backbone  # noqa: E402
from medprompt.clip.image_features import encode_loader, loader_settings  # noqa: E402

BACKBONES = {"vit-b16": ("ViT-B-16", "random", 224), "tiny": ("synth-clip", "", 48)}


def write_images(folder: Path, count: int, size: int) -> list[str]:
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        path = folder / f"img_{i}.png"
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)
        paths.append(str(path))
    return paths


def make_loader(paths: list[str], image_size: int, batch_size: int, workers: int):
    from dassl.config import get_cfg_default
    from dassl.data.data_manager import build_data_loader
    from dassl.data.datasets import Datum
    from dassl.data.transforms import build_transform

    from datasets.wrapper import DecodingDatasetWrapper

    cfg = get_cfg_default()
    cfg.INPUT.SIZE = (image_size, image_size)
    cfg.INPUT.INTERPOLATION = "bicubic"
    cfg.INPUT.TRANSFORMS = ("normalize",)  # the test transform of every run: resize, crop, normalise
    cfg.DATALOADER.NUM_WORKERS = workers
    cfg.USE_CUDA = False
    with contextlib.redirect_stdout(io.StringIO()):  # Dassl describes the transform on every build
        tfm = build_transform(cfg, is_train=False)
    items = [Datum(impath=p, label=0) for p in paths]
    return build_data_loader(cfg, sampler_type="SequentialSampler", data_source=items, batch_size=batch_size,
                             tfm=tfm, is_train=False, dataset_wrapper=DecodingDatasetWrapper)


def images_per_second(encode, paths, image_size, batch_size, workers, threads, mode) -> float:
    torch.set_num_threads(threads)
    loader = make_loader(paths, image_size, batch_size, workers)
    grad_mode = torch.no_grad() if mode == "no_grad" else contextlib.nullcontext()
    start = time.perf_counter()
    with grad_mode:
        encode_loader(encode, loader, torch.device("cpu"), inference=mode == "inference_mode", progress=False)
    return len(paths) / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backbone", choices=sorted(BACKBONES), default="vit-b16")
    p.add_argument("--images", type=int, default=32)
    p.add_argument("--source-size", type=int, default=512, help="side of the PNG files, px")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32, 100])
    p.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2, 4])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--base", default="", help="base setting as batch,workers,threads,mode "
                   "(default: what a run does on this CPU with the configs' batch 100 and 4 workers)")
    args = p.parse_args()

    name, weights, image_size = BACKBONES[args.backbone]
    torch.manual_seed(0)
    model = load_backbone(name, weights or "", "cpu").model
    if args.base:
        base = dict(zip(("batch_size", "workers", "threads", "mode"), args.base.split(",")))
    else:  # what a run does with the configs' test loader (batch 100, 4 workers) on this CPU
        batch, workers = loader_settings("cpu", 100, 4, threads.default_threads(), threads.available_cores())
        base = {"batch_size": batch, "workers": workers, "threads": threads.default_threads(),
                "mode": "inference_mode"}
    base = {k: (v if k == "mode" else int(v)) for k, v in base.items()}
    cells = [base]
    for key, values in (("batch_size", args.batch_sizes), ("workers", args.workers), ("threads", args.threads),
                        ("mode", ["no_grad", "inference_mode"])):
        cells += [{**base, key: v} for v in values if {**base, key: v} not in cells]

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_images(Path(tmp), args.images, args.source_size)
        encode_loader(model.encode_image, make_loader(paths[:2], image_size, 2, 0), torch.device("cpu"),
                      progress=False)  # warm-up
        rates: dict[int, list[float]] = {i: [] for i in range(len(cells))}
        for _, i in itertools.product(range(args.repeats), range(len(cells))):
            rates[i].append(images_per_second(model.encode_image, paths, image_size, **cells[i]))

    print(f"backbone {name} ({weights or 'shipped weights'}), {image_size} px input, {args.images} PNG images of "
          f"{args.source_size} px, {threads.available_cores()} cores available, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, median of {args.repeats}")
    print(f"{'batch':>6} {'workers':>8} {'threads':>8} {'mode':>15} {'images/s':>9}")
    for i, cell in enumerate(cells):
        mark = "  <- base" if i == 0 else ""
        print(f"{cell['batch_size']:>6} {cell['workers']:>8} {cell['threads']:>8} {cell['mode']:>15} "
              f"{statistics.median(rates[i]):>9.2f}{mark}")


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m benchmarks.image_encoding")
