"""CoCoOp's image-conditioned context: a meta-network turns each image feature into a shift that is
added to every context vector, so each image gets its own class prompts.

Meta-network: Linear(image feature dim -> dim/16) - ReLU - Linear(dim/16 -> text width), fed the
L2-normalised image feature. Because the
image encoder stays frozen, the logits are a function of the (cacheable) image features alone.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from medprompt.clip.prompts import PromptedClassifier


class MetaNet(nn.Module):
    """Linear - ReLU - Linear from an image feature to one shift of the context vectors."""

    def __init__(self, feature_dim: int, text_width: int, reduction: int = 16):
        super().__init__()
        hidden = max(feature_dim // reduction, 1)
        self.net = nn.Sequential(nn.Linear(feature_dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, text_width))

    def forward(self, image_features: Tensor) -> Tensor:
        return self.net(image_features)


def conditional_logits(
    classifier: PromptedClassifier,
    meta_net: MetaNet,
    image_features: Tensor,
    logit_scale: float,
    chunk: int = 32,
) -> Tensor:
    """[N, C]: scale * cos(image n, prompts of every class shifted by meta_net(image n)).

    Every (image, class) pair is one prompted text, so images are processed in chunks of `chunk`.
    """
    n_cls = classifier.tokens.shape[0]
    rows = []
    for start in range(0, image_features.shape[0], chunk):
        img = F.normalize(image_features[start:start + chunk].float(), dim=-1)
        # the meta-net sees the normalised feature, as in the published code, so its input scale does
        # not depend on the backbone's feature norm
        shift = meta_net(img.to(next(meta_net.parameters()).dtype))  # [B, width]
        b = img.shape[0]
        ctx = classifier.prompts.ctx.unsqueeze(0) + shift.unsqueeze(1)  # [B, n_ctx, width]
        ctx = ctx.unsqueeze(1).expand(-1, n_cls, -1, -1).reshape(b * n_cls, *ctx.shape[1:])
        tokens = classifier.tokens.repeat(b, 1)
        text = classifier.encoder(tokens, ctx=ctx, deep_ctx=list(classifier.prompts.deep_ctx))
        text = F.normalize(text.float(), dim=-1).view(b, n_cls, -1)
        rows.append(logit_scale * torch.einsum("bd,bcd->bc", img, text))
    return torch.cat(rows)
