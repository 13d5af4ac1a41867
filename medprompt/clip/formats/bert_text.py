"""The BERT text tower's config and tokenizer files for formats whose weights file holds only tensors
(UniMed-CLIP, PMC-CLIP RN50): taken from the backbone folder when it holds them, else from the Hugging Face
repo of the BERT the publisher built on (cached, or downloaded when the hub can be reached).
"""

from __future__ import annotations

import json
import os

from medprompt.clip.published import Published, spec_folder

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
    from medprompt.backbones import _hub_reachable

    spec = Published(hub_repo, BERT_FILES, optional=OPTIONAL)
    return spec_folder(spec, f"{backbone} (text tower config and tokenizer; or put them beside the weights in "
                             f"{folder})", _hub_reachable())
