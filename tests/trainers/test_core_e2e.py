"""End to end through train.py with the stock Dassl: MedPromptCLIP base-to-new with reload, zero-shot
trainers, both kinds of text tower, checkpoint checks and the image cache."""

from __future__ import annotations

import json
import re

import pytest
import tiny_data
import tiny_models
import torch
from e2e import REPO, metrics, needs_dassl, train

needs_dassl()

DATASET = "BTMRI"  # 4 classes: base = 2, new = 2


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Data without training images, a filled hub cache for the real PMC-CLIP and BiomedCLIP ids."""
    root = tmp_path_factory.mktemp("e2e")
    tiny_data.write_tiny_dataset(root / "data", DATASET, per_class=3, with_train_images=False)
    tiny_models.fill_fake_hub_cache(root / "hf", "ryanyip7777/pmc_vit_l_14", "native")
    tiny_models.fill_fake_hub_cache(root / "hf", "microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224", "hf")
    return root


def common(world, trainer, config, out):
    return ["--root", world / "data", "--seed", 1, "--trainer", trainer,
            "--dataset-config-file", f"configs/datasets/{DATASET}.yaml",
            "--config-file", f"configs/trainers/{trainer}/{config}.yaml", "--output-dir", out]


def env(world):
    return {"HF_HOME": str(world / "hf")}


SHORT = ["OPTIM.MAX_EPOCH", "2", "OPTIM.WARMUP_EPOCH", "1", "DATALOADER.TRAIN_X.BATCH_SIZE", "16"]


@pytest.mark.parametrize("config", ["pmc_vit_l14", "biomedclip"])
def test_base_to_new_with_reload(world, config):
    cache = ["MODEL.CACHE_DIR", world / f"cache-{config}"]
    base = world / f"{config}-base"
    log = train(common(world, "MedPromptCLIP", config, base), [*SHORT, *cache, "DATASET.SUBSAMPLE_CLASSES", "base"],
                env(world))
    assert "Text-only training: 2 classes" in log  # base classes only: new classes' descriptions unseen
    trained = metrics(base)
    assert 0 <= trained["accuracy"] <= 100 and "macro_auc" in trained

    # only the learned tensors are saved
    ckpt = torch.load(base / "prompt_learner" / "model.pth.tar-2", weights_only=True)
    assert set(ckpt["state_dict"]) == {"ctx"} | {f"deep_ctx.{i}" for i in range(2)}
    assert ckpt["val_result"] is None and ckpt["meta"]["n_ctx"] == 6

    again = world / f"{config}-base-again"
    log = train([*common(world, "MedPromptCLIP", config, again), "--eval-only", "--model-dir", base],
                [*cache, "DATASET.SUBSAMPLE_CLASSES", "base"], env(world))
    assert "Encoding test images" not in log  # the frozen image features came from the cache
    assert metrics(again) == trained

    new = world / f"{config}-new"
    train([*common(world, "MedPromptCLIP", config, new), "--eval-only", "--model-dir", base],
          [*cache, "DATASET.SUBSAMPLE_CLASSES", "new"], env(world))
    assert metrics(new)["accuracy"] >= 0


def test_checkpoint_with_other_prompt_shape_is_refused(world):
    base = world / "shape-base"
    train(common(world, "MedPromptCLIP", "pmc_vit_l14", base), [*SHORT, "MODEL.CACHE_DIR", "none"], env(world))
    log = train([*common(world, "MedPromptCLIP", "pmc_vit_l14", world / "shape-eval"), "--eval-only",
                 "--model-dir", base], ["TRAINER.MEDPROMPTCLIP.N_CTX", "4", "MODEL.CACHE_DIR", "none"],
                env(world), ok=False)
    assert "n_ctx=6, but this run has n_ctx=4" in log


def test_training_on_extra_description_classes(world):
    path = world / "wide.json"
    descriptions = json.loads((REPO / "llm_descriptions" / f"{DATASET}.json").read_text())
    descriptions["Retinal_detachment"] = ["a grey fold lifted off the back of the eye"] * 2
    path.write_text(json.dumps(descriptions))
    log = train(common(world, "MedPromptCLIP", "pmc_vit_l14", world / "wide"),
                [*SHORT, "MODEL.CACHE_DIR", "none", "DATASET.SUBSAMPLE_CLASSES", "base",
                 "TRAINER.MEDPROMPTCLIP.DESCRIPTIONS", path, "TRAINER.MEDPROMPTCLIP.TRAIN_EXTRA_CLASSES", "True"],
                env(world))
    # 2 base classes + the extra class; the 2 new classes of the dataset stay out
    assert "Text-only training: 3 classes" in log
    assert re.search(r"Extra training classes from \S+wide\.json: \['retinal detachment'\]", log)  # normalised


def test_missing_descriptions_name_the_class(world):
    path = world / "partial.json"
    path.write_text(json.dumps({"glioma tumor": ["a bright mass"]}))
    log = train(common(world, "MedPromptCLIP", "pmc_vit_l14", world / "partial"),
                [*SHORT, "MODEL.CACHE_DIR", "none", "TRAINER.MEDPROMPTCLIP.DESCRIPTIONS", path], env(world), ok=False)
    assert "3 of 4 classes have no descriptions" in log and "'meningioma tumor'" in log


@pytest.mark.parametrize("trainer,config", [
    ("ZeroshotCLIP", "vit_b16"), ("ZeroshotCLIP", "modality_vit_b16"), ("ZeroshotCLIP", "ensemble_vit_b16"),
    ("ZeroshotDescriptions", "vit_b16"), ("ZeroshotDescriptions", "dclip_vit_b16"),
])
def test_zero_shot_trainers(world, trainer, config):
    out = world / f"{trainer}-{config}"
    log = train([*common(world, trainer, config, out), "--eval-only"],
                ["MODEL.BACKBONE.NAME", "pmc-clip", "MODEL.CACHE_DIR", world / "zs-cache"], env(world))
    assert "* macro_f1:" in log
    assert set(metrics(out)) >= {"accuracy", "macro_f1", "balanced_accuracy", "kappa", "macro_auc",
                                 "macro_specificity"}
