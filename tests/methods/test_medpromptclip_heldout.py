"""MedPromptCLIP through train.py: checkpoint selection on held-out training classes (text only, no image
read, new classes never seen) and the new losses in a real run."""

from __future__ import annotations

import re

import pytest
import tiny_data
import tiny_models
import torch
from e2e import metrics, needs_dassl, train

needs_dassl()

DATASET = "Kvasir"  # 8 classes: base = the first 4, new = the last 4
BASE = ["dyed lifted polyps", "dyed resection margins", "esophagitis", "normal cecum"]
NEW = ["normal pylorus", "normal z line", "polyps", "ulcerative colitis"]
EPOCHS = 4


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """No training images at all, and validation images that cannot be decoded: a run that read either
    would fail. The fake hub cache makes the PMC-CLIP config load a tiny model."""
    root = tmp_path_factory.mktemp("heldout")
    folder = tiny_data.write_tiny_dataset(root / "data", DATASET, per_class=1, with_train_images=False)
    val_images = list(folder.rglob("val_*.png"))
    assert len(val_images) == 8
    for path in val_images:
        path.write_bytes(b"not an image")
    tiny_models.fill_fake_hub_cache(root / "hf", "ryanyip7777/pmc_vit_l_14", "native")
    return root


def run(world, out, opts=(), eval_from=None, subsample="base"):
    args = ["--root", world / "data", "--seed", 1, "--trainer", "MedPromptCLIP",
            "--dataset-config-file", f"configs/datasets/{DATASET}.yaml",
            "--config-file", "configs/trainers/MedPromptCLIP/pmc_vit_l14.yaml", "--output-dir", out]
    if eval_from:
        args += ["--eval-only", "--model-dir", eval_from]
    opts = ["MODEL.CACHE_DIR", "none", "DATASET.VERIFY_IMAGES", "False", "DATASET.SUBSAMPLE_CLASSES", subsample,
            "OPTIM.MAX_EPOCH", EPOCHS, "OPTIM.WARMUP_EPOCH", 1, "DATALOADER.TRAIN_X.BATCH_SIZE", 16, *opts]
    return train(args, opts, {"HF_HOME": str(world / "hf")})


def heldout_names(log: str) -> list[str]:
    line = re.search(r"Held-out validation classes \(.*\): 2 of 4 training classes, 32 descriptions, no images: "
                     r"\[(.*)\]", log)
    assert line, log[-3000:]
    return re.findall(r"'([^']+)'", line.group(1))


def test_best_heldout_epoch_is_kept_without_reading_an_image(world):
    base = world / "best"
    # REQUIRE_TRAIN_IMAGES True as a user may leave it: the text-only trainer still needs no training image
    log = run(world, base, ["TRAINER.MEDPROMPTCLIP.VAL_HELDOUT_CLASSES", 0.5, "TEST.FINAL_MODEL", "best_val",
                            "TRAINER.MEDPROMPTCLIP.LOSS", "contrastive", "DATASET.REQUIRE_TRAIN_IMAGES", "True"])
    held = heldout_names(log)
    assert len(held) == 2 and set(held) < set(BASE)  # drawn from the base classes, never from the new ones
    assert not any(name in log for name in NEW)  # a new class's name (and so its descriptions) never came up
    assert "Text-only training: 2 classes, 32 descriptions" in log  # the held-out classes are not trained on
    scores = [float(s) for s in re.findall(r"Held-out classes, epoch \d+/\d+: accuracy ([\d.]+)%, mean rank", log)]
    assert len(scores) == EPOCHS
    assert "Evaluate on the *val* set" not in log and "Deploy the model with the best val performance" in log

    best = torch.load(base / "prompt_learner" / "model-best.pth.tar", weights_only=True)
    assert best["val_result"] == pytest.approx(max(scores), abs=0.05)
    assert best["epoch"] == 1 + scores.index(max(scores))  # the first epoch with the best score
    assert re.search(r"Loaded \S+model-best\.pth\.tar into prompt_learner \(epoch=%d," % best["epoch"], log)
    trained = metrics(base)

    # base-to-new: the new classes are evaluated with the selected prompts
    log = run(world, world / "best-new", eval_from=base, subsample="new")
    assert "model-best.pth.tar" in log and metrics(world / "best-new")["accuracy"] >= 0
    assert 0 <= trained["accuracy"] <= 100


def test_heldout_score_is_logged_when_the_last_epoch_is_kept(world):
    out = world / "last"
    log = run(world, out, ["TRAINER.MEDPROMPTCLIP.VAL_HELDOUT_CLASSES", 0.5, "TRAINER.MEDPROMPTCLIP.LOSS", "centered"])
    assert len(heldout_names(log)) == 2 and "the last epoch is kept" in log
    assert len(re.findall(r"Held-out classes, epoch \d+/\d+: accuracy", log)) == EPOCHS
    assert not (out / "prompt_learner" / "model-best.pth.tar").exists()
    assert "Deploy the last-epoch model" in log and metrics(out)["accuracy"] >= 0

