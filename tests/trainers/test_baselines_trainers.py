"""CoOp, CoCoOp, MaPLe, KgCoOp and the linear probe on tiny models: a few steps lower the loss, on the
native and the Hugging Face text tower; train -> save -> reload for evaluation gives identical logits;
only the learner's tensors are trainable and saved."""

from __future__ import annotations

import pytest

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

import tiny_data  # noqa: E402
import torch  # noqa: E402
from baseline_runs import build, predictions, train_args  # noqa: E402

PROMPT_TRAINERS = ["CoOp", "CoCoOp", "MaPLe", "KgCoOp"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    tiny_data.write_tiny_dataset(root, "BTMRI", per_class=2)
    return root


@pytest.mark.parametrize("tower", ["native", "hf"])
@pytest.mark.parametrize("trainer_name", PROMPT_TRAINERS)
def test_a_few_steps_lower_the_loss(trainer_name, tower, native_dir, hf_dir, data, tmp_path):
    model = native_dir if tower == "native" else hf_dir
    trainer = build(train_args(trainer_name, model, data, tmp_path / "out", tmp_path / "cache",
                                # Adam: the random tiny BERT gives tiny gradients that SGD would barely move
                                "OPTIM.NAME", "adam", "OPTIM.LR", "0.002",
                                # KgCoOp from "a photo of a" would start at the minimum of its own term
                                "TRAINER.KGCOOP.CTX_INIT", ""))
    batch = next(iter(trainer.train_loader_x))
    trainer.set_model_mode("train")
    with torch.no_grad():
        before = trainer.compute_loss(batch)[0].item()
    learned = [p for p in trainer.learner.parameters() if p.requires_grad]
    start = [p.detach().clone() for p in learned]
    with torch.no_grad():
        class_features = trainer.classifier().clone()
    for _ in range(4):
        trainer.forward_backward(batch)
    with torch.no_grad():
        after = trainer.compute_loss(batch)[0].item()
        assert not torch.equal(trainer.classifier(), class_features), "the prompts reach the class features"
    assert all(not torch.equal(p, p0) for p, p0 in zip(learned, start)), "every learned tensor got a step"
    # the random tiny BERT maps every class prompt to nearly one feature (loss within 1e-5 of log C), so
    # there a lower loss would be float noise
    if tower == "native":
        assert after < before, f"{trainer_name} ({tower}): loss {before:.4f} -> {after:.4f}"
    # the frozen backbone got no gradient and stayed out of the learner's state
    assert not any(p.requires_grad for p in trainer.clip.parameters())
    assert all(not k.startswith(("clip", "encoder", "tower", "visual")) for k in trainer.learner.state_dict())


@pytest.mark.parametrize("trainer_name", PROMPT_TRAINERS + ["LinearProbe"])
def test_train_save_reload_gives_identical_predictions(trainer_name, native_dir, data, tmp_path):
    argv = train_args(trainer_name, native_dir, data, tmp_path / "out", tmp_path / "cache",
                      "OPTIM.LR", "0.05", "DATASET.NUM_SHOTS", "2")
    trained = build(argv)
    trained.train()
    expected = predictions(trained)
    fresh = build(argv)
    untrained = predictions(fresh)
    fresh.load_model(str(tmp_path / "out"))
    assert torch.equal(predictions(fresh), expected)
    if trainer_name != "LinearProbe":  # training changed something, so the reload did something
        assert not torch.equal(untrained, expected)


def test_linear_probe_head_is_what_sklearn_fitted(native_dir, data, tmp_path):
    trainer = build(train_args("LinearProbe", native_dir, data, tmp_path / "out", tmp_path / "cache"))
    before = trainer.head.weight.clone()
    trainer.train()
    assert not torch.equal(trainer.head.weight, before)
    assert (tmp_path / "out" / "prompt_learner" / "checkpoint").is_file()


def test_class_specific_context_has_one_context_per_class(native_dir, data, tmp_path):
    trainer = build(train_args("CoOp", native_dir, data, tmp_path / "out", tmp_path / "cache",
                               "TRAINER.COOP.CSC", "True", "TRAINER.COOP.N_CTX", "4"))
    assert tuple(trainer.prompts.ctx.shape) == (4, 4, trainer.text_encoder.width)
    assert trainer.class_text_features().shape[0] == 4


def test_kgcoop_term_measures_distance_to_zero_shot_features(native_dir, data, tmp_path):
    # initialised from the words of the zero-shot template, the learned features start equal to it
    same = build(train_args("KgCoOp", native_dir, data, tmp_path / "o1", tmp_path / "cache"))
    assert same.extra_losses(same.classifier())["kg_loss"].item() == pytest.approx(0.0, abs=1e-5)
    other = build(train_args("KgCoOp", native_dir, data, tmp_path / "o2", tmp_path / "cache",
                             "TRAINER.KGCOOP.CTX_INIT", ""))
    assert other.extra_losses(other.classifier())["kg_loss"].item() > 1e-4
    assert other.extra_losses(other.zeroshot_features)["kg_loss"].item() == pytest.approx(0.0, abs=1e-5)


def test_cocoop_uses_cached_image_features_and_maple_does_not(native_dir, data, tmp_path):
    cocoop = build(train_args("CoCoOp", native_dir, data, tmp_path / "o1", tmp_path / "cache"))
    cocoop.test()
    assert cocoop.cache.misses + cocoop.cache.hits >= 1  # the test split went through the feature cache
    maple = build(train_args("MaPLe", native_dir, data, tmp_path / "o2", tmp_path / "cache"))
    maple.test()
    assert maple.cache.misses + maple.cache.hits == 0


@pytest.mark.parametrize("trainer_name", PROMPT_TRAINERS + ["LinearProbe"])
def test_end_to_end_through_train_py(trainer_name, hf_dir, data, tmp_path):
    from baseline_runs import run_train_py

    from medprompt.results import read_run

    out = tmp_path / "out"
    run_train_py(train_args(trainer_name, hf_dir, data, out, tmp_path / "cache", "DATASET.NUM_SHOTS", "2"))
    run = read_run(out)
    assert run.finished, run.reason
    assert {"accuracy", "macro_f1", "kappa"} <= set(run.metrics)


def test_maple_says_when_the_image_tower_has_fewer_layers_than_its_depth(native_dir, data, tmp_path):
    # the tiny model: 3 text layers, 1 image layer
    with pytest.warns(UserWarning, match=r"TRAINER\.MAPLE\.DEPTH=3 but this image tower has 1 layers: "
                                         r"vision prompts in 1 layers, text prompts in 3"):
        trainer = build(train_args("MaPLe", native_dir, data, tmp_path / "out", tmp_path / "cache",
                                   "TRAINER.MAPLE.DEPTH", "3"))
    assert trainer.coupled.vision_depth == 1 and trainer.prompts.depth == 3
