"""Attribute prompts: rendering, the checks on files and templates, the shipped attribute files, and the
"attributes" aggregation of ZeroshotDescriptions."""

from __future__ import annotations

import json

import pytest
import tiny_data
import torch

from medprompt.clip.backbones import load_backbone
from medprompt.clip.text_encoder import PromptedTextEncoder
from medprompt.data.descriptions import DescriptionError, match_descriptions
from medprompt.data.specs import get_spec
from medprompt.data.attribute_prompts import (
    ATTRIBUTES,
    DEFAULT_TEMPLATES,
    load_attributes,
    render_all,
    render_attribute_prompts,
    template_fields,
)
from medprompt.methods.zeroshot import mean_direction
from medprompt.utils.paths import REPO

SHIPPED = ["Pneumonia", "Derm7pt"]
PNEUMONIA = {"color": ["white", "grey"], "shape": ["patchy", "round", "streaky"], "location": ["the lower lung"]}


def test_every_combination_of_the_used_attributes_is_rendered():
    prompts = render_attribute_prompts("pneumonia", PNEUMONIA, ["{color} color, {shape} shape {class} in {location}."])
    assert len(prompts) == 2 * 3 * 1
    assert prompts[0] == "white color, patchy shape pneumonia in the lower lung."
    assert "grey color, streaky shape pneumonia in the lower lung." in prompts
    assert len(set(prompts)) == len(prompts)


def test_class_modality_and_repeated_fields():
    prompts = render_attribute_prompts("pneumonia", PNEUMONIA, ["a {modality} of {class}.", "{color}, {color} {class}"],
                                       modality="chest X-ray")
    assert prompts == ["a chest X-ray of pneumonia.", "white, white pneumonia", "grey, grey pneumonia"]
    assert template_fields("{color} {shape} shape {class}") == ["color", "shape", "class"]


def test_template_errors_name_the_template_or_the_class():
    with pytest.raises(DescriptionError, match=r"unknown fields \(1: '\{size\} \{class\}' uses \{size\}\)"):
        render_attribute_prompts("pneumonia", PNEUMONIA, ["{size} {class}"])
    with pytest.raises(DescriptionError, match="No attribute template names the class"):
        render_attribute_prompts("pneumonia", PNEUMONIA, ["{color} color"])
    with pytest.raises(DescriptionError, match="malformed"):
        render_attribute_prompts("pneumonia", PNEUMONIA, ["{color {class}"])
    with pytest.raises(DescriptionError, match=r"f\.json: classes lacking attributes the templates use "
                                               r"\(2: 'pneumonia' lacks texture; 'normal' lacks location, texture\)"):
        render_all(["pneumonia", "normal", "ok"],
                   [PNEUMONIA, {"color": ["dark"]}, {"texture": ["x"], "location": ["y"]}],
                   ["{texture} {class} in {location}"], source="f.json")


@pytest.mark.parametrize("content,message", [
    ({"melanoma": {"colour": ["brown"]}, "nevus": {"shape": ["round"], "size": ["small"]}},
     r"unknown attributes \(2: melanoma\.colour; nevus\.size\)"),
    ({"melanoma": {"color": []}}, r"not non-empty lists of non-empty strings \(1: melanoma\.color\)"),
    ({"melanoma": {"color": ["brown", " "]}}, r"\(1: melanoma\.color\)"),
    ({"melanoma": ["brown spot"]}, r"not a non-empty object \{attribute: \[words\]\} \(1: 'melanoma'\)"),
    ([], "must hold a non-empty object"),
])
def test_bad_attribute_files_are_refused_with_the_file_and_entries(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    with pytest.raises(DescriptionError, match=f"bad.json.*{message}"):
        load_attributes(path)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(DescriptionError, match="does not exist"):
        load_attributes(tmp_path / "none.json")
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(DescriptionError, match="x.json is not valid JSON"):
        load_attributes(tmp_path / "x.json")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_attribute_files(name, native_dir):
    path = REPO / "llm_descriptions" / "attributes" / f"{name}.json"
    attributes = load_attributes(path)
    spec = get_spec(name)
    per_class = match_descriptions(attributes, spec.classnames, source=str(path))
    assert all(set(a) == set(ATTRIBUTES) for a in per_class)
    prompts = render_all(spec.classnames, per_class, DEFAULT_TEMPLATES, spec.modality, str(path))
    assert all(len(p) >= 2 for p in prompts)
    for classname, texts in zip(spec.classnames, prompts):
        assert all(classname in t for t in texts)
        assert not any(c in t for t in texts for c in spec.classnames if c != classname)  # no other class named
    backbone = load_backbone(f"local-dir:{native_dir}")  # the CLIP tokenizer: every prompt fits its context
    encoder = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    assert all(encoder.fits(t) for texts in prompts for t in texts)
    provenance = json.loads(path.with_name(f"{name}.provenance.json").read_text())
    assert provenance["question_set"] == "attributes" and provenance["model"] == "claude"
    assert provenance["written_by"].startswith("written for this project by an LLM (Claude)")
    assert provenance["counts"] == {k: {a: len(v) for a, v in attrs.items()} for k, attrs in attributes.items()}


def test_zero_shot_by_attributes(tmp_path, native_dir, monkeypatch):
    pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")
    from dassl.engine import build_trainer
    from e2e import TINY_OPTS

    from medprompt.run.train_args import build_parser
    from trainers.launch import setup_cfg

    tiny_data.write_tiny_dataset(tmp_path / "data", "Pneumonia", per_class=2, with_train_images=False)
    monkeypatch.chdir(REPO)
    argv = ["--root", tmp_path / "data", "--trainer", "ZeroshotDescriptions",
            "--dataset-config-file", "configs/datasets/Pneumonia.yaml",
            "--config", "attributes_vit_b16",
            "--output-dir", tmp_path / "out", "MODEL.BACKBONE.NAME", f"local-dir:{native_dir}",
            "MODEL.CACHE_DIR", "none", *TINY_OPTS]
    trainer = build_trainer(setup_cfg(build_parser().parse_args([str(a) for a in argv])))
    templates = list(trainer.cfg.TRAINER.ZEROSHOT.ATTRIBUTE_TEMPLATES)
    assert templates == list(DEFAULT_TEMPLATES)
    attributes = load_attributes(REPO / "llm_descriptions" / "attributes" / "Pneumonia.json")
    expected = torch.stack([
        mean_direction(trainer.text_encoder.encode_texts(render_attribute_prompts(c, attributes[c], templates,
                                                                                  "chest X-ray")))
        for c in trainer.classnames
    ])
    assert torch.allclose(trainer.class_text_features(), expected, atol=1e-5)
    assert 0 <= trainer.test() <= 100
