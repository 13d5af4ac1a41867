"""PMC-CLIP with its ResNet-50 image encoder, in the three files BiomedCoOp downloads from the Hugging Face
dataset repo ``axiong/pmc_oa`` (HealthX-Lab/BiomedCoOp main.py @7ceb5a8, ``pmcclip_files``):

- ``image_encoder(resnet50).pth``: the state dict of CLIP's ModifiedResNet (``layers=[3,4,6,3]``,
  ``width=64``, ``heads=8``, ``output_dim=768``, ``image_size=224``; BiomedCoOp clip/pmcclip.py), whose
  key names are open_clip's ModifiedResNet's;
- ``text_encoder.pth``: the state dict of ``AutoModel.from_pretrained('microsoft/BiomedNLP-BiomedBERT-base-
  uncased-abstract')`` (BERT with its pooler layer);
- ``text_projection_layer.pth``: one tensor P, text features = ``pooler_output @ P``.

BiomedCoOp's PMCCLIP keeps ``logit_scale = 4.4292`` and its trainers scale logits by ``math.exp`` of it
(trainers/BiomedCoOp/biomedcoop_pmcclip.py). Tokenizer: BiomedBERT's, padded to 77 tokens. Preprocessing:
clip/pmcclip.py ``image_transform(224)``: bicubic resize, centre crop, OpenAI mean/std.

Built as open_clip's `CustomTextCLIP`: ModifiedResNet image tower (a CNN: no vision prompts), HF text tower
with BERT's pooler output (``cls_pooler``) and a bias-free linear projection holding Pᵀ.
"""

from __future__ import annotations

import os

import torch

from medprompt.clip.formats import FolderFormat, Loaded
from medprompt.clip.formats.bert_text import (
    build_bert_clip,
    is_bert_buffer,
    text_folder,
)
from medprompt.clip.formats.openai_layout import vision_cfg_from_state
from medprompt.clip.formats.state_dicts import drop, read_state_dict
from medprompt.clip.package_tower import BackboneNotFoundError

IMAGE_FILE = "image_encoder(resnet50).pth"
TEXT_FILE = "text_encoder.pth"
PROJECTION_FILE = "text_projection_layer.pth"
FILES = (IMAGE_FILE, TEXT_FILE, PROJECTION_FILE)
TEXT_REPO = "microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract"
ATTENTION_HEADS = 8  # ModifiedResNet(..., heads=8) in BiomedCoOp main.py
LOGIT_SCALE = 4.4292  # PMCCLIP.logit_scale in BiomedCoOp main.py, used as exp(4.4292)
CONTEXT_LENGTH = 77  # tokenizer(..., padding='max_length', max_length=77)


def detect(folder: str) -> bool:
    return all(os.path.isfile(os.path.join(folder, name)) for name in FILES)


def _projection(path: str) -> torch.Tensor:
    value = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    if not torch.is_tensor(value) or value.dim() != 2:
        raise BackboneNotFoundError(f"{path} should hold one 2-D tensor (text width x embedding width)")
    return value.detach()


def load(folder: str, random: bool) -> Loaded:
    image_path, text_path, projection_path = (os.path.join(folder, name) for name in FILES)
    state = {f"visual.{k}": v for k, v in read_state_dict(image_path).items()}
    text = drop(read_state_dict(text_path), is_bert_buffer)
    state.update({f"text.transformer.{k}": v for k, v in text.items()})
    projection = _projection(projection_path)
    state["text.proj.weight"] = projection.t().contiguous()
    state["logit_scale"] = torch.tensor(LOGIT_SCALE)
    if "visual.attnpool.positional_embedding" not in state:
        raise BackboneNotFoundError(f"{image_path} is not a ModifiedResNet state dict (no attnpool.positional_embedding)")
    bert = text_folder(folder, TEXT_REPO, "pmc-clip-rn50")
    model_cfg = {
        "embed_dim": projection.shape[1],
        "vision_cfg": vision_cfg_from_state(state, heads=ATTENTION_HEADS),
        "text_cfg": {"hf_model_name": bert, "hf_tokenizer_name": bert, "hf_proj_type": "linear",
                     "hf_pooler_type": "cls_pooler", "context_length": CONTEXT_LENGTH},
    }
    model, tokenizer, preprocess = build_bert_clip(model_cfg, state, f"{folder} ({', '.join(FILES)})", random)
    with torch.no_grad():  # BiomedCoOp's fixed scale, random weights or not
        model.logit_scale.fill_(LOGIT_SCALE)
    return model, tokenizer, preprocess

FORMAT = FolderFormat("PMC-CLIP RN50 (three files)", "image_encoder(resnet50).pth + text_encoder.pth + "
                      "text_projection_layer.pth (as BiomedCoOp downloads them from axiong/pmc_oa), BiomedBERT's "
                      "config.json and tokenizer beside them or in the Hugging Face cache", detect, load)
