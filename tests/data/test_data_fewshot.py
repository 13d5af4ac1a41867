"""Few-shot samples: per-class counts, a local seed, the JSON cache, and base/new class groups."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tiny_data import write_tiny_dataset

from medprompt.data.loader import LoadOptions, load_dataset
from medprompt.data.specs import get_spec
from medprompt.data.splits import (
    Item,
    base_new_labels,
    few_shot,
    sample_per_class,
    subsample_classes,
)


def items(per_class: int, num_classes: int) -> list[Item]:
    return [Item(f"/d/{c}_{i}.png", c, f"class {c}") for c in range(num_classes) for i in range(per_class)]


def quiet(*_):
    pass


def test_sample_per_class_counts_and_order():
    train = items(10, 3)
    sample = sample_per_class(train, 4, random.Random(0))
    assert [it.label for it in sample] == [0] * 4 + [1] * 4 + [2] * 4
    assert len(set(sample)) == 12 and set(sample) <= set(train)
    short = sample_per_class(items(2, 3), 5, random.Random(0))
    assert sorted(short, key=str) == sorted(items(2, 3), key=str)  # short classes give all they have
    assert sample_per_class(train, -1, random.Random(0)) == train


@pytest.mark.parametrize("k", [1, 2, 4, 8, 16])
def test_validation_gets_at_most_four_shots(k):
    train_k, val_k = few_shot(items(20, 2), items(20, 2), k, seed=1)
    assert len(train_k) == 2 * k and len(val_k) == 2 * min(k, 4)


def test_sample_ignores_global_random_state():
    train, val = items(30, 4), items(30, 4)
    random.seed(0)
    first = few_shot(train, val, 4, seed=7)
    random.seed(99)
    random.random()
    second = few_shot(train, val, 4, seed=7)
    assert first == second
    others = {tuple(few_shot(train, val, 4, seed=s)[0]) for s in range(1, 6)}
    assert len(others) > 1  # the seed matters


def test_base_new_split_and_relabel():
    assert base_new_labels(5, "base") == [0, 1, 2] and base_new_labels(5, "new") == [3, 4]
    assert base_new_labels(4, "all") == [0, 1, 2, 3]
    train, test = items(2, 5), items(1, 5)
    base_train, base_test = subsample_classes(train, test, subsample="base")
    new_train, new_test = subsample_classes(train, test, subsample="new")
    assert sorted({it.label for it in base_train}) == [0, 1, 2]
    assert sorted({it.label for it in new_test}) == [0, 1]
    assert {it.classname for it in new_test} == {"class 3", "class 4"}
    assert [it.impath for it in new_train] == [it.impath for it in train if it.label >= 3]
    with pytest.raises(ValueError, match="SUBSAMPLE_CLASSES"):
        subsample_classes(train, subsample="novel")


def test_cache_is_json_and_reused(tmp_path):
    folder = write_tiny_dataset(tmp_path, "Kvasir", per_class=5, size=8)
    spec = get_spec("Kvasir")
    log: list[str] = []
    first = load_dataset(spec, tmp_path, LoadOptions(num_shots=2, seed=3), log=log.append)
    cache = folder / "split_fewshot" / "shot_2-seed_3.json"
    assert first.fewshot_path == cache and cache.is_file()
    record = json.loads(cache.read_text())
    assert record["num_shots"] == 2 and record["seed"] == 3
    assert len(record["train"]) == 2 * spec.num_classes and len(record["val"]) == 2 * spec.num_classes
    assert all(not Path(row[0]).is_absolute() for row in record["train"])
    assert any("Saved few-shot sample" in line for line in log)

    log.clear()
    random.seed(12345)
    again = load_dataset(spec, tmp_path, LoadOptions(num_shots=2, seed=3), log=log.append)
    assert any("Loading few-shot sample" in line for line in log)
    assert again.train == first.train and again.val == first.val
    assert len(first.test) == 5 * spec.num_classes  # test is never subsampled


def test_cache_is_redrawn_when_the_split_file_changes(tmp_path):
    folder = write_tiny_dataset(tmp_path, "BUSI", per_class=4, size=8)
    spec = get_spec("BUSI")
    load_dataset(spec, tmp_path, LoadOptions(num_shots=1, seed=1), log=quiet)
    split_file = folder / spec.default_split_file
    data = json.loads(split_file.read_text())
    data["train"] = data["train"][1:]  # drop one training entry: the old cache may name it
    split_file.write_text(json.dumps(data))
    log: list[str] = []
    loaded = load_dataset(spec, tmp_path, LoadOptions(num_shots=1, seed=1), log=log.append)
    assert any("does not match split file" in line for line in log)
    assert set(loaded.train) <= set(load_dataset(spec, tmp_path, LoadOptions(), log=quiet).train)


def test_two_methods_with_one_seed_train_on_the_same_images(tmp_path):
    pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")
    from dassl.data.datasets import build_dataset
    from test_data_registry import dassl_cfg

    write_tiny_dataset(tmp_path / "a", "CHMNIST", per_class=6, size=8)
    write_tiny_dataset(tmp_path / "b", "CHMNIST", per_class=6, size=8)

    def sample(root: Path, trainer: str, noise: int) -> list[tuple[str, int]]:
        cfg = dassl_cfg(root, "CHMNIST", num_shots=4, seed=2)
        cfg.TRAINER.NAME = trainer
        random.seed(noise)  # what a trainer did before must not matter
        [random.random() for _ in range(noise)]
        return [(Path(d.impath).relative_to(root).as_posix(), d.label) for d in build_dataset(cfg).train_x]

    # Separate roots: no shared cache, so equality comes from the seed alone.
    a, b = sample(tmp_path / "a", "CoOp", 3), sample(tmp_path / "b", "MedPromptCLIP", 17)
    assert a == b and len(a) == 4 * get_spec("CHMNIST").num_classes
    assert sample(tmp_path / "a", "KgCoOp", 5) == a  # and through the cache


def test_all_data_when_num_shots_is_minus_one(tmp_path):
    folder = write_tiny_dataset(tmp_path, "RETINA", per_class=3, size=8)
    loaded = load_dataset(get_spec("RETINA"), tmp_path, LoadOptions(num_shots=-1), log=quiet)
    assert len(loaded.train) == len(loaded.val) == 3 * 4 and loaded.fewshot_path is None
    assert not (folder / "split_fewshot").exists()
