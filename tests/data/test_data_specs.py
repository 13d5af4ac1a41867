"""The dataset spec table against the published split files, the configs and docs/DATASETS.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from shared_splits import needs_shared, shared_split_files, spec_for_file

from medprompt.data.classnames import normalize_classname
from medprompt.data.docs import render_datasets_md
from medprompt.data.specs import DATASET_SPECS, SOURCES, get_spec
from medprompt.utils.paths import REPO


def test_every_dataset_of_the_issue_is_registered_once():
    by_source = {s: sorted(n for n, spec in DATASET_SPECS.items() if spec.source == s) for s in SOURCES}
    assert len(by_source["medpromptclip"]) == 24
    assert len(by_source["biomedcoop"]) == 11
    assert by_source["vip"] == ["Derm7pt", "Pneumonia"]
    assert {"NCT", "SkinCancer", "OCTMNIST", "COVID_19", "COVID_19_BiomedCoOp"} <= set(DATASET_SPECS)
    assert get_spec("COVID_19").source == "medpromptclip"
    assert get_spec("COVID_19_BiomedCoOp").source == "biomedcoop"
    assert get_spec("COVID_19_BiomedCoOp").folder == "COVID_19"


@pytest.mark.parametrize("name", sorted(DATASET_SPECS))
def test_spec_is_consistent(name):
    spec = DATASET_SPECS[name]
    assert spec.name == name and spec.modality and spec.origin and spec.source in SOURCES
    assert len(spec.classnames) == len(spec.raw_classnames) == spec.num_classes >= 2
    assert len(set(spec.classnames)) == spec.num_classes, "prompt class names must be unique"
    if spec.class_folders is not None:
        assert len(spec.class_folders) == spec.num_classes
    for prompt, raw in zip(spec.classnames, spec.raw_classnames):
        assert "_" not in prompt and "  " not in prompt and prompt == prompt.strip()
        assert spec.label_of(raw) == spec.label_of(prompt) == spec.classnames.index(prompt)
    assert (spec.image_subdir == spec.folder) == (spec.source == "biomedcoop")
    assert spec.default_split_file in spec.split_file_names


def test_vip_datasets_use_the_layout_of_vips_own_code():
    """ViP reads <root>/Pneumonia/split_pneumonia.json with images in chest_xray/, and
    <root>/Derm7pt/split_skin.json with images in image/."""
    for name, split_file, subdir in [("Pneumonia", "split_pneumonia.json", "chest_xray"),
                                     ("Derm7pt", "split_skin.json", "image")]:
        spec = get_spec(name)
        assert spec.split_file_names[0] == split_file
        assert spec.image_dir("/data") == Path("/data") / name / subdir


def test_prompt_names_follow_the_rule_unless_overridden():
    knee = get_spec("Knee")
    assert knee.classnames[knee.raw_classnames.index("Moderate__knee_osteoarthritis")] == "moderate knee osteoarthritis"
    lung = get_spec("LungHist700")
    assert not any("differentiatd" in c or "differentiatedd" in c for c in lung.classnames)
    assert any("differentiatedd" in r for r in lung.raw_classnames)  # the published spelling is kept
    same = sum(
        p == normalize_classname(r) for s in DATASET_SPECS.values() for p, r in zip(s.classnames, s.raw_classnames)
    )
    total = sum(s.num_classes for s in DATASET_SPECS.values())
    assert same / total > 0.8  # overrides stay the exception
    nct = get_spec("NCT")
    assert nct.raw_classnames[:2] == ("ADI", "BACK") and nct.classnames[-1] == "colorectal adenocarcinoma epithelium"
    assert list(get_spec("SkinCancer").raw_classnames) == sorted(get_spec("SkinCancer").raw_classnames)


def test_get_spec_names_close_matches():
    with pytest.raises(KeyError, match=r"COVID19.*closest: \['COVID_19'"):
        get_spec("COVID19")
    with pytest.raises(KeyError, match="no class 'tumour'"):
        get_spec("Br35H").label_of("tumour")


@pytest.mark.parametrize("name", sorted(DATASET_SPECS))
def test_dataset_config_file(name):
    cfg = yaml.safe_load((REPO / "configs" / "datasets" / f"{name}.yaml").read_text())
    assert cfg == {"DATASET": {"NAME": name}}


def test_no_config_without_spec():
    names = {p.stem for p in (REPO / "configs" / "datasets").glob("*.yaml")}
    assert names == set(DATASET_SPECS)


def test_docs_are_rendered_from_the_specs():
    text = (REPO / "docs" / "DATASETS.md").read_text(encoding="utf-8")
    assert text == render_datasets_md(), "regenerate: python -m medprompt.data.docs > docs/DATASETS.md"
    for spec in DATASET_SPECS.values():
        assert f"### {spec.name}\n" in text and spec.origin in text


@needs_shared
def test_every_published_split_file_has_a_spec():
    files = shared_split_files()
    assert len(files) == 34
    covered = {spec_for_file(f).name for f in files}
    published = {name for name, spec in DATASET_SPECS.items() if spec.source != "synthetic"}
    assert published - covered == {"NCT", "SkinCancer", "OCTMNIST"}


@needs_shared
@pytest.mark.parametrize("path", shared_split_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_spec_matches_published_label_order_and_folders(path):
    spec = spec_for_file(path)
    data = json.loads(path.read_text())
    names, firsts = {}, {}
    for entries in data.values():
        for rel, label, name in entries:
            names[label] = name
            firsts.setdefault(label, set()).add(rel.split("/")[0])
    assert tuple(names[i] for i in range(len(names))) == spec.raw_classnames
    if spec.class_folders is not None:
        assert {label: {spec.class_folders[label]} for label in firsts} == firsts
