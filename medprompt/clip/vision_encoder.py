"""Run an open_clip image tower with learnable prompt tokens added to its token sequence.

Multi-modal prompt methods (MaPLe) append n learnable tokens to the patch tokens of a ViT (before its
pre-transformer LayerNorm, as MaPLe's published code does), and for deep
prompts overwrite those n positions with a layer's own tokens before the layer runs. The step differs
between open_clip's own VisionTransformer (CLIP, PMC-CLIP) and the timm ViT that open_clip wraps for
BiomedCLIP, so it lives here, once, beside the prompted text encoder.

The prompt tokens are dropped again after the last block, so pooling (class token or average) and the
projection see exactly the tokens the unprompted model would; with no prompts the output equals the
model's own `encode_image` (tested).
"""

from __future__ import annotations

from typing import Sequence

import torch
from open_clip.timm_model import TimmModel
from open_clip.transformer import VisionTransformer
from torch import Tensor, nn

from medprompt.utils.errors import ConfigError


class VisionPromptsUnsupported(ConfigError, NotImplementedError):
    """The backbone's image tower cannot take prompt tokens (a CNN, or a ViT with attention pooling)."""


def append_tokens(x: Tensor, vectors: Tensor | None) -> Tensor:
    """x [B, L, D] followed by vectors [n, D] (the same for every image)."""
    if vectors is None:
        return x
    return torch.cat([x, vectors.to(x.dtype).unsqueeze(0).expand(x.shape[0], -1, -1)], dim=1)


def replace_last(x: Tensor, vectors: Tensor, n: int) -> Tensor:
    """x [B, L, D] with its last n positions replaced by vectors [n, D]."""
    return append_tokens(x[:, : x.shape[1] - n], vectors)


class PromptedVisionEncoder(nn.Module):
    """Frozen ViT image tower of an open_clip model, callable with prompt tokens.

    Like the prompted text encoder it registers none of the backbone's modules, so a learner that owns
    it saves only its own tensors.
    """

    def __init__(self, clip_model: nn.Module):
        super().__init__()
        visual = getattr(clip_model, "visual", clip_model)
        self.__dict__["visual"] = visual  # unregistered on purpose: not part of any state_dict
        if isinstance(visual, VisionTransformer):
            self.is_timm = False
            self.width = visual.conv1.out_channels
            self.num_layers = len(visual.transformer.resblocks)
            if visual.attn_pool is not None:
                raise VisionPromptsUnsupported("ViTs with attention pooling (CoCa) are not supported for vision prompts.")
        elif isinstance(visual, TimmModel) and hasattr(visual.trunk, "blocks") and hasattr(visual.trunk, "patch_embed"):
            self.is_timm = True
            self.width = visual.trunk.embed_dim
            self.num_layers = len(visual.trunk.blocks)
        else:
            raise VisionPromptsUnsupported(
                f"Vision prompts need a ViT image tower (open_clip's own or a timm ViT); this backbone has "
                f"{type(visual).__name__}, which has no token sequence to put prompts in. Use a ViT backbone for "
                "this method, or a method that prompts the text tower only (CoOp, CoCoOp, KgCoOp, ProGrad, "
                "BiomedCoOp, MedPromptCLIP, ViP); docs/BACKBONES.md lists which backbones serve which methods."
            )

    def forward(self, images: Tensor, ctx: Tensor | None = None, deep_ctx: Sequence[Tensor] = ()) -> Tensor:
        """Image features [B, embed_dim] (not normalised).

        ctx [n, width] is appended to the token sequence before the first block; deep_ctx[i] replaces
        those n positions before block i+1.
        """
        if deep_ctx and ctx is None:
            raise ValueError("deep vision prompts need shallow prompts (ctx) to take their positions")
        n = 0 if ctx is None else ctx.shape[0]
        if self.is_timm:
            return self._forward_timm(images, ctx, deep_ctx, n)
        return self._forward_native(images, ctx, deep_ctx, n)

    def _forward_native(self, images: Tensor, ctx: Tensor | None, deep_ctx: Sequence[Tensor], n: int) -> Tensor:
        visual = self.visual
        # MaPLe appends the first layer's prompts to the patch tokens *before* the pre-transformer
        # LayerNorm (ln_pre), so they are normalised with the image tokens
        x = visual.ln_pre(append_tokens(self._native_tokens(images), ctx))
        transformer = visual.transformer
        for i, block in enumerate(transformer.resblocks):
            if 0 < i <= len(deep_ctx):
                x = replace_last(x, deep_ctx[i - 1], n)
            if transformer.batch_first:
                x = block(x)
            else:
                x = block(x.transpose(0, 1)).transpose(0, 1)
        x = x[:, : x.shape[1] - n]
        pooled, _ = visual._pool(x)
        return pooled @ visual.proj if visual.proj is not None else pooled

    def _native_tokens(self, images: Tensor) -> Tensor:
        """Class + patch tokens with positions of open_clip's ViT, before ln_pre ([B, 1 + grid², width])."""
        visual = self.visual
        x = visual.conv1(images)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = visual.class_embedding.to(x.dtype).view(1, 1, -1).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + visual.positional_embedding.to(x.dtype)
        return visual.patch_dropout(x)

    def _forward_timm(self, images: Tensor, ctx: Tensor | None, deep_ctx: Sequence[Tensor], n: int) -> Tensor:
        trunk = self.visual.trunk
        x = trunk.patch_embed(images)
        x = trunk._pos_embed(x)
        x = trunk.patch_drop(x)
        x = trunk.norm_pre(append_tokens(x, ctx))  # before the pre-norm, as on open_clip's own ViT
        for i, block in enumerate(trunk.blocks):
            if 0 < i <= len(deep_ctx):
                x = replace_last(x, deep_ctx[i - 1], n)
            x = block(x)
        x = trunk.norm(x[:, : x.shape[1] - n])
        return self.visual.head(trunk.forward_head(x))
