"""BiomedCoOp reads its published LLM prompts from a user's BiomedCoOp checkout (the publisher's format:
`BIOMEDCOOP_TEMPLATES = {class name: [prompts]}` in trainers/prompt_templates.py, written here by the test),
parses without running it, and falls back to the project's descriptions with a log line."""

from __future__ import annotations

import pytest

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

import tiny_data  # noqa: E402
from medprompt.data import get_spec  # noqa: E402
from medprompt.utils.errors import InputFileError  # noqa: E402
from medprompt.methods.biomedcoop_prompts import read_published_prompts  # noqa: E402
from baseline_runs import build, train_args  # noqa: E402

PROMPTS = 6  # per class, fewer than N_PROMPTS 50: all of them are used


def write_checkout(root, classnames, marker="published"):
    """A BiomedCoOp checkout's prompt file in the publisher's layout and format."""
    body = ",\n".join(f'    "{name}": [\n' + ",\n".join(f'        "{marker} prompt {i} of {name}."' for i in range(PROMPTS))
                      + "\n    ]" for name in classnames)
    (root / "trainers").mkdir(parents=True)
    (root / "trainers" / "prompt_templates.py").write_text(
        'CUSTOM_TEMPLATES = {"BTMRI": "a photo of a {}."}\n\nIMAGENET_TEMPLATES = ["a photo of a {}."]\n\n'
        f"BIOMEDCOOP_TEMPLATES = {{\n{body}\n}}\n\nraise SystemExit('this file must be read, not run')\n")
    return root


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    tiny_data.write_tiny_dataset(root, "BTMRI", per_class=2)
    return root


def test_the_published_prompt_file_is_read_without_running_it(tmp_path):
    checkout = write_checkout(tmp_path / "BiomedCoOp", ["glioma tumor", "normal brain"])
    prompts = read_published_prompts(checkout)
    assert list(prompts) == ["glioma tumor", "normal brain"] and len(prompts["glioma tumor"]) == PROMPTS
    assert read_published_prompts(checkout / "trainers" / "prompt_templates.py") == prompts
    with pytest.raises(InputFileError, match="prompt_templates.py"):
        read_published_prompts(tmp_path / "elsewhere")


def test_biomedcoop_trains_on_the_published_prompts(native_dir, data, tmp_path, capsys):
    names = list(get_spec("BTMRI").classnames)
    checkout = write_checkout(tmp_path / "BiomedCoOp", names)
    trainer = build(train_args("BiomedCoOp", native_dir, data, tmp_path / "out", tmp_path / "cache",
                               "TRAINER.BIOMEDCOOP.PUBLISHED_PROMPTS", str(checkout)))
    out = capsys.readouterr().out
    assert f"LLM prompts from the publisher's file {checkout / 'trainers' / 'prompt_templates.py'}" in out
    assert trainer.llm_features.shape[:2] == (len(names), PROMPTS) and bool(trainer.llm_valid.all())


def test_a_checkout_without_the_dataset_falls_back_with_a_log_line(native_dir, data, tmp_path, capsys):
    checkout = write_checkout(tmp_path / "BiomedCoOp", ["some other class"])
    trainer = build(train_args("BiomedCoOp", native_dir, data, tmp_path / "out", tmp_path / "cache",
                               "TRAINER.BIOMEDCOOP.PUBLISHED_PROMPTS", str(checkout)))
    out = capsys.readouterr().out
    assert "cannot use the published prompts" in out and "using the project's descriptions instead" in out
    assert trainer.llm_features.shape[1] != PROMPTS  # the project's 16 per class
