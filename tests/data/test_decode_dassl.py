"""The decoder inside Dassl's data pipeline: the project's DatasetWrapper gives what Dassl's own gives on
8-bit images (same keys, same tensors), INPUT.DECODE.* are config keys with defaults, the image-feature
cache keys on the rule, and the dataset check names an image it cannot read."""

from __future__ import annotations

import pytest

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

import torch  # noqa: E402
import torchvision.transforms as T  # noqa: E402
from PIL import Image  # noqa: E402

import tiny_data  # noqa: E402
from baseline_runs import build, train_args  # noqa: E402


def test_the_wrapper_gives_dassls_output_on_8_bit_images(native_dir, btmri_data, tmp_path):
    from dassl.data.data_manager import DatasetWrapper

    from datasets.wrapper import DecodingDatasetWrapper

    trainer = build(train_args("ZeroshotCLIP", native_dir, btmri_data, tmp_path / "out", tmp_path / "cache",
                               "DATALOADER.RETURN_IMG0", "True", "DATALOADER.K_TRANSFORMS", "2"))
    assert isinstance(trainer.train_loader_x.dataset, DecodingDatasetWrapper)
    assert isinstance(trainer.test_loader.dataset, DecodingDatasetWrapper)
    items = list(trainer.dm.dataset.train_x)
    tfms = [T.Compose([T.Resize((16, 16)), T.ToTensor()]), T.Compose([T.CenterCrop(8), T.ToTensor()])]
    for transform, is_train in ((tfms[0], False), (tfms, True), (None, False)):
        ours = DecodingDatasetWrapper(trainer.cfg, items, transform=transform, is_train=is_train)[1]
        stock = DatasetWrapper(trainer.cfg, items, transform=transform, is_train=is_train)[1]
        assert ours.keys() == stock.keys()
        for key, value in stock.items():
            if isinstance(value, Image.Image):
                assert ours[key].tobytes() == value.tobytes()
            elif isinstance(value, list):
                assert all(torch.equal(a, b) for a, b in zip(ours[key], value))
            elif isinstance(value, torch.Tensor):
                assert torch.equal(ours[key], value), key
            else:
                assert ours[key] == value, key


def test_decode_keys_have_defaults_and_take_overrides(native_dir, btmri_data, tmp_path):
    from medprompt.run.train_args import build_parser
    from trainers.launch import setup_cfg

    argv = train_args("ZeroshotCLIP", native_dir, btmri_data, tmp_path / "o", tmp_path / "c",
                      "INPUT.DECODE.DICOM_WINDOW", "[40, 400]")
    cfg = setup_cfg(build_parser().parse_args(argv))
    assert cfg.INPUT.DECODE.HIGH_DEPTH == "bits" and cfg.INPUT.DECODE.BITS == 0
    assert list(cfg.INPUT.DECODE.DICOM_WINDOW) == [40, 400] and cfg.INPUT.DECODE.DICOM_FRAME == -1


def test_the_image_feature_cache_keys_on_the_decoding_rule(native_dir, btmri_data, tmp_path):
    cache = tmp_path / "cache"
    folders = []  # the image-feature entries after each run
    for name, opts in (("bits", ()), ("image", ("INPUT.DECODE.HIGH_DEPTH", "image")), ("again", ())):
        trainer = build(train_args("ZeroshotCLIP", native_dir, btmri_data, tmp_path / name, cache, *opts))
        trainer.test()
        folders.append(sorted(p.name for p in (cache / "image_rows").iterdir()))
    assert len(folders[0]) == 1 and len(folders[1]) == 2, "another rule never reuses features read the other way"
    assert folders[2] == folders[1] and trainer.cache.misses == 0  # the same rule again reuses them


def test_the_dataset_check_names_an_unreadable_image(native_dir, tmp_path):
    from medprompt.data.errors import DatasetError

    root = tmp_path / "data"
    tiny_data.write_tiny_dataset(root, "BTMRI", per_class=2)
    bad = next(root.rglob("test_1.png"))
    bad.write_bytes(b"not an image")
    with pytest.raises(DatasetError, match=rf"cannot be read .*1 entry: {bad} \(UnidentifiedImageError\)"):
        build(train_args("ZeroshotCLIP", native_dir, root, tmp_path / "out", tmp_path / "cache"))
