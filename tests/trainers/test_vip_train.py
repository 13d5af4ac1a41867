"""ViP with the stock Dassl: a run through train.py (best-validation checkpoint, only learned tensors
saved), the same numbers after a reload, the HF text tower, clear errors for a class without symptoms or
another symptom file, and the explain script's table and figure."""

from __future__ import annotations

import json
import re

import pytest
import tiny_data
import torch
from e2e import REPO, TINY_OPTS, metrics, needs_dassl, train
from PIL import Image

from medprompt.results import read_run

needs_dassl()

from dassl.engine import build_trainer  # noqa: E402

import explain_vip  # noqa: E402
from medprompt.data.descriptions import DescriptionError  # noqa: E402
from medprompt.run.train_args import build_parser  # noqa: E402
from trainers.checkpointing import CheckpointMismatchError  # noqa: E402
from trainers.launch import setup_cfg  # noqa: E402

DATASET = "Pneumonia"
SHORT = ["OPTIM.MAX_EPOCH", "3", "DATALOADER.TRAIN_X.BATCH_SIZE", "4", "OPTIM.LR", "0.5"]
LEARNED = {"prompts.ctx", "merge.g", "merge.w_q", "merge.w_k"}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("vip")
    tiny_data.write_tiny_dataset(root / "data", DATASET, per_class=3)
    return root


def args(data, model, out, config="vit_b16", extra=()):
    return ["--root", data / "data", "--seed", 1, "--trainer", "ViP",
            "--dataset-config-file", f"configs/datasets/{DATASET}.yaml",
            "--config", config, "--output-dir", out, *extra,
            "MODEL.BACKBONE.NAME", f"local-dir:{model}", "MODEL.CACHE_DIR", data / "cache"]


def in_process_trainer(argv, opts=(), monkeypatch=None):
    """A ViP trainer built as train.py builds it, in this process (paths relative to the repository)."""
    monkeypatch.chdir(REPO)
    cfg = setup_cfg(build_parser().parse_args([str(a) for a in [*argv, *TINY_OPTS, *opts]]))
    return build_trainer(cfg)


@pytest.fixture(scope="module")
def trained(data, native_dir):
    out = data / "run"
    log = train(args(data, native_dir, out), SHORT)
    return out, log


def test_train_py_end_to_end(trained):
    out, log = trained
    assert re.search(r"ViP: 2 classes, 8 symptoms from \S+llm_descriptions/symptoms/Pneumonia\.json", log)
    assert "Deploy the model with the best val performance" in log
    assert re.search(r"Loaded \S+model-best\.pth\.tar into prompt_learner \(epoch=\d, val_result=\d", log)
    assert 0 <= metrics(out)["accuracy"] <= 100
    best = torch.load(out / "prompt_learner" / "model-best.pth.tar", weights_only=True)
    assert set(best["state_dict"]) == LEARNED
    assert isinstance(best["val_result"], float)
    assert best["meta"]["trainer"] == "ViP" and best["meta"]["n_ctx"] == 4 and best["meta"]["symptoms"]
    last = torch.load(out / "prompt_learner" / "model.pth.tar-3", weights_only=True)
    assert not torch.equal(last["state_dict"]["merge.g"], best["state_dict"]["merge.g"]) or best["epoch"] == 3


def test_reload_gives_the_logged_result(data, native_dir, trained, monkeypatch):
    out, _ = trained
    trainer = in_process_trainer(args(data, native_dir, data / "reload"), monkeypatch=monkeypatch)
    trainer.load_model(str(out))
    assert trainer.test() == pytest.approx(metrics(out)["accuracy"], abs=0.01)


def test_other_symptom_file_is_refused_at_load(data, native_dir, trained, monkeypatch):
    out, _ = trained
    other = data / "other_symptoms.json"
    other.write_text(json.dumps({"normal lung": ["dark clear fields"], "pneumonia": ["white patches"]}))
    trainer = in_process_trainer(args(data, native_dir, data / "other"), ["TRAINER.VIP.SYMPTOMS", other],
                                 monkeypatch=monkeypatch)
    with pytest.raises(CheckpointMismatchError, match="symptoms="):
        trainer.load_model(str(out))


