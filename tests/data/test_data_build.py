"""Datasets without a split file: a split is built from class folders, deterministically, saved once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_data import write_tiny_dataset

from medprompt.data.errors import DatasetError
from medprompt.data.folders import build_split_from_folders, split_counts
from medprompt.data.loader import LoadOptions, load_dataset
from medprompt.data.specs import get_spec


def folders_only(root: Path, name: str, per_class: int = 2) -> Path:
    """Class folders of images (3 * per_class each) and no split file."""
    folder = write_tiny_dataset(root, name, per_class=per_class, size=8)
    (folder / get_spec(name).default_split_file).unlink()
    return folder


@pytest.mark.parametrize("name", ["NCT", "SkinCancer", "OCTMNIST"])
def test_split_is_built_saved_and_logged(name, tmp_path):
    folder = folders_only(tmp_path, name, per_class=4)  # 12 images per class
    spec = get_spec(name)
    log: list[str] = []
    loaded = load_dataset(spec, tmp_path, LoadOptions(), log=log.append)
    saved = folder / f"split_{spec.folder}.json"
    assert loaded.split_path == saved and saved.is_file()
    assert any(line.startswith(f"{name}: no split file found; built one") and str(saved) in line for line in log)
    data = json.loads(saved.read_text())
    n_train, n_val, n_test = split_counts(12, 0.7, 0.15)
    for key, n in (("train", n_train), ("val", n_val), ("test", n_test)):
        assert len(data[key]) == n * spec.num_classes
    assert {tuple(e[1:]) for e in data["test"]} == set(enumerate(spec.raw_classnames))
    assert all(e[0].split("/")[0] == spec.class_folders[e[1]] for k in data for e in data[k])
    assert loaded.classnames == list(spec.classnames)
    paths = [e[0] for k in data for e in data[k]]
    assert len(paths) == len(set(paths)) == 12 * spec.num_classes

    log.clear()
    load_dataset(spec, tmp_path, LoadOptions(), log=log.append)
    assert not any("built one" in line for line in log)  # the saved file is found next time


def test_build_is_deterministic_and_follows_ratios_and_seed(tmp_path):
    a, b = folders_only(tmp_path / "a", "NCT", 5), folders_only(tmp_path / "b", "NCT", 5)
    spec = get_spec("NCT")

    def build(folder: Path, **kw):
        return build_split_from_folders(folder, spec.class_folders, spec.raw_classnames, dataset="NCT", **kw)

    assert build(a) == build(b)
    assert build(a, seed=2) != build(a)
    half = build(a, train_ratio=0.5, val_ratio=0.2)
    assert [len(half[k]) for k in ("train", "val", "test")] == [n * 9 for n in split_counts(15, 0.5, 0.2)]
    assert split_counts(15, 0.5, 0.2) == (8, 3, 4) and split_counts(3, 0.7, 0.15) == (1, 1, 1)


def test_build_ratios_come_from_the_config(tmp_path):
    pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")
    from dassl.data.datasets import build_dataset
    from test_data_registry import dassl_cfg

    folders_only(tmp_path, "OCTMNIST", per_class=4)
    ds = build_dataset(dassl_cfg(tmp_path, "OCTMNIST", SPLIT_TRAIN_RATIO=0.5, SPLIT_VAL_RATIO=0.25, SPLIT_SEED=3))
    assert (len(ds.train_x), len(ds.val), len(ds.test)) == (24, 12, 12)
    assert Path(ds.split_path).name == "split_OCTMNIST.json"


def test_build_errors_leave_no_file(tmp_path):
    folder = folders_only(tmp_path, "NCT")
    spec = get_spec("NCT")
    for image in (spec.image_dir(tmp_path) / "MUC").iterdir():
        if not image.name.startswith("train"):
            image.unlink()  # 2 images left
    with pytest.raises(DatasetError, match=r"NCT: class folders with fewer than 3 images .*1 entry: MUC \(2 images\)"):
        load_dataset(spec, tmp_path, LoadOptions(), log=lambda *_: None)
    (spec.image_dir(tmp_path) / "MUC").rename(spec.image_dir(tmp_path) / "mucus")
    with pytest.raises(DatasetError, match=r"NCT: class folders not found .*1 entry: MUC"):
        load_dataset(spec, tmp_path, LoadOptions(), log=lambda *_: None)
    with pytest.raises(DatasetError, match=r"NCT: bad split ratios train=0.9 val=0.2"):
        load_dataset(spec, tmp_path, LoadOptions(split_train_ratio=0.9, split_val_ratio=0.2), log=lambda *_: None)
    assert not any(p.suffix in {".json", ".tmp"} for p in folder.rglob("*"))
