"""One short train.py run per publisher format, by the backbone's short name (its configs/backbones/ layer)
from a Hugging Face cache filled with tiny files in the publisher's format: MedPromptCLIP with deep prompts
trains and evaluates; MaPLe refuses a CNN image tower at start with one message."""

from __future__ import annotations

import publisher_files
import pytest
import tiny_data
from e2e import metrics, needs_dassl, train

needs_dassl()

DATASET = "BTMRI"
SHORT = ["OPTIM.MAX_EPOCH", "1", "OPTIM.WARMUP_EPOCH", "0", "DATALOADER.TRAIN_X.BATCH_SIZE", "16",
         "MODEL.CACHE_DIR", "none"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats-e2e")
    tiny_data.write_tiny_dataset(root / "data", DATASET, per_class=2, with_train_images=False)
    tiny_data.write_tiny_dataset(root / "images", DATASET, per_class=2)
    hf = root / "hf"
    plip = publisher_files.write_hf_clip(root / "plip-files")
    publisher_files.fill_hub_cache(hf, "vinid/plip", plip)
    publisher_files.fill_hub_cache(hf, "sarahESL/PubMedCLIP", publisher_files.write_pubmedclip_pth(root / "pmc"))
    unimed = publisher_files.write_unimed(root / "unimed" / "files", with_bert=False)
    publisher_files.fill_hub_cache(hf, "UzairK/unimed-clip-vit-b16", unimed)
    publisher_files.fill_hub_cache(hf, "microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract", root / "unimed" / "bert")
    pmc = publisher_files.write_pmc_clip_rn50(root / "pmc-rn50", with_bert=True)
    publisher_files.fill_hub_cache(hf, "axiong/pmc_oa", pmc, repo_type="dataset")
    publisher_files.write_medclip(root / "cache" / "backbones" / "medclip", with_bert=False)
    publisher_files.write_flair(root / "cache" / "backbones" / "flair", with_bert=False)
    publisher_files.fill_hub_cache(hf, "emilyalsentzer/Bio_ClinicalBERT", root / "cache" / "backbones" / "bert")
    return root


def run(world, backbone, trainer="MedPromptCLIP", opts=(), ok=True, data="data"):
    out = world / f"{trainer}-{backbone}"
    log = train(["--root", world / data, "--seed", 1, "--trainer", trainer, "--backbone", backbone,
                 "--dataset-config-file", f"configs/datasets/{DATASET}.yaml", "--output-dir", out],
                [*SHORT, *opts], {"HF_HOME": str(world / "hf"), "MEDPROMPT_CACHE": str(world / "cache")}, ok=ok)
    return out, log


@pytest.mark.parametrize("backbone", ["plip", "pubmedclip", "unimed", "pmc-clip-rn50", "medclip", "flair"])
def test_deep_text_prompts_train_and_evaluate(world, backbone):
    # MedCLIP's Swin is built for 224 px input
    size = ["INPUT.SIZE", "(224,224)"] if backbone == "medclip" else []
    out, log = run(world, backbone, opts=["TRAINER.MEDPROMPTCLIP.DEPTH", "3", *size])
    assert f"Loading backbone {backbone!r}" in log and "* macro_f1:" in log
    assert 0 <= metrics(out)["accuracy"] <= 100


def test_maple_refuses_a_cnn_image_tower_at_start(world):
    _, log = run(world, "pmc-clip-rn50", trainer="MaPLe", ok=False, data="images")
    assert "Vision prompts need a ViT image tower" in log and "ModifiedResNet" in log
    assert "Traceback" not in log  # one message, no stack
