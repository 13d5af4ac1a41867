"""Stacking CoOp and MaPLe on MedPromptCLIP: prompts loaded from a MedPromptCLIP checkpoint equal it
before training starts, a mismatch is one clear error, the auxiliary text-to-text loss changes the
gradient, and the named configs run end to end through train.py."""

from __future__ import annotations

import pytest

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

import tiny_data  # noqa: E402
import tiny_models  # noqa: E402
import torch  # noqa: E402
from baseline_runs import build, run_train_py, train_args  # noqa: E402

from medprompt.results import read_run  # noqa: E402
from trainers.checkpointing import CheckpointMismatchError  # noqa: E402
from trainers.stacking import checkpoint_file  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    tiny_data.write_tiny_dataset(root, "BTMRI", per_class=2)
    return root


@pytest.fixture(scope="module")
def mpc_run(native_dir, data, tmp_path_factory):
    """A finished MedPromptCLIP run (vit_b16 config: N_CTX 4, deep prompts) on the tiny model."""
    out = tmp_path_factory.mktemp("mpc") / "MedPromptCLIP"
    trainer = build(train_args("MedPromptCLIP", native_dir, data, out, out.parent / "cache", "OPTIM.LR", "0.01"))
    trainer.train()
    return out


def stacked(name, native_dir, data, tmp_path, mpc_run, *opts):
    return build(train_args(name, native_dir, data, tmp_path / "out", tmp_path / "cache",
                            "TRAINER.STACKING.INIT_FROM", str(mpc_run), *opts))


@pytest.mark.parametrize("name", ["MedPromptCLIP_CoOp", "MedPromptCLIP_MaPLe"])
def test_loaded_prompts_equal_the_checkpoint_before_training(name, native_dir, data, tmp_path, mpc_run):
    trainer = stacked(name, native_dir, data, tmp_path, mpc_run)
    saved = torch.load(checkpoint_file(str(mpc_run)), weights_only=True)["state_dict"]
    assert not torch.equal(trainer.prompts.ctx.detach().cpu(), saved["ctx"])  # not loaded yet at build time
    trainer.before_train()
    own = trainer.prompts.state_dict()
    assert set(own) == set(saved) and len(saved) > 1  # shallow and deep prompts
    for key, value in saved.items():
        assert torch.equal(own[key].cpu(), value), key


def test_shape_mismatch_is_a_clear_error(native_dir, data, tmp_path, mpc_run):
    trainer = stacked("MedPromptCLIP_CoOp", native_dir, data, tmp_path, mpc_run, "TRAINER.COOP.N_CTX", "16")
    with pytest.raises(CheckpointMismatchError) as err:
        trainer.before_train()
    message = str(err.value)
    assert "TRAINER.STACKING.INIT_FROM" in message and "ctx: checkpoint (4, 32) vs model (16, 32)" in message
    assert "model.pth.tar" in message


def test_another_backbone_is_refused(data, tmp_path, mpc_run):
    other = tiny_models.write_local_dir(tmp_path / "other", "native", seed=1)
    trainer = stacked("MedPromptCLIP_CoOp", other, data, tmp_path, mpc_run)
    with pytest.raises(CheckpointMismatchError, match="backbone"):
        trainer.before_train()


def test_stacked_trainers_require_init_from(native_dir, data, tmp_path):
    trainer = build(train_args("MedPromptCLIP_CoOp", native_dir, data, tmp_path / "out", tmp_path / "cache"))
    with pytest.raises(ValueError, match="TRAINER.STACKING.INIT_FROM"):
        trainer.before_train()


@pytest.mark.parametrize("name", ["CoOp", "MaPLe"])
def test_auxiliary_loss_changes_the_gradient(name, native_dir, data, tmp_path):
    def gradient(weight):
        trainer = build(train_args(name, native_dir, data, tmp_path / f"o{weight}", tmp_path / "cache",
                                   "TRAINER.STACKING.TEXT_LOSS_WEIGHT", str(weight), "TRAINER.MAPLE.TEMPLATE", "{}."))
        torch.manual_seed(0)
        for p in trainer.learner.parameters():  # the same starting point for both runs
            p.data = torch.randn_like(p) * 0.02
        trainer.set_model_mode("train")
        batch = next(iter(trainer.test_loader))  # a fixed batch: no random augmentation
        loss, summary = trainer.compute_loss(batch)
        loss.backward()
        return trainer.prompts.ctx.grad.clone(), summary

    plain, plain_summary = gradient(0.0)
    aux, aux_summary = gradient(1.0)
    assert "text_loss" not in plain_summary and aux_summary["text_loss"] > 0
    assert aux_summary["ce"] == pytest.approx(plain_summary["loss"], rel=1e-5)
    assert not torch.allclose(plain, aux)


def test_named_configs_run_end_to_end(native_dir, data, tmp_path, mpc_run):
    out = tmp_path / "stacked"
    run_train_py(train_args("MedPromptCLIP_MaPLe", native_dir, data, out, tmp_path / "cache",
                            "TRAINER.STACKING.INIT_FROM", str(mpc_run)))
    run = read_run(out)
    assert run.finished, run.reason
    log = (out / "log.txt").read_text()
    assert "Initialised the text prompts from" in log and "text_loss" in log
    evaluated = tmp_path / "eval"
    run_train_py(train_args("MedPromptCLIP_MaPLe", native_dir, data, evaluated, tmp_path / "cache",
                            flags=("--eval-only", "--model-dir", str(out))))
    again = read_run(evaluated)
    assert again.finished and again.metrics == run.metrics
