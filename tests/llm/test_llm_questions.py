"""The shipped question sets load and say what the methods need; bad set files give clear errors."""

from __future__ import annotations

import pytest

from medprompt.llm.questions import (
    QUESTIONS_DIR,
    available_question_sets,
    load_question_set,
)

SHIPPED = available_question_sets()


def test_the_expected_sets_are_shipped():
    assert {"medpromptclip", "multimodal_eye", "vip_symptoms", "cupl", "dclip", "attributes"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_set_loads_and_renders(name):
    qset = load_question_set(name)
    assert qset.name == name and qset.system
    prompts = qset.prompts("diabetic retinopathy", "fundus photograph")
    assert prompts and all("diabetic retinopathy" in user for _, user in prompts)
    assert not any("{" in user for _, user in prompts), "a placeholder was left unfilled"
    assert set(qset.defaults) <= {"temperature", "n"}


def test_medpromptclip_asks_the_eight_questions():
    qset = load_question_set("medpromptclip")
    questions = qset.question_list()
    assert len(questions) == 8
    themes = [
        "typical findings", "radiologist", "layers", "quantitative", "pathophysiology", "symptoms",
        "apart from", "progresses",
    ]
    for theme, question in zip(themes, questions):
        assert theme in question and "{classname}" in question and "{modality}" in question


def test_multimodal_eye_set_covers_five_modalities():
    qset = load_question_set("multimodal_eye")
    assert len(qset.modalities) == 5
    joined = " ".join(qset.modalities).lower()
    for word in ["oct", "fundus photograph", "slit lamp", "slo", "ffa"]:
        assert word in joined
    prompts = qset.prompts("macular hole", None)  # its own modalities: no dataset modality needed
    assert len(prompts) == 5 * len(qset.questions[""])
    for modality in qset.modalities:
        assert sum(modality in user for _, user in prompts) == len(qset.questions[""])
    assert len(qset.question_list()) == len(prompts)  # provenance records each modality's questions


def test_vip_set_avoids_the_class_name():
    qset = load_question_set("vip_symptoms")
    assert qset.forbid_classname and qset.output_subdir == "symptoms"
    assert "plain" in qset.questions[""][0]


def test_attribute_set_asks_colour_shape_texture_location():
    qset = load_question_set("attributes")
    assert qset.kind == "attributes"
    assert set(qset.questions) == {"color", "shape", "texture", "location"}
    assert [key for key, _ in qset.prompts("melanoma", "dermoscopy image")] == list(qset.questions)


def test_single_modality_sets_need_a_modality():
    with pytest.raises(ValueError, match="needs a modality"):
        load_question_set("medpromptclip").prompts("melanoma", None)


def write_set(tmp_path, text):
    path = tmp_path / "custom.yaml"
    path.write_text(text)
    return path


def test_a_set_can_be_loaded_from_a_path(tmp_path):
    path = write_set(tmp_path, "name: mine\nsystem: be brief\nquestions:\n  - Describe {classname}.\n")
    qset = load_question_set(path)
    assert qset.prompts("melanoma", None) == [("", "Describe melanoma.")]


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: x\nsystem: s\nquestions: ['Describe {clasname} on {modality}']\n", "unknown placeholders"),
        ("name: x\nsystem: s\nquestion: ['Describe {classname}']\n", "unknown keys"),
        ("name: x\nquestions: ['Describe {classname}']\n", "'system'"),
        ("name: x\nsystem: s\nkind: attributes\nquestions: ['Describe {classname}']\n", "maps attribute names"),
        ("name: x\nsystem: s\nkind: tables\nquestions: ['Describe {classname}']\n", "'kind'"),
        ("name: x\nsystem: s\nquestions: []\n", "'questions'"),
        ("name: x\nsystem: s\nquestions: ['a']\ndefaults: {top_p: 1}\n", "'defaults'"),
        ("- just a list\n", "mapping"),
    ],
)
def test_bad_set_files_name_the_file_and_the_problem(tmp_path, text, message):
    path = write_set(tmp_path, text)
    with pytest.raises(ValueError, match=message) as info:
        load_question_set(path)
    assert str(path) in str(info.value)


def test_unknown_set_name_lists_the_available_ones():
    with pytest.raises(FileNotFoundError, match="medpromptclip"):
        load_question_set("no_such_set")
    assert QUESTIONS_DIR.is_dir()
