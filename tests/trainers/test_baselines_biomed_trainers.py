"""BiomedCoOp, ProGrad, CLIP-Adapter, Tip-Adapter(-F) and the text-informed probe as Dassl trainers on a
tiny backbone: each runs through train.py and reloads to the same predictions; the heads on frozen
features read every image's feature from the cache (one encoder pass per image across methods, splits
and seeds); ProGrad applies its projection; BiomedCoOp stacks on MedPromptCLIP like CoOp."""

from __future__ import annotations

import pytest

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

import tiny_data  # noqa: E402
import torch  # noqa: E402
from baseline_runs import build, predictions, run_train_py, train_args  # noqa: E402

from medprompt.clip.logits import cosine_logits  # noqa: E402
from medprompt.methods.prograd import distillation_loss, project_conflicting  # noqa: E402
from medprompt.results import read_run  # noqa: E402
from trainers.stacking import checkpoint_file  # noqa: E402

NEW_TRAINERS = ["BiomedCoOp", "ProGrad", "CLIPAdapter", "TipAdapter", "TipAdapterF", "TextLinearProbe"]
FEATURE_TRAINERS = ["CLIPAdapter", "TipAdapter", "TipAdapterF", "TextLinearProbe", "LinearProbe"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    tiny_data.write_tiny_dataset(root, "BTMRI", per_class=3)
    return root


# the prompt methods on both text towers; the heads only see features, so one tower (BiomedCLIP's) suffices
RUNS = [(name, tower) for name in ["BiomedCoOp", "ProGrad"] for tower in ["native", "hf"]]
RUNS += [(name, "hf") for name in NEW_TRAINERS[2:]]


@pytest.mark.parametrize("trainer_name,tower", RUNS)
def test_end_to_end_through_train_py_and_reload(trainer_name, tower, native_dir, hf_dir, data, tmp_path):
    model = native_dir if tower == "native" else hf_dir
    argv = train_args(trainer_name, model, data, tmp_path / "out", tmp_path / "cache", "DATASET.NUM_SHOTS", "2",
                      "OPTIM.MAX_EPOCH", "2", "TRAINER.TIP_ADAPTER.SEARCH_STEP", "[20, 20]")
    run_train_py(argv)
    run = read_run(tmp_path / "out")
    assert run.finished, run.reason
    assert {"accuracy", "macro_f1", "kappa"} <= set(run.metrics)
    fresh = build(argv)
    untrained = predictions(fresh)
    fresh.load_model(str(tmp_path / "out"))
    reloaded = predictions(fresh)
    if trainer_name != "TipAdapter":  # training-free with alpha=beta=1 could coincide with its search
        assert not torch.equal(untrained, reloaded)
    again = build(argv)
    again.load_model(str(tmp_path / "out"))
    assert torch.equal(predictions(again), reloaded)


def test_feature_heads_encode_each_image_once_across_methods_and_seeds(native_dir, data, tmp_path, monkeypatch):
    import trainers.base

    cache, encoded = tmp_path / "cache", {}
    real = trainers.base.encode_loader

    def counting(encode, loader, device, desc=""):
        out = real(encode, loader, device, desc)
        encoded[run] = encoded.get(run, 0) + len(out["features"])
        return out

    monkeypatch.setattr(trainers.base, "encode_loader", counting)
    for run in [("CLIPAdapter", 1), ("TipAdapterF", 2), ("TextLinearProbe", 1), ("LinearProbe", 2), ("TipAdapter", 1)]:
        name, seed = run
        build(train_args(name, native_dir, data, tmp_path / f"{name}{seed}", cache, "DATASET.NUM_SHOTS", "1",
                         "TRAINER.TIP_ADAPTER.SEARCH_STEP", "[5, 5]", "PUBLISHED_SETTINGS", "False",  # one view
                         seed=seed)).train()
    # seed 1's train sample and the test split are encoded by the first run; TextLinearProbe (seed 1)
    # and LinearProbe (seed 2, whose train/val samples TipAdapterF encoded) encode nothing
    assert encoded[("CLIPAdapter", 1)] == 4 + 12 and encoded[("TipAdapterF", 2)] > 0
    assert ("TextLinearProbe", 1) not in encoded and ("LinearProbe", 2) not in encoded
    stored = [key for shard in cache.rglob("image_rows/*/*.pt") for key in torch.load(shard)["ids"]]
    assert len(stored) == len(set(stored)) == sum(encoded.values())  # no image was ever encoded twice


def test_prograd_applies_the_projected_gradient(native_dir, data, tmp_path):
    trainer = build(train_args("ProGrad", native_dir, data, tmp_path / "out", tmp_path / "cache",
                               "TRAINER.PROGRAD.CTX_INIT", ""))  # the step leaves .grad as it was
    trainer.set_model_mode("train")
    batch = next(iter(trainer.test_loader))  # fixed images: no random augmentation
    loss, _, step = trainer.step_loss(*trainer.parse_batch_train(batch))
    zeroshot = cosine_logits(step.image_features, trainer.zeroshot_features, trainer.logit_scale)
    ctx = trainer.prompts.ctx
    (ce_grad,) = torch.autograd.grad(loss, ctx, retain_graph=True)
    (kl_grad,) = torch.autograd.grad(distillation_loss(step.logits, zeroshot), ctx)
    summary = trainer.forward_backward(batch)
    assert summary["kl_loss"] > 0
    assert torch.allclose(ctx.grad, project_conflicting(ce_grad, kl_grad), atol=1e-6)
    if torch.dot(ce_grad.flatten(), kl_grad.flatten()) < 0:
        assert not torch.allclose(ctx.grad, ce_grad)


def test_biomedcoop_terms_and_stacking_on_medpromptclip(native_dir, data, tmp_path):
    mpc = tmp_path / "mpc"
    build(train_args("MedPromptCLIP", native_dir, data, mpc, tmp_path / "cache", "OPTIM.LR", "0.01")).train()
    trainer = build(train_args("BiomedCoOp", native_dir, data, tmp_path / "out", tmp_path / "cache",
                               "TRAINER.STACKING.INIT_FROM", str(mpc), "TRAINER.STACKING.TEXT_LOSS_WEIGHT", "1.0",
                               "TRAINER.BIOMEDCOOP.DEPTH", "9"))  # MedPromptCLIP/vit_b16's deep prompts
    trainer.before_train()
    saved = torch.load(checkpoint_file(str(mpc)), weights_only=True)["state_dict"]
    assert torch.equal(trainer.prompts.ctx.detach().cpu(), saved["ctx"])  # started from MedPromptCLIP
    assert tuple(trainer.llm_features.shape[:2]) == (4, 16)  # every description of the shipped file
    trainer.set_model_mode("train")
    _, summary = trainer.compute_loss(next(iter(trainer.test_loader)))
    assert {"ce", "text_loss", "sccm_loss", "kdsp_loss"} <= set(summary)
    assert summary["loss"] == pytest.approx(summary["ce"] + summary["text_loss"] + summary["sccm_loss"]
                                            + summary["kdsp_loss"], rel=1e-5)
