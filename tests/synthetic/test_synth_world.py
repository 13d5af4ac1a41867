"""The synthetic world: its lexicon-named classes, its deterministic generator, its datasets and descriptions,
and the literature corpus that must not name a class."""

import json

import numpy as np
import pytest
import yaml
from e2e import REPO

from medprompt.data.descriptions import load_descriptions, match_descriptions
from medprompt.data.loader import LoadOptions, load_dataset
from medprompt.data.specs import get_spec, synthetic_descriptions
from medprompt.demo.audit import audit
from medprompt.synthetic.captions import caption, class_descriptions, name_descriptions
from medprompt.synthetic.corpus import check_no_class_names, literature_caption
from medprompt.synthetic.diseases import (
    DISEASES,
    MODALITIES,
    NUM_CLASSES,
    OPAQUE_SHARE,
    Attributes,
    diseases_of,
    world_diseases,
)
from medprompt.synthetic.lexicon import PART_MEANING, decode_name, is_eponym
from medprompt.synthetic.render import render
from medprompt.synthetic.world import (
    WorldSettings,
    image_rng,
    random_attributes,
    write_world,
)

SMALL = {"n_train": 2, "n_val": 1, "n_test": 1}


def test_world_has_four_modalities_of_24_classes_named_from_shared_word_parts():
    assert len(MODALITIES) >= 4 and NUM_CLASSES >= 24
    where: dict[str, set] = {}  # word part -> {(modality, base|new)}
    for m in MODALITIES:
        classes = diseases_of(m.key)
        assert len(classes) == NUM_CLASSES
        for label, d in enumerate(classes):
            said = decode_name(d.name)
            # a name never says anything its class does not show
            assert all(getattr(d.attributes, k) == v for k, v in said.items()), d
            assert bool(said) != is_eponym(d.name), d.name
            for part in PART_MEANING:
                if part in d.name.split() or part in d.name.split()[-1]:
                    where.setdefault(part, set()).add((m.key, label < NUM_CLASSES // 2))
    assert sum(len({mod for mod, _ in places}) > 1 for places in where.values()) >= 5  # across modalities
    assert sum(len({base for _, base in places}) > 1 for places in where.values()) >= 5  # base and new
    assert len({d.name for d in DISEASES}) == len(DISEASES)


def test_eponym_share_is_the_audited_share():
    assert OPAQUE_SHARE == pytest.approx(audit()["opaque_share"], abs=1e-3)
    for m in MODALITIES:
        assert sum(is_eponym(d.name) for d in diseases_of(m.key)) == round(OPAQUE_SHARE * NUM_CLASSES)


def test_classes_are_a_function_of_the_world_seed():
    build = world_diseases.__wrapped__  # uncached
    assert build(5) == build(5) == world_diseases(5)
    assert build(5) != build(6)
    assert [d.attributes for d in build(5)] != [d.attributes for d in build(6)]


def test_name_information_says_only_what_the_word_parts_say():
    composed = next(d for d in DISEASES if decode_name(d.name))
    info = " ".join(name_descriptions(composed.modality, composed.name)).lower()
    full = " ".join(class_descriptions(composed)).lower()
    assert info != full and len(info) < len(full)
    eponym = next(d for d in DISEASES if is_eponym(d.name))
    other = next(d for d in DISEASES if is_eponym(d.name) and d.modality == eponym.modality and d != eponym)
    assert name_descriptions(eponym.modality, eponym.name) == name_descriptions(other.modality, other.name)


def test_corpus_names_no_class_and_the_check_catches_one():
    sentences = []
    for mi, m in enumerate(MODALITIES):
        for i in range(100):
            rng = image_rng(0, 200 + mi, i)
            sentences.append(literature_caption(m.key, random_attributes(m.key, rng), rng))
    assert any("(" in s for s in sentences) and any(p in " ".join(sentences) for p in ("erythro-", "annular"))
    check_no_class_names(sentences, seeds=range(10))  # the training script checks seeds 0..99
    planted = f"a figure of {DISEASES[30].name.lower()} in a patient"
    with pytest.raises(ValueError, match="names class"):
        check_no_class_names(sentences[:3] + [planted], seeds=range(1))


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
    SMALL = {"n_train": 1, "n_val": 1, "n_test": 1}
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


def test_world_of_another_seed_loads_with_its_own_classes_and_descriptions(tmp_path):
    write_world(tmp_path, WorldSettings(seed=2, **SMALL))
    m = MODALITIES[1]
    loaded = load_dataset(get_spec(m.dataset), tmp_path, LoadOptions(num_shots=-1, seed=1, subsample="all"))
    names = [d.name for d in diseases_of(m.key, 2)]
    assert loaded.classnames == [n.lower() for n in names] != [d.name.lower() for d in diseases_of(m.key)]
    path = synthetic_descriptions(m.dataset, tmp_path)
    assert path and list(json.loads(open(path).read())) == names
    assert synthetic_descriptions("FFA", tmp_path) is None


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
