"""FLAIR (jusiro/FLAIR @d6652d5): ``flair_resnet.pth`` (flair/modeling/constants.py ID_FLAIR_RESNET_V1, from
the Google Drive file URL_ID_FLAIR_RESNET_V1), the ``state_dict()`` of FLAIRModel (flair/modeling/model.py):

- ``vision_model.model.*``: torchvision ``resnet50`` with ``fc`` replaced by Identity (no fc keys);
- ``vision_model.projection_head_vision.projection.weight``: 2048 -> 512, no bias, inside ProjectionLayer
  (L2-normalise, project, L2-normalise);
- ``text_model.model.*``: BertModel (``emilyalsentzer/Bio_ClinicalBERT``; pooler layer unused);
- ``text_model.projection_head_text.projection.weight``: 768 -> 512, no bias, in a ProjectionLayer, applied to
  the mean of hidden states 1, 2 and last (medprompt/clip/two_tower.py);
- ``logit_scale``.

Tokenizer: Bio_ClinicalBERT's, ``model_max_length = 77``. Preprocessing (FLAIRModel.preprocess_image, image_size
512): RGB scaled to [0, 1], longest side resized to 512 (bilinear, antialiased), zero padding right and bottom;
no mean/std. A CNN image tower: no vision prompts.
"""

from __future__ import annotations

import os

import open_clip
import torch
from torch import nn

from medprompt.clip.formats import FolderFormat, Loaded
from medprompt.clip.formats.bert_text import is_bert_buffer, text_folder
from medprompt.clip.formats.image_transforms import flair_transform
from medprompt.clip.formats.state_dicts import (
    drop,
    load_strict,
    read_state_dict,
    rename,
)
from medprompt.clip.two_tower import (
    CNNImageTower,
    NormalizedProjection,
    TwoTowerCLIP,
    bert_text_tower,
)
from medprompt.clip.package_tower import BackboneNotFoundError

WEIGHTS_FILE = "flair_resnet.pth"
TEXT_REPO = "emilyalsentzer/Bio_ClinicalBERT"
IMAGE_SIZE = 512
CONTEXT_LENGTH = 77


def detect(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, WEIGHTS_FILE))


def _resnet50(state: dict) -> nn.Module:
    """torchvision's ResNet-50 (the block counts of the file's layer1..4) without its classifier."""
    from torchvision.models.resnet import Bottleneck, ResNet

    layers = [len({k.split(".")[3] for k in state if k.startswith(f"visual.trunk.layer{i}.")}) for i in (1, 2, 3, 4)]
    if "visual.trunk.conv1.weight" not in state or not all(layers):
        raise BackboneNotFoundError("the FLAIR weights hold no torchvision ResNet (vision_model.model.conv1, layer1..4)")
    net = ResNet(Bottleneck, layers)
    net.fc = nn.Identity()
    return net


def load(folder: str, random: bool) -> Loaded:
    path = os.path.join(folder, WEIGHTS_FILE)
    state = rename(read_state_dict(path), [
        ("vision_model.model.", "visual.trunk."), ("vision_model.projection_head_vision.", "visual.proj."),
        ("text_model.model.", "text.transformer."), ("text_model.projection_head_text.", "text.proj.")])
    state = drop(state, lambda k: is_bert_buffer(k) or k.startswith("text.transformer.pooler."))
    bert = text_folder(folder, TEXT_REPO, "flair")
    vision_proj, text_proj = state["visual.proj.projection.weight"], state["text.proj.projection.weight"]
    visual = CNNImageTower(_resnet50(state), NormalizedProjection(
        nn.Linear(vision_proj.shape[1], vision_proj.shape[0], bias=False)), IMAGE_SIZE)
    text = bert_text_tower(bert, text_proj.shape[0], NormalizedProjection(
        nn.Linear(text_proj.shape[1], text_proj.shape[0], bias=False)))
    model = TwoTowerCLIP(visual, text, logit_scale=float(state.get("logit_scale", torch.tensor(0.0))))
    if not random:
        load_strict(model, state, path)
    tokenizer = open_clip.tokenizer.HFTokenizer(bert, context_length=CONTEXT_LENGTH)
    return model, tokenizer, flair_transform(IMAGE_SIZE)


FORMAT = FolderFormat("FLAIR", "flair_resnet.pth (FLAIRModel state dict: torchvision ResNet-50 + Bio_ClinicalBERT + "
                      "projections), Bio_ClinicalBERT's config.json and tokenizer beside it or in the Hugging Face "
                      "cache", detect, load)
