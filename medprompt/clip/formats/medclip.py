"""MedCLIP-ViT (RyanWangZf/MedCLIP @9c3396f): ``pytorch_model.bin`` from the zip that
medclip/medclip_vit_weight.txt points at (https://storage.googleapis.com/pytrial/medclip-vit-pretrained.zip).

Its keys (medclip/modeling_medclip.py, MedCLIPModel with MedCLIPVisionModelViT): ``vision_model.model.*``, a
transformers 4 SwinModel (its key names, renamed here to transformers 5's) (``microsoft/swin-tiny-patch4-window7-224``), ``vision_model.projection_head.weight``
(768 -> 512, no bias) applied to its pooled output; ``text_model.model.*``, a BertModel
(``emilyalsentzer/Bio_ClinicalBERT``; its pooler layer is unused), ``text_model.projection_head.weight``
(768 -> 512, no bias) applied to the mean of hidden states 1, 2 and last (medprompt/clip/two_tower.py);
``logit_scale``.

The Swin architecture is read off the tensor shapes (patch size and width from the patch embedding, blocks
per stage, heads and window from the relative-position tables); its input is 224 px (medclip/constants.py
IMG_SIZE). Tokenizer: Bio_ClinicalBERT's, ``model_max_length = 77``. Preprocessing (MedCLIPFeatureExtractor,
medclip/dataset.py): grey image padded to a square, bicubic resize to 224, centre crop, mean 0.5862785803043838,
std 0.27950088968644304 (constants.py), repeated on 3 channels. A Swin image tower: no vision prompts.
"""

from __future__ import annotations

import os

import open_clip
import torch
from torch import nn

from medprompt.clip.formats import FolderFormat, Loaded
from medprompt.clip.formats.bert_text import is_bert_buffer, text_folder
from medprompt.clip.formats.image_transforms import medclip_transform
from medprompt.clip.formats.state_dicts import (
    drop,
    load_strict,
    read_state_dict,
    rename,
)
from medprompt.clip.two_tower import SwinImageTower, TwoTowerCLIP, bert_text_tower
from medprompt.clip.package_tower import BackboneNotFoundError

WEIGHTS_FILE = "pytorch_model.bin"  # medclip/constants.py WEIGHTS_NAME
MARKERS = ("vision_model.projection_head.weight", "text_model.projection_head.weight")
TEXT_REPO = "emilyalsentzer/Bio_ClinicalBERT"
IMAGE_SIZE = 224
IMAGE_MEAN, IMAGE_STD = 0.5862785803043838, 0.27950088968644304
CONTEXT_LENGTH = 77
SWIN = "visual.trunk."
#: Swin key names of transformers 4 (which wrote MedCLIP's file) -> transformers 5's, in this order (the
#: renamings transformers 5 itself applies to "swin" checkpoints, conversion_mapping.py)
SWIN_RENAMES = (("attention.self.query.", "attention.q_proj."), ("attention.self.key.", "attention.k_proj."),
                ("attention.self.value.", "attention.v_proj."),
                ("attention.self.relative_position_bias_table", "attention.relative_position_bias.relative_position_bias_table"),
                ("attention.output.dense.", "attention.o_proj."), ("intermediate.dense.", "mlp.fc1."),
                ("output.dense.", "mlp.fc2."))


def current_swin_key(key: str) -> str:
    """A transformers 4 Swin key under SWIN renamed as transformers 5 names it (other keys unchanged)."""
    if not key.startswith(SWIN):
        return key
    for old, new in SWIN_RENAMES:
        if old in key:
            key = key.replace(old, new)
    return key


def detect(folder: str) -> bool:
    path = os.path.join(folder, WEIGHTS_FILE)
    if not os.path.isfile(path) or os.path.isfile(os.path.join(folder, "config.json")) and _is_clip_config(folder):
        return False
    try:  # memory-mapped: reads the key names, not the tensors
        keys = torch.load(path, map_location="cpu", weights_only=True, mmap=True).keys()
    except Exception:  # noqa: BLE001 - not a zip-format torch file: not this format
        return False
    return all(marker in keys for marker in MARKERS)


