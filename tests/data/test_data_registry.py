"""The Dassl side: every spec registered, config keys, Datum without existence check, a real DataManager."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

from dassl.config import get_cfg_default  # noqa: E402
from dassl.data.datasets import DATASET_REGISTRY, Datum, build_dataset  # noqa: E402
from tiny_data import write_tiny_dataset  # noqa: E402

import datasets  # noqa: E402
from datasets.config import DATASET_DEFAULTS, add_dataset_config  # noqa: E402
from datasets.datum import LazyDatum  # noqa: E402
from medprompt.data.specs import DATASET_SPECS  # noqa: E402


def dassl_cfg(root: Path, name: str, num_shots: int = -1, seed: int = 1, **dataset_keys):
    """A Dassl default config with the adapter's keys, pointing at `root` and dataset `name`."""
    cfg = get_cfg_default()
    add_dataset_config(cfg)
    cfg.DATASET.ROOT = str(root)
    cfg.DATASET.NAME = name
    cfg.DATASET.NUM_SHOTS = num_shots
    cfg.SEED = seed
    cfg.VERBOSE = False
    for key, value in dataset_keys.items():
        setattr(cfg.DATASET, key, value)
    return cfg


def test_every_spec_is_registered_as_its_own_class():
    names = set(DATASET_REGISTRY.registered_names())
    assert set(DATASET_SPECS) <= names
    for name, spec in DATASET_SPECS.items():
        cls = DATASET_REGISTRY.get(name)
        assert cls.__name__ == name and cls.spec is spec
        assert issubclass(cls, datasets.MedicalDataset)
    assert len({DATASET_REGISTRY.get(n) for n in DATASET_SPECS}) == len(DATASET_SPECS)


def test_add_dataset_config_adds_keys_and_keeps_existing_values():
    cfg = get_cfg_default()
    cfg.DATASET.SUBSAMPLE_CLASSES = "new"  # as if another module declared it first
    cfg.freeze()
    add_dataset_config(cfg)
    assert cfg.is_frozen()
    assert cfg.DATASET.SUBSAMPLE_CLASSES == "new"
    for key, value in DATASET_DEFAULTS.items():
        if key != "SUBSAMPLE_CLASSES":
            assert cfg.DATASET[key] == value
    before = cfg.dump()
    add_dataset_config(cfg)
    assert cfg.dump() == before
    assert cfg.DATASET.SPLIT_FILE == "" and cfg.DATASET.REQUIRE_TRAIN_IMAGES is True


def test_lazy_datum_skips_the_existence_assertion(tmp_path):
    missing = str(tmp_path / "nope.png")
    with pytest.raises(AssertionError), pytest.warns(UserWarning):
        Datum(impath=missing)
    d = LazyDatum(impath=missing, label=3, classname="x")
    assert isinstance(d, Datum) and (d.impath, d.label, d.domain, d.classname) == (missing, 3, 0, "x")


@pytest.mark.parametrize("name", sorted(DATASET_SPECS))
def test_tiny_dataset_of_every_spec_loads(name, tmp_path):
    folder = write_tiny_dataset(tmp_path, name, per_class=2, size=8)
    assert folder == DATASET_SPECS[name].dataset_dir(tmp_path)
    ds = build_dataset(dassl_cfg(tmp_path, name))
    spec = DATASET_SPECS[name]
    assert ds.classnames == list(spec.classnames) and ds.num_classes == spec.num_classes
    assert len(ds.train_x) == len(ds.val) == len(ds.test) == 2 * spec.num_classes
    assert ds.modality == spec.modality and ds.spec is spec
    assert all(isinstance(d, LazyDatum) and Path(d.impath).is_file() for d in ds.train_x)


def test_training_images_may_be_absent_for_text_only_methods(tmp_path):
    write_tiny_dataset(tmp_path, "BTMRI", with_train_images=False)
    ds = build_dataset(dassl_cfg(tmp_path, "BTMRI", num_shots=1, REQUIRE_TRAIN_IMAGES=False))
    assert len(ds.train_x) == 4 and not any(Path(d.impath).exists() for d in ds.train_x)
    with pytest.raises(ValueError, match=r"BTMRI: images named in split file split_BTMRI.json are missing.*8 entries"):
        build_dataset(dassl_cfg(tmp_path, "BTMRI"))


def test_tiny_images_are_class_coloured(tmp_path):
    import numpy as np
    from PIL import Image

    write_tiny_dataset(tmp_path, "BUSI", size=16)
    ds = build_dataset(dassl_cfg(tmp_path, "BUSI"))
    means: dict[int, list] = {}
    for d in ds.test:
        means.setdefault(d.label, []).append(np.asarray(Image.open(d.impath).convert("RGB"), float).mean((0, 1)))
    centres = {label: np.mean(rows, 0) for label, rows in means.items()}
    gaps = [np.abs(centres[i] - centres[j]).sum() for i in centres for j in centres if i < j]
    spread = max(np.abs(r - centres[label]).sum() for label, rows in means.items() for r in rows)
    assert min(gaps) > 60 and spread < 10  # classes far apart in colour, images of a class close


def test_data_manager_reads_batches(tmp_path):
    from dassl.data import DataManager

    write_tiny_dataset(tmp_path, "Derm7pt", per_class=3, size=16)
    cfg = dassl_cfg(tmp_path, "Derm7pt", num_shots=2)
    cfg.INPUT.SIZE = (16, 16)
    cfg.DATALOADER.NUM_WORKERS = 0
    cfg.DATALOADER.TRAIN_X.BATCH_SIZE = 4
    cfg.DATALOADER.TEST.BATCH_SIZE = 4
    random.seed(1234)  # unrelated global state must not matter
    dm = DataManager(cfg)
    batch = next(iter(dm.train_loader_x))
    assert tuple(batch["img"].shape) == (4, 3, 16, 16)
    assert sorted(batch["label"].tolist()) == [0, 0, 1, 1]
    assert dm.num_classes == 2 and dm.lab2cname == {0: "melanoma", 1: "nevus"}
