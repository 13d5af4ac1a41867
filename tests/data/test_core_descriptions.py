"""Description files: matching class names, clear errors, truncation of over-long sentences."""

import json

import pytest

from medprompt.data.descriptions import (
    DescriptionError,
    extra_classes,
    load_descriptions,
    match_descriptions,
    truncate_to_context,
)


def write(tmp_path, data, name="d.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_keys_match_after_normalising_case_underscores_and_spaces(tmp_path):
    path = write(tmp_path, {"Moderate__knee_osteoarthritis": ["a"], "Normal  Knee": ["b", "c"]})
    got = match_descriptions(load_descriptions(path), ["normal knee", "moderate knee osteoarthritis"])
    assert got == [["b", "c"], ["a"]]


def test_aliases_match_published_names():
    got = match_descriptions({"Pulmonary_squamous_cell_carcinoma_well_differentiatd": ["s"]},
                             ["well differentiated squamous cell carcinoma"],
                             aliases=[["Pulmonary_squamous_cell_carcinoma_well_differentiatd"]])
    assert got == [["s"]]


def test_every_unmatched_class_is_listed_with_closest_keys():
    with pytest.raises(DescriptionError) as err:
        match_descriptions({"glaucoma": ["a"], "cataract eye": ["b"], "normal": ["c"]},
                           ["glaucoma", "cataract", "myopia", "normal"], source="FFA.json")
    message = str(err.value)
    assert "FFA.json" in message and "2 of 4 classes" in message
    assert "'cataract': closest keys ['cataract eye'" in message and "'myopia'" in message


@pytest.mark.parametrize("content,match", [
    ({"a": []}, "empty list"),
    ({"a": ["ok", ""]}, "not lists of non-empty strings"),
    ({"a": "one string"}, "not lists of non-empty strings"),
    ([], "non-empty object"),
    ("{not json", "not valid JSON"),
])
def test_malformed_files_are_errors_naming_the_file(tmp_path, content, match):
    path = write(tmp_path, content)
    with pytest.raises(DescriptionError, match=match) as err:
        load_descriptions(path)
    assert str(path) in str(err.value)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(DescriptionError, match="does not exist"):
        load_descriptions(tmp_path / "nope.json")


def test_extra_classes_exclude_every_dataset_class_and_alias():
    descriptions = {"Glaucoma": ["a"], "myopia": ["b"], "retinal detachment": ["c"]}
    assert extra_classes(descriptions, ["glaucoma"], aliases=[["Myopia"]]) == {"retinal detachment": ["c"]}


def test_extra_classes_take_the_normalised_name_of_dataset_classes():
    """A cross-modal file keyed "macular_hole" trains the class the datasets call "macular hole"."""
    descriptions = {"macular_hole": ["a"], "Macular  hole": ["b"], "glaucoma": ["c"]}
    assert extra_classes(descriptions, ["glaucoma"]) == {"macular hole": ["a", "b"]}


def test_long_sentences_are_truncated_with_one_warning():
    fits = lambda text: len(text.split()) <= 5  # noqa: E731
    texts = ["one two three", "a b c d e f g h", "x y z w v u"]
    with pytest.warns(UserWarning, match="2 of 3 sentences"):
        out = truncate_to_context(texts, fits, source="test")
    assert out == ["one two three", "a b c d e", "x y z w v"]