def _is_clip_config(folder: str) -> bool:
    import json

    with open(os.path.join(folder, "config.json"), encoding="utf-8") as handle:
        return json.load(handle).get("model_type") == "clip"


def swin_config(state: dict, image_size: int = IMAGE_SIZE):
    """A transformers SwinConfig with the shapes of the Swin tensors under SWIN."""
    from transformers import SwinConfig

    patch = state[SWIN + "embeddings.patch_embeddings.projection.weight"]
    depths, heads, window = [], [], None
    stage = 0
    table_key = "{}encoder.layers.{}.blocks.0.attention.relative_position_bias.relative_position_bias_table"
    while table_key.format(SWIN, stage) in state:
        blocks = {k.split(".")[5] for k in state if k.startswith(f"{SWIN}encoder.layers.{stage}.blocks.")}
        table = state[table_key.format(SWIN, stage)]
        depths.append(len(blocks))
        heads.append(table.shape[1])
        window = (round(table.shape[0] ** 0.5) + 1) // 2
        stage += 1
    if not depths:
        raise BackboneNotFoundError("the MedCLIP weights hold no Swin stages (vision_model.model.encoder.layers.*)")
    mlp = state[f"{SWIN}encoder.layers.0.blocks.0.mlp.fc1.weight"].shape[0] / patch.shape[0]
    return SwinConfig(image_size=image_size, patch_size=patch.shape[-1], num_channels=patch.shape[1],
                      embed_dim=patch.shape[0], depths=depths, num_heads=heads, window_size=window, mlp_ratio=mlp,
                      use_absolute_embeddings=SWIN + "embeddings.position_embeddings" in state)


def load(folder: str, random: bool) -> Loaded:
    from transformers import SwinModel

    path = os.path.join(folder, WEIGHTS_FILE)
    state = rename(read_state_dict(path), [("vision_model.model.", SWIN), ("vision_model.projection_head.", "visual.proj."),
                                           ("text_model.model.", "text.transformer."),
                                           ("text_model.projection_head.", "text.proj.")])
    state = {current_swin_key(k): v for k, v in state.items()}
    # BERT's pooler layer is in the file but MedCLIP's pooling never uses it; transformers 5 recomputes
    # Swin's relative_position_index instead of keeping it
    state = drop(state, lambda k: is_bert_buffer(k) or k.startswith("text.transformer.pooler.")
                 or k.endswith("relative_position_index"))
    bert = text_folder(folder, TEXT_REPO, "medclip")
    vision_proj, text_proj = state["visual.proj.weight"], state["text.proj.weight"]
    swin = SwinModel(swin_config(state))
    visual = SwinImageTower(swin, nn.Linear(vision_proj.shape[1], vision_proj.shape[0], bias=False), IMAGE_SIZE)
    text = bert_text_tower(bert, text_proj.shape[0], nn.Linear(text_proj.shape[1], text_proj.shape[0], bias=False))
    model = TwoTowerCLIP(visual, text, logit_scale=float(state.get("logit_scale", torch.tensor(0.0))))
    if not random:
        load_strict(model, state, path)
    tokenizer = open_clip.tokenizer.HFTokenizer(bert, context_length=CONTEXT_LENGTH)
    return model, tokenizer, medclip_transform(IMAGE_SIZE, IMAGE_MEAN, IMAGE_STD)


FORMAT = FolderFormat("MedCLIP", "pytorch_model.bin with vision_model.projection_head / text_model.projection_head "
                      "(MedCLIP-ViT, from medclip-vit-pretrained.zip), Bio_ClinicalBERT's config.json and tokenizer "
                      "beside it or in the Hugging Face cache", detect, load)