def test_a_class_without_symptoms_is_named(data, native_dir, monkeypatch):
    partial = data / "partial_symptoms.json"
    partial.write_text(json.dumps({"normal lung": ["dark clear fields"], "pneumonias": ["white patches"]}))
    with pytest.raises(DescriptionError, match=r"partial_symptoms\.json: 1 of 2 classes have no descriptions:"
                                               r"\n  'pneumonia': closest keys \['pneumonias'"):
        in_process_trainer(args(data, native_dir, data / "partial"), ["TRAINER.VIP.SYMPTOMS", partial],
                           monkeypatch=monkeypatch)


def test_hf_text_tower_trains(data, hf_dir, monkeypatch):
    out = data / "hf"
    trainer = in_process_trainer(args(data, hf_dir, out, "biomedclip"), SHORT, monkeypatch=monkeypatch)
    assert trainer.text_encoder.is_hf
    before = trainer.vip.prompts.ctx.detach().clone()
    trainer.train()
    assert not torch.equal(before, trainer.vip.prompts.ctx.detach())
    assert (out / "prompt_learner" / "model-best.pth.tar").is_file()


def test_explain_writes_its_table_and_figure(data, native_dir, trained, monkeypatch):
    out, _ = trained
    monkeypatch.chdir(REPO)
    explain_dir = data / "explain"
    argv = ["--num-images", "3", "--top-k", "2", "--out", explain_dir,
            *args(data, native_dir, data / "unused", extra=["--model-dir", out]), *TINY_OPTS]
    md_path, png_path = explain_vip.main([str(a) for a in argv])
    text = open(md_path, encoding="utf-8").read()
    sections = text.split("\n## ")[1:]
    assert len(sections) == 3 and all("(true class: " in s for s in sections)
    symptoms = json.loads((REPO / "llm_descriptions" / "symptoms" / f"{DATASET}.json").read_text())
    for section in sections:
        rows = [[cell.strip() for cell in line.strip("|").split("|")]
                for line in section.splitlines() if line.startswith("|") and not line.startswith("|--")][1:]
        assert len(rows) == 8  # two classes x four symptoms
        by_class, current = {}, None
        for row in rows:
            current = row[1] or current
            by_class.setdefault(current, []).append((row[4], float(row[6])))
        assert set(by_class) == set(symptoms)
        for name, entries in by_class.items():
            assert [s for s, _ in entries] == symptoms[name]
            assert sum(a for _, a in entries) == pytest.approx(1.0, abs=0.003)  # attention of one class
    with Image.open(png_path) as image:
        assert image.format == "PNG" and image.width > 500 and image.height > 300
    assert sorted(p.name for p in explain_dir.iterdir()) == ["explain.md", "explain.png"]  # no temp files left


@pytest.mark.parametrize("name", ["Pneumonia", "Derm7pt"])
def test_vip_users_tree_loads_as_vips_code_lays_it_out(name, tmp_path, native_dir):
    """A tree in ViP's own layout (<root>/Pneumonia/split_pneumonia.json + chest_xray/..., <root>/Derm7pt/
    split_skin.json + image/...), built from the published split file, runs through train.py with no
    dataset option set."""
    from shared_splits import SHARED_SPLITS, write_tree

    published = SHARED_SPLITS / "vip" / f"{name}.json"
    if not published.is_file():
        pytest.skip(f"{published} is absent (published ViP split files in ../shared/splits/vip/)")
    spec, small = write_tree(published, tmp_path / "data")
    subdir = {"Pneumonia": "chest_xray", "Derm7pt": "image"}[name]
    assert (tmp_path / "data" / name / spec.published_split_file).is_file()
    assert all((tmp_path / "data" / name / subdir / rel).is_file() for rel, _, _ in small["test"])
    out = tmp_path / "run"
    train(["--root", tmp_path / "data", "--seed", 1, "--trainer", "ViP",
           "--dataset-config-file", f"configs/datasets/{name}.yaml",
           "--config", "vit_b16", "--output-dir", out],
          ["MODEL.BACKBONE.NAME", f"local-dir:{native_dir}", "MODEL.CACHE_DIR", tmp_path / "cache",
           "OPTIM.MAX_EPOCH", "1", "DATALOADER.TRAIN_X.BATCH_SIZE", "2"])
    assert 0 <= metrics(out)["accuracy"] <= 100
    assert read_run(out).winner.final.total == len(small["test"])
