"""The shipped description files cover every registered dataset, with provenance beside each."""

import json

import pytest
from e2e import REPO

from medprompt.data.descriptions import load_descriptions, match_descriptions
from medprompt.data.specs import DATASET_SPECS

FOLDER = REPO / "llm_descriptions"
PROVENANCE_KEYS = {"written_by", "model", "server", "question_set", "questions", "temperature", "n", "date", "counts"}
CROSS_MODAL_DATASETS = ["f1000images", "OCT_C8", "OCTDL", "ODIR_3x200", "FFA", "SLO"]


def aliases(spec):
    return [[raw] for raw in spec.raw_classnames]


@pytest.mark.parametrize("name", sorted(DATASET_SPECS))
def test_every_class_has_enough_descriptions(name):
    spec = DATASET_SPECS[name]
    path = FOLDER / f"{name}.json"
    per_class = match_descriptions(load_descriptions(path), spec.classnames, aliases(spec), source=str(path))
    for classname, sentences in zip(spec.classnames, per_class):
        assert len(set(sentences)) >= 16, f"{name}: {classname!r} has {len(set(sentences))} distinct sentences"


@pytest.mark.parametrize("path", sorted(p for p in FOLDER.rglob("*.json") if not p.name.endswith(".provenance.json")),
                         ids=lambda p: str(p.relative_to(FOLDER)))
def test_provenance_beside_every_file(path):
    provenance = json.loads(path.with_suffix(".provenance.json").read_text())
    assert PROVENANCE_KEYS <= set(provenance), path
    data = json.loads(path.read_text())
    assert set(provenance["counts"]) == set(data)


def test_multimodal_eye_file_covers_the_cross_modal_datasets():
    descriptions = load_descriptions(FOLDER / "multimodal_eye.json")
    for name in CROSS_MODAL_DATASETS:
        spec = DATASET_SPECS[name]
        match_descriptions(descriptions, spec.classnames, aliases(spec), source=f"multimodal_eye.json for {name}")
