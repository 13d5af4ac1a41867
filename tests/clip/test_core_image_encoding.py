"""The image-encoding path (inference mode, the project's batch size and decoding workers) gives the
features of the former one (no_grad, batches of 2, no workers) within 1e-5, as ordinary tensors that a
head may train on."""

from __future__ import annotations

import random

import pytest
import tiny_data
import torch
from e2e import needs_dassl

from medprompt.clip.backbones import load_backbone
from medprompt.clip.image_features import encode_loader


def loader(paths, batch_size, workers):
    from dassl.config import get_cfg_default
    from dassl.data.data_manager import build_data_loader
    from dassl.data.datasets import Datum
    from dassl.data.transforms import build_transform

    cfg = get_cfg_default()
    cfg.INPUT.SIZE = (32, 32)
    cfg.DATALOADER.NUM_WORKERS = workers
    cfg.USE_CUDA = False
    items = [Datum(impath=str(p), label=i % 3) for i, p in enumerate(paths)]
    return build_data_loader(cfg, sampler_type="SequentialSampler", data_source=items, batch_size=batch_size,
                             tfm=build_transform(cfg, is_train=False), is_train=False)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = random.Random(0)
    paths = [folder / f"{i}.png" for i in range(7)]
    for i, path in enumerate(paths):
        tiny_data.write_image(path, tiny_data.class_colour(i % 3, 3), 40, rng)
    return paths


def test_inference_path_equals_the_former_path_and_its_features_train(native_dir, images):
    needs_dassl()
    model = load_backbone(f"local-dir:{native_dir}").model
    cpu = torch.device("cpu")
    former = encode_loader(model.encode_image, loader(images, 2, 0), cpu, inference=False, progress=False)
    new = encode_loader(model.encode_image, loader(images, 100, 1), cpu, progress=False)
    assert new["features"].shape == (7, 32)
    torch.testing.assert_close(new["features"], former["features"], rtol=0, atol=1e-5)
    assert torch.equal(new["labels"], former["labels"])

    features = new["features"]
    assert not features.is_inference()  # autograd may save it: a head trains on it
    head = torch.nn.Linear(32, 3)
    torch.nn.functional.cross_entropy(head(features), new["labels"]).backward()
    assert head.weight.grad is not None and head.weight.grad.abs().sum() > 0


def test_cpu_encoding_batches_are_small_and_workers_get_only_the_cores_the_encoder_leaves():
    from medprompt.clip.image_features import CPU_BATCH_SIZE, loader_settings

    assert loader_settings("cpu", 100, 4, threads=2, cores=2) == (CPU_BATCH_SIZE, 0)
    assert loader_settings("cpu", 100, 4, threads=4, cores=16) == (CPU_BATCH_SIZE, 4)
    assert loader_settings("cpu", 4, 4, threads=1, cores=3) == (4, 2)
    assert loader_settings("cuda", 100, 4, threads=2, cores=2) == (100, 4)  # a GPU keeps the config's loader
