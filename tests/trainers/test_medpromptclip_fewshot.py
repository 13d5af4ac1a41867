"""MedPromptCLIP's published few-shot stage (MedPromptCLIP_FewShot): on a tiny image tree it starts from a
text-only MedPromptCLIP run (--model-dir when training, as the publisher's script, or
TRAINER.STACKING.INIT_FROM), takes that run's prompt shape, trains with cross-entropy alone, and its own run
evaluates again from --model-dir."""

from __future__ import annotations

import pytest

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

import torch  # noqa: E402

from medprompt.results import read_run  # noqa: E402
from baseline_runs import build, run_train_py, train_args  # noqa: E402
from test_stacking_mpc import data, mpc_run as text_run  # noqa: E402,F401  (a tiny tree, a text-only run)
from trainers.stacking import checkpoint_file  # noqa: E402


def test_fewshot_stage_trains_from_the_text_only_run(native_dir, data, tmp_path, text_run):
    out = tmp_path / "fewshot"
    run_train_py(train_args("MedPromptCLIP_FewShot", native_dir, data, out, tmp_path / "cache", "OPTIM.LR", "0.01",
                            "DATASET.NUM_SHOTS", "2", flags=("--model-dir", str(text_run))))
    run = read_run(out)
    assert run.finished, run.reason
    log = (out / "log.txt").read_text()
    assert f"Initialised the text prompts from {checkpoint_file(str(text_run))}" in log
    assert "text_loss" not in log and "acc" in log  # cross-entropy alone, on images
    start = torch.load(checkpoint_file(str(text_run)), weights_only=True)["state_dict"]
    tuned = torch.load(checkpoint_file(str(out)), weights_only=True)["state_dict"]
    assert set(tuned) == set(start) and len(start) > 1  # the same deep prompts, all of them
    assert all(tuned[k].shape == start[k].shape for k in start)
    assert not torch.equal(tuned["ctx"], start["ctx"])  # fine-tuned
    evaluated = tmp_path / "eval"
    run_train_py(train_args("MedPromptCLIP_FewShot", native_dir, data, evaluated, tmp_path / "cache",
                            flags=("--eval-only", "--model-dir", str(out))))
    again = read_run(evaluated)
    assert again.finished and again.metrics == run.metrics


def test_prompt_shape_comes_from_the_checkpoint(native_dir, data, tmp_path, text_run):
    trainer = build(train_args("MedPromptCLIP_FewShot", native_dir, data, tmp_path / "out", tmp_path / "cache",
                               "TRAINER.STACKING.INIT_FROM", str(text_run), "TRAINER.MEDPROMPTCLIP.N_CTX", "7"))
    saved = torch.load(checkpoint_file(str(text_run)), weights_only=True)["state_dict"]
    assert trainer.prompts.ctx.shape == saved["ctx"].shape
    trainer.before_train()
    assert torch.equal(trainer.prompts.ctx.detach().cpu(), saved["ctx"])


def test_without_a_text_run_it_says_what_to_give(native_dir, data, tmp_path):
    with pytest.raises(ValueError, match="TRAINER.STACKING.INIT_FROM"):
        build(train_args("MedPromptCLIP_FewShot", native_dir, data, tmp_path / "out", tmp_path / "cache"))
