"""Learnable text prompts: shallow context vectors (CoOp) and deep per-layer vectors (MaPLe, ProText).

The prompt text is "X X ... X {class name}." and the n placeholder positions right after the start token
are replaced by learned vectors; with depth d, layers 1..d-1 get their own vectors at the same positions.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import torch
from torch import Tensor, nn

from medprompt.utils.errors import ConfigError
from medprompt.clip.text_encoder import PromptedTextEncoder

PLACEHOLDER = "X"


def prompt_texts(classnames: Sequence[str], n_ctx: int, template: str = "{}.") -> list[str]:
    """'X X X X glaucoma.' for each class: placeholders, then the template filled with the name."""
    prefix = " ".join([PLACEHOLDER] * n_ctx)
    return [f"{prefix} {template.format(name)}" for name in classnames]


class TextPrompts(nn.Module):
    """The learned vectors: `ctx` [n_ctx, width] (or [n_cls, n_ctx, width], class-specific) and
    `deep_ctx`, one [n_ctx, width] per layer 1..depth-1.

    Initialised from the token embeddings of `ctx_init` when that text takes exactly n_ctx tokens,
    otherwise from N(0, 0.02) (with class-specific context, an independent draw per class).
    """

    def __init__(
        self,
        encoder: PromptedTextEncoder,
        n_ctx: int,
        depth: int = 1,
        ctx_init: str = "",
        n_cls: int = 0,
    ):
        super().__init__()
        if n_ctx < 1:
            raise ConfigError(f"N_CTX must be at least 1, got {n_ctx}")
        if not 1 <= depth <= encoder.num_layers:
            raise ConfigError(f"prompt DEPTH must be in 1..{encoder.num_layers} for this text tower, got {depth}")
        self.n_ctx, self.depth = n_ctx, depth
        init = encoder.embed_text(ctx_init, n_ctx) if ctx_init else None
        self.initialised_from = ctx_init if init is not None else "random"
        if ctx_init and init is None:
            warnings.warn(f"CTX_INIT {ctx_init!r} takes {encoder.word_count(ctx_init)} tokens, not N_CTX={n_ctx}: "
                          "the context is initialised from N(0, 0.02) instead; give a CTX_INIT of N_CTX words")
        shape = (n_cls, n_ctx, encoder.width) if n_cls > 0 else (n_ctx, encoder.width)  # n_cls: CoOp's CSC
        if init is None:
            init = torch.empty(shape).normal_(std=0.02)  # class-specific: each class its own draw
        elif n_cls > 0:
            init = init.unsqueeze(0).repeat(n_cls, 1, 1)  # every class starts from the same words
        self.ctx = nn.Parameter(init)
        self.deep_ctx = nn.ParameterList(
            [nn.Parameter(torch.empty(n_ctx, encoder.width).normal_(std=0.02)) for _ in range(depth - 1)]
        )

    @property
    def class_specific(self) -> bool:
        return self.ctx.dim() == 3


class PromptedClassifier(nn.Module):
    """Class text features from prompts: encodes 'ctx + class name' for every class.

    Owns the learnable prompts; the frozen encoder and the class tokens are not part of its state.
    """

    def __init__(self, encoder: PromptedTextEncoder, classnames: Sequence[str], prompts: TextPrompts,
                 template: str = "{}."):
        super().__init__()
        self.encoder = encoder
        self.prompts = prompts
        tokens = encoder.tokenize(prompt_texts(classnames, prompts.n_ctx, template))
        self.register_buffer("tokens", tokens, persistent=False)
        self.classnames = list(classnames)

    def forward(self, class_ids: Tensor | None = None, ctx_shift: Tensor | None = None) -> Tensor:
        """Unnormalised features of the prompted text of the given classes (all by default).

        ctx_shift [n_ctx, width] is added to the shared context (CoCoOp's image-conditioned shift).
        """
        tokens = self.tokens if class_ids is None else self.tokens[class_ids]
        ctx = self.prompts.ctx
        if self.prompts.class_specific:
            ctx = ctx if class_ids is None else ctx[class_ids]
        if ctx_shift is not None:
            ctx = ctx + ctx_shift
        return self.encoder(tokens, ctx=ctx, deep_ctx=list(self.prompts.deep_ctx))
