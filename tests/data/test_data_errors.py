"""Each bad input gives one clear error naming the dataset, the file, the first offenders and their count;
and a failed load leaves nothing half-written behind."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from tiny_data import write_tiny_dataset

from medprompt.data.errors import SHOWN_ENTRIES, DatasetError
from medprompt.data.loader import LoadOptions, load_dataset
from medprompt.data.specs import get_spec
from medprompt.utils.atomic import write_json as write_json_atomic


def quiet(*_):
    pass


def load(root: Path, name: str, **options):
    return load_dataset(get_spec(name), root, LoadOptions(**options), log=quiet)


def edit_split(folder: Path, name: str, change) -> Path:
    path = folder / get_spec(name).default_split_file
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


def all_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_missing_root(tmp_path):
    with pytest.raises(
        DatasetError, match=rf"^BUSI: data root does not exist \({re.escape(str(tmp_path / 'nowhere'))}\)"
    ):
        load(tmp_path / "nowhere", "BUSI")
    with pytest.raises(DatasetError, match=r"BUSI: data root does not exist \(<empty>\)"):
        load_dataset(get_spec("BUSI"), "", log=quiet)


def test_missing_dataset_and_image_folders(tmp_path):
    (tmp_path / "BUSl").mkdir()
    with pytest.raises(
        DatasetError, match=r"BUSI: dataset folder 'BUSI' not found under the root.*closest folders there: \['BUSl'\]"
    ):
        load(tmp_path, "BUSI")
    (tmp_path / "BUSI").mkdir()
    with pytest.raises(DatasetError, match=r"BUSI: image folder not found .*BUSI/BUSI\).*<root>/BUSI/BUSI/"):
        load(tmp_path, "BUSI")


def test_missing_split_file(tmp_path):
    folder = write_tiny_dataset(tmp_path, "Head_CT")
    (folder / get_spec("Head_CT").default_split_file).unlink()
    with pytest.raises(DatasetError) as err:
        load(tmp_path, "Head_CT")
    message = str(err.value)
    assert message.startswith("Head_CT: no split file found")
    assert f"({folder})" in message and "3 entries: " in message and "data_split.json" in message
    with pytest.raises(DatasetError, match=r"Head_CT: split file from DATASET.SPLIT_FILE not found \(.*mine.json\)"):
        load(tmp_path, "Head_CT", split_file="mine.json")


def test_missing_images_are_listed_and_counted(tmp_path):
    folder = write_tiny_dataset(tmp_path, "CTKidney", per_class=2)
    image_dir = get_spec("CTKidney").image_dir(tmp_path)
    gone = sorted(image_dir.rglob("test_*.png"))  # 8 images, more than an error shows
    for path in gone:
        path.unlink()
    with pytest.raises(DatasetError) as err:
        load(tmp_path, "CTKidney")
    message = str(err.value)
    assert message.startswith("CTKidney: images named in split file split_CTKidney.json are missing")
    assert str(folder / "split_CTKidney.json") in message
    assert f"{len(gone)} entries, first {SHOWN_ENTRIES}: test: cyst_kidney/test_0.png" in message
    assert message.count("test: ") == SHOWN_ENTRIES


def test_unreadable_image(tmp_path):
    folder = write_tiny_dataset(tmp_path, "BTMRI")
    bad = get_spec("BTMRI").image_dir(tmp_path) / "pituitary_tumor" / "val_1.png"
    bad.write_bytes(b"this is not a png")
    before = all_files(tmp_path)
    with pytest.raises(DatasetError) as err:
        load(tmp_path, "BTMRI", num_shots=2)
    message = str(err.value)
    assert message.startswith("BTMRI: images named in split file split_BTMRI.json cannot be read")
    assert f"1 entry: {bad} (UnidentifiedImageError)" in message and str(folder / "split_BTMRI.json") in message
    assert all_files(tmp_path) == before  # no few-shot cache written for a failed load
    assert len(load(tmp_path, "BTMRI", num_shots=2, verify_images=False).train) == 8


def test_label_and_classname_disagree(tmp_path):
    folder = write_tiny_dataset(tmp_path, "BUSI")

    def swap(data):
        data["val"][3][2] = "normal scan"  # label 1 (malignant tumor) under another name

    path = edit_split(folder, "BUSI", swap)
    with pytest.raises(DatasetError) as err:
        load(tmp_path, "BUSI")
    message = str(err.value)
    assert message.startswith(f"BUSI: label and class name disagree in split file ({path}): 1 entry: val[3]:")
    assert "'normal scan'" in message and "label 1 is 'malignant tumor' elsewhere" in message


def test_label_order_other_than_the_specs(tmp_path):
    folder = write_tiny_dataset(tmp_path, "Br35H")

    def flip(data):
        for entries in data.values():
            for entry in entries:
                entry[1] = 1 - entry[1]

    edit_split(folder, "Br35H", flip)
    with pytest.raises(
        DatasetError,
        match=r"Br35H: class names in split file do not match the dataset's label order .*"
        r"2 entries: label 0: file 'Tumorous', expected 'Non_tumorous'",
    ):
        load(tmp_path, "Br35H")


@pytest.mark.parametrize(
    "change, pattern",
    [
        (lambda d: d.pop("val"), r"split file lacks keys .*1 entry: val"),
        (lambda d: d["test"].append(["x.png", "0", "benign tumor"]), r"malformed split entries .*1 entry: test\[6\]"),
        (lambda d: d["train"].append(["x.png", 7, "benign tumor"]), r"labels outside 0..2 .*1 entry: train\[6\]"),
        (lambda d: d.update(train=[]), r"split file has no entries for .*1 entry: train"),
    ],
    ids=["missing-key", "malformed", "label-range", "empty-train"],
)
def test_malformed_split_files(tmp_path, change, pattern):
    folder = write_tiny_dataset(tmp_path, "BUSI")
    edit_split(folder, "BUSI", change)
    with pytest.raises(DatasetError, match=r"^BUSI: " + pattern):
        load(tmp_path, "BUSI")


def test_split_file_that_is_not_json(tmp_path):
    folder = write_tiny_dataset(tmp_path, "BUSI")
    (folder / "split_BUSI.json").write_text("{not json")
    with pytest.raises(
        DatasetError, match=r"BUSI: split file is not readable JSON \(Expecting property name.*split_BUSI.json\)"
    ):
        load(tmp_path, "BUSI")


def test_bad_num_shots(tmp_path):
    write_tiny_dataset(tmp_path, "BUSI")
    with pytest.raises(DatasetError, match=r"BUSI: DATASET.NUM_SHOTS must be -1 \(all\) or >= 1, got 0"):
        load(tmp_path, "BUSI", num_shots=0)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.json"
    write_json_atomic(target, {"a": 1})
    with pytest.raises(TypeError):
        write_json_atomic(target, {"a": object()})  # fails half-way through dumping
    assert json.loads(target.read_text()) == {"a": 1}
    assert os.listdir(tmp_path) == ["out.json"]
