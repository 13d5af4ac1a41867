"""PubMedCLIP as BiomedCoOp downloads it: ``PubMedCLIP_ViT32.pth`` from the Hugging Face repo
``sarahESL/PubMedCLIP``, a dict whose ``state_dict`` is OpenAI's CLIP ViT-B/32 (HealthX-Lab/BiomedCoOp
main.py @7ceb5a8: ``clip.load('ViT-B/32')`` then ``load_state_dict(checkpoint['state_dict'])``).

OpenAI's key names are open_clip's, so the file loads into open_clip's `CLIP` shaped by its tensors
(medprompt/clip/formats/openai_layout.py), with QuickGELU as OpenAI trained it. Preprocessing and tokenizer
are those of ``clip.load``: 224 px, bicubic resize and centre crop, OpenAI's mean/std; CLIP BPE, 77 tokens.
"""

from __future__ import annotations

import open_clip
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

from medprompt.clip.formats import FolderFormat, Loaded
from medprompt.clip.formats.openai_layout import build_openai_clip
from medprompt.clip.formats.state_dicts import first_file, read_state_dict

WEIGHTS_FILES = ("PubMedCLIP_ViT32.pth",)


def detect(folder: str) -> bool:
    return first_file(folder, WEIGHTS_FILES) is not None


def load(folder: str, random: bool) -> Loaded:
    path = first_file(folder, WEIGHTS_FILES)
    model = build_openai_clip(read_state_dict(path), path, quick_gelu=True, load=not random)
    preprocess = open_clip.image_transform(model.visual.image_size, is_train=False, mean=OPENAI_DATASET_MEAN,
                                           std=OPENAI_DATASET_STD, interpolation="bicubic")
    tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=model.context_length)
    return model, tokenizer, preprocess


FORMAT = FolderFormat("OpenAI CLIP state dict", "PubMedCLIP_ViT32.pth (OpenAI CLIP ViT-B/32 layout, as "
                      "BiomedCoOp downloads it from sarahESL/PubMedCLIP)", detect, load)
