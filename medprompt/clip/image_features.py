"""Encode every image of a loader once with a frozen image encoder (the content of the image cache).

The forward pass runs under torch.inference_mode (no autograd bookkeeping at all; see
benchmarks/image_encoding.py for what it buys). Its outputs are inference tensors, which autograd refuses
to save for backward; the features returned are concatenated outside that mode, so they are ordinary
tensors that heads trained on cached features (trainers/cached.py) may use like any other.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch
from torch import Tensor
from tqdm import tqdm


#: Images per forward pass of the frozen encoder on the CPU (benchmarks/image_encoding.py: batches of 8
#: gave more images/s than 32 or 100 on ViT-B-16; a GPU keeps DATALOADER.TEST.BATCH_SIZE).
CPU_BATCH_SIZE = 8


def loader_settings(device_type: str, batch_size: int, workers: int, threads: int, cores: int) -> tuple[int, int]:
    """(batch size, decoding worker processes) of an encoding loader. On the CPU the encoder's threads
    already hold `threads` of the `cores`: workers get only the cores left (decoding beside the encoder
    on the same cores was slower than decoding in the main process), and batches are CPU_BATCH_SIZE."""
    if device_type != "cpu":
        return batch_size, workers
    return min(batch_size, CPU_BATCH_SIZE), min(workers, max(0, cores - threads))


def encode_loader(encode: Callable[[Tensor], Tensor], loader: Iterable[dict], device: torch.device,
                  desc: str = "Encoding images", inference: bool = True, progress: bool = True) -> dict[str, Tensor]:
    """{'features': [N, D] float32 on CPU, 'labels': [N]} over a loader of {'img', 'label'} batches.

    `inference` False runs the forward pass under torch.no_grad instead (the former path, for comparison)."""
    features, labels = [], []
    mode = torch.inference_mode if inference else torch.no_grad
    for batch in tqdm(loader, desc=desc, leave=False, disable=not progress):
        with mode():
            features.append(encode(batch["img"].to(device)).float().cpu())
        labels.append(torch.as_tensor(batch["label"]))
    return {"features": torch.cat(features), "labels": torch.cat(labels)}
