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
from medprompt.run.choices import CLASS_TOKEN_POSITIONS

PLACEHOLDER = "X"


def prompt_texts(classnames: Sequence[str], n_ctx: int, template: str = "{}.", position: str = "end") -> list[str]:
    """'X X X X glaucoma.' for each class: placeholders, then the template filled with the name.

    `position` places the class name as CoOp's CLASS_TOKEN_POSITION does (KaiyangZhou/CoOp,
    trainers/coop.py, PromptLearner.forward, commit ff61507): "end" after the n_ctx context vectors,
    "middle" after the first n_ctx // 2 of them, "front" before all of them; the rest of the template
    (CoOp's ".") stays last.
    """
    if position == "end":
        prefix = " ".join([PLACEHOLDER] * n_ctx)
        return [f"{prefix} {template.format(name)}" for name in classnames]
    if position not in CLASS_TOKEN_POSITIONS:
        raise ConfigError(f"CLASS_TOKEN_POSITION must be one of {', '.join(CLASS_TOKEN_POSITIONS)}, got {position!r}")
    if not template.startswith("{}"):
        raise ConfigError(f"CLASS_TOKEN_POSITION {position} needs a TEMPLATE that starts with the class name "
                          f"('{{}}.', CoOp's), got {template!r}")
    before = n_ctx // 2 if position == "middle" else 0
    first, second = " ".join([PLACEHOLDER] * before), " ".join([PLACEHOLDER] * (n_ctx - before))
    return [" ".join(filter(None, (first, name, second))) + template[2:] for name in classnames]


def context_positions(encoder: PromptedTextEncoder, classnames: Sequence[str], n_ctx: int,
                      position: str) -> Tensor:
    """[n_cls, n_ctx] token positions of the context vectors in each class's prompt (see prompt_texts)."""
    before = {"end": n_ctx, "middle": n_ctx // 2, "front": 0}[position]
    rows = []
    for name in classnames:
        k = 0 if position == "end" else encoder.word_count(name)
        rows.append([1 + i if i < before else 1 + k + i for i in range(n_ctx)])
    return torch.tensor(rows, dtype=torch.long)


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
                 template: str = "{}.", position: str = "end"):
        super().__init__()
        if position != "end" and prompts.depth > 1:
            raise ConfigError(f"CLASS_TOKEN_POSITION {position} is CoOp's, for shallow prompts; deep prompts "
                              f"(DEPTH {prompts.depth}) sit at the positions right after the start token: use end")
        self.encoder = encoder
        self.prompts = prompts
        self.position = position
        tokens = encoder.tokenize(prompt_texts(classnames, prompts.n_ctx, template, position))
        self.register_buffer("tokens", tokens, persistent=False)
        self.classnames = list(classnames)
        if position != "end":
            index = context_positions(encoder, classnames, prompts.n_ctx, position)
            placeholder = encoder.tokenize([PLACEHOLDER])[0, 1]
            if not bool((tokens.gather(1, index) == placeholder).all()):
                raise ConfigError(f"CLASS_TOKEN_POSITION {position}: a class name tokenises differently inside "
                                  "the prompt than alone; use end")
            self.register_buffer("ctx_index", index, persistent=False)

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
        if self.position != "end":
            ctx = self._placed(tokens, ctx, self.ctx_index if class_ids is None else self.ctx_index[class_ids])
        return self.encoder(tokens, ctx=ctx, deep_ctx=list(self.prompts.deep_ctx))

    def _placed(self, tokens: Tensor, ctx: Tensor, index: Tensor) -> Tensor:
        """[B, m, width] vectors for positions 1..m: the frozen token embeddings with the context vectors
        put at each class's context positions (the encoder splices them in after the start token)."""
        last = int(index.max())
        with torch.no_grad():
            frozen = self.encoder.token_embeddings(tokens)[:, 1:last + 1]
        ctx = ctx if ctx.dim() == 3 else ctx.unsqueeze(0).expand(tokens.shape[0], -1, -1)
        where = (index - 1).to(frozen.device).unsqueeze(-1).expand(-1, -1, frozen.shape[-1])
        return frozen.to(ctx.dtype).scatter(1, where, ctx)
