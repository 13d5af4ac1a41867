"""The synthetic world: its attribute table, its deterministic generator, its datasets and descriptions."""

import json

import numpy as np
import pytest
import yaml
from e2e import REPO

from medprompt.data.loader import LoadOptions, load_dataset
from medprompt.data.specs import get_spec
from medprompt.descriptions import load_descriptions, match_descriptions
from medprompt.synthetic.attributes import (
    ATTRIBUTE_VALUES,
    DISEASES,
    MODALITIES,
    Attributes,
    diseases_of,
)
from medprompt.synthetic.captions import caption, class_descriptions
from medprompt.synthetic.render import render
from medprompt.synthetic.world import WorldSettings, image_rng, write_world

SMALL = {"n_train": 2, "n_val": 1, "n_test": 1}


def test_table_has_three_modalities_and_twelve_classes_with_shared_attributes():
    assert len(MODALITIES) >= 3 and len(DISEASES) >= 12
    for m in MODALITIES:
        assert len(diseases_of(m.key)) >= 4
    for key in ATTRIBUTE_VALUES:
        by_value = {}
        for d in DISEASES:
            by_value.setdefault(getattr(d.attributes, key), set()).add(d.modality)
        assert any(len(mods) > 1 for mods in by_value.values()), f"no {key} value shared across modalities"


def test_bad_attribute_is_refused():
    with pytest.raises(ValueError, match="shape='hexagon'"):
        Attributes("red", "hexagon", "smooth", "sharp", "small", "single")
    with pytest.raises(ValueError, match="cannot be drawn on xray"):
        render("xray", Attributes("red", "round", "smooth", "sharp", "small", "single"), np.random.default_rng(0))


def test_render_is_deterministic_per_seed_and_differs_across_seeds():
    d = DISEASES[0]
    a = render(d.modality, d.attributes, image_rng(0, 1, 2))
    b = render(d.modality, d.attributes, image_rng(0, 1, 2))
    c = render(d.modality, d.attributes, image_rng(1, 1, 2))
    assert a.dtype == np.uint8 and a.shape == (48, 48, 3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_modalities_and_classes_look_different():
    """Mean images differ between modalities, and two classes of one modality differ in their pixels."""
    means = [np.mean([render(m.key, diseases_of(m.key)[0].attributes, image_rng(5, i)) for i in range(4)], axis=0)
             for m in MODALITIES]
    for i in range(len(means)):
        for j in range(i + 1, len(means)):
            assert np.abs(means[i] - means[j]).mean() > 10
    first, second = diseases_of("derm")[:2]
    img1 = render("derm", first.attributes, image_rng(3, 0))
    img2 = render("derm", second.attributes, image_rng(3, 0))
    assert np.abs(img1.astype(int) - img2.astype(int)).mean() > 2


def test_world_is_a_function_of_its_seed(tmp_path):
    one = write_world(tmp_path / "a", WorldSettings(seed=3, **SMALL))
    two = write_world(tmp_path / "b", WorldSettings(seed=3, **SMALL))
    other = write_world(tmp_path / "c", WorldSettings(seed=4, **SMALL))
    assert one["digests"] == two["digests"]
    assert all(one["digests"][k] != other["digests"][k] for k in one["digests"])
    # the same world is not written again; another one replaces it
    again = write_world(tmp_path / "a", WorldSettings(seed=3, **SMALL))
    assert again == one
    changed = write_world(tmp_path / "a", WorldSettings(seed=4, **SMALL))
    assert changed["digests"] == other["digests"]


def test_world_loads_as_registered_datasets(tmp_path):
    write_world(tmp_path, WorldSettings(seed=0, **SMALL))
    for m in MODALITIES:
        spec = get_spec(m.dataset)
        assert spec.modality == m.words
        assert yaml.safe_load((REPO / "configs" / "datasets" / f"{m.dataset}.yaml").read_text()) == \
            {"DATASET": {"NAME": m.dataset}}
        split = json.loads((tmp_path / m.dataset / f"split_{m.dataset}.json").read_text())
        assert len(split["train"]) == 2 * spec.num_classes
        loaded = load_dataset(spec, tmp_path, LoadOptions(num_shots=-1, seed=1, subsample="new"))
        n = spec.num_classes
        assert loaded.classnames == list(spec.classnames[(n + 1) // 2:])
        assert {it.label for it in loaded.test} == set(range(n - (n + 1) // 2))


def test_words_never_name_a_disease():
    names = [d.name for d in DISEASES]
    rng = np.random.default_rng(0)
    for d in DISEASES:
        texts = [caption(d.modality, d.attributes, rng) for _ in range(5)] + class_descriptions(d)
        for text in texts:
            assert not any(n in text.lower() for n in names), text


@pytest.mark.parametrize("modality", MODALITIES, ids=lambda m: m.dataset)
def test_shipped_descriptions_are_what_the_generator_writes(modality):
    path = REPO / "llm_descriptions" / f"{modality.dataset}.json"
    spec = get_spec(modality.dataset)
    per_class = match_descriptions(load_descriptions(path), spec.classnames, [[r] for r in spec.raw_classnames],
                                   source=str(path))
    assert per_class == [class_descriptions(d) for d in diseases_of(modality.key)]
    provenance = json.loads(path.with_suffix(".provenance.json").read_text())
    assert "world generator" in provenance["written_by"] and provenance["model"] is None
