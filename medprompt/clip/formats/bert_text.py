"""The BERT text tower's config and tokenizer files for formats whose weights file holds only tensors
(UniMed-CLIP, PMC-CLIP RN50): taken from the backbone folder when it holds them, else from the Hugging Face
repo of the BERT the publisher built on (cached, or downloaded when the hub can be reached).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import open_clip
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD
from torch import Tensor

from medprompt.clip.formats import Loaded
from medprompt.clip.formats.state_dicts import load_strict
from medprompt.clip.published import Published, spec_folder
from medprompt.clip.package_tower import create_package_tower_model

CONFIG_FILE = "config.json"
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt")
BERT_FILES = ((CONFIG_FILE,), TOKENIZER_FILES)
OPTIONAL = ("tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
#: keys transformers keeps as non-persistent buffers; older training checkpoints still hold them
BUFFERS = ("embeddings.position_ids", "embeddings.token_type_ids")


def is_bert_buffer(key: str) -> bool:
    return key.endswith(BUFFERS)


def holds_bert(folder: str) -> bool:
    """Whether the folder has a BERT-type config.json and a tokenizer file."""
    path = os.path.join(folder, CONFIG_FILE)
    if not os.path.isfile(path) or not any(os.path.isfile(os.path.join(folder, f)) for f in TOKENIZER_FILES):
        return False
    with open(path, encoding="utf-8") as handle:
        return json.load(handle).get("model_type") == "bert"


def text_folder(folder: str, hub_repo: str, backbone: str) -> str:
    """A folder with the text tower's config and tokenizer: `folder` itself or the hub repo's snapshot."""
    if holds_bert(folder):
        return folder
    from medprompt.clip.backbones import _hub_reachable

    spec = Published(hub_repo, BERT_FILES, optional=OPTIONAL)
    return spec_folder(spec, f"{backbone} (text tower config and tokenizer; or put them beside the weights in "
                             f"{folder})", _hub_reachable())


def build_bert_clip(model_cfg: dict, state: Mapping[str, Tensor], source: str, random: bool) -> Loaded:
    """open_clip's CustomTextCLIP for `model_cfg` (an HF text tower whose config and tokenizer are at
    text_cfg.hf_model_name), `state` loaded strictly unless `random`; the BERT tokenizer at the config's
    context length; bicubic resize and centre crop with OpenAI's mean/std (UniMed-CLIP, PMC-CLIP RN50)."""
    text_cfg = model_cfg["text_cfg"]
    model = create_package_tower_model(model_cfg, pretrained_text=False)
    if not random:
        load_strict(model, state, source)
    tokenizer = open_clip.tokenizer.HFTokenizer(text_cfg["hf_tokenizer_name"], context_length=text_cfg["context_length"])
    preprocess = open_clip.image_transform(model.visual.image_size, is_train=False, mean=OPENAI_DATASET_MEAN,
                                           std=OPENAI_DATASET_STD, interpolation="bicubic")
    return model, tokenizer, preprocess
