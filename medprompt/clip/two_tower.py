"""Two-tower CLIP models whose towers open_clip does not build (MedCLIP's Swin, FLAIR's torchvision
ResNet-50), behind the interface the project uses of open_clip's models: ``encode_image``, ``encode_text``,
``logit_scale``, ``visual`` (with ``image_size``) and ``text``, an open_clip `HFTextEncoder`, so the prompted
text encoder (medprompt/clip/text_encoder.py) runs its BERT with prompts at every layer unchanged.

The text side of MedCLIP and FLAIR pools the mean of BERT's hidden states 1, 2 and last over the sequence
(RyanWangZf/MedCLIP medclip/modeling_medclip.py @9c3396f, MedCLIPTextModel.forward; jusiro/FLAIR
flair/modeling/model.py @d6652d5, TextModel.forward). Both average over every position of the padded batch,
padding included, with the tokenizer padding to the longest text of the batch, so a text's feature there
depends on the texts beside it. Here the mean runs over the text's own tokens (the attention mask): each
text gets the feature the published code gives it when encoded alone, whatever its batch (tested).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from open_clip.hf_model import HFTextEncoder
from torch import Tensor, nn


class LayerMeanPooler(nn.Module):
    """Mean over the real tokens of the mean of the hidden states `layers` (0: the embeddings)."""

    def __init__(self, layers: Sequence[int] = (1, 2, -1)):
        super().__init__()
        self.layers = tuple(layers)

    def forward(self, out, attention_mask: Tensor) -> Tensor:
        states = out.hidden_states
        if states is None:
            raise RuntimeError("LayerMeanPooler needs the text model's hidden states (config.output_hidden_states)")
        x = torch.stack([states[i] for i in self.layers]).mean(dim=0)
        mask = attention_mask.unsqueeze(-1).to(x.dtype)
        return (x * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)


class NormalizedProjection(nn.Module):
    """FLAIR's ProjectionLayer with projection and normalisation on: L2-normalise, project, L2-normalise."""

    def __init__(self, projection: nn.Linear):
        super().__init__()
        self.projection = projection

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(self.projection(F.normalize(x, dim=-1)), dim=-1)


def bert_text_tower(bert_dir: str, output_dim: int, projection: nn.Module) -> HFTextEncoder:
    """open_clip's HF text tower on the BERT config of `bert_dir` (random weights, to be loaded), pooling
    hidden states 1, 2 and last, with `projection` as its projection."""
    tower = HFTextEncoder(bert_dir, output_dim=output_dim, pooler_type="mean_pooler", proj_type="linear",
                          pretrained=False)
    tower.transformer.config.output_hidden_states = True
    tower.pooler = LayerMeanPooler()
    tower.proj = projection
    return tower


class SwinImageTower(nn.Module):
    """transformers' SwinModel, its pooled output projected (MedCLIPVisionModelViT); 1-channel input repeated."""

    def __init__(self, trunk: nn.Module, proj: nn.Module, image_size: int):
        super().__init__()
        self.trunk, self.proj, self.image_size = trunk, proj, (image_size, image_size)

    def forward(self, images: Tensor) -> Tensor:
        if images.shape[1] == 1:
            images = images.repeat(1, 3, 1, 1)
        return self.proj(self.trunk(pixel_values=images).pooler_output)


class CNNImageTower(nn.Module):
    """A torchvision CNN whose classifier is removed, its features projected (FLAIR's VisionModel)."""

    def __init__(self, trunk: nn.Module, proj: nn.Module, image_size: int):
        super().__init__()
        self.trunk, self.proj, self.image_size = trunk, proj, (image_size, image_size)

    def forward(self, images: Tensor) -> Tensor:
        return self.proj(self.trunk(images))


class TwoTowerCLIP(nn.Module):
    """An image tower and an HF text tower with the methods of open_clip's CLIP the project calls."""

    def __init__(self, visual: nn.Module, text: HFTextEncoder, logit_scale: float):
        super().__init__()
        self.visual = visual
        self.text = text
        self.logit_scale = nn.Parameter(torch.tensor(float(logit_scale)))

    def encode_image(self, image: Tensor, normalize: bool = False) -> Tensor:
        features = self.visual(image)
        return F.normalize(features, dim=-1) if normalize else features

    def encode_text(self, text: Tensor, normalize: bool = False) -> Tensor:
        features = self.text(text)
        return F.normalize(features, dim=-1) if normalize else features
