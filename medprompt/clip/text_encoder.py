"""Run an open_clip text tower on token embeddings with learnable prompt vectors spliced in.

Every prompt method needs one model-specific step: "encode text, but with these vectors at positions
1..n of the sequence (and, for deep prompts, overwrite the same positions before later layers)". It
differs between open_clip's own causal transformer (CLIP, PMC-CLIP) and a Hugging Face text tower
(BiomedCLIP's PubMedBERT, MiniLM), so it lives here, once, and every method uses it.

Sequences are trimmed to the longest prompt in the batch. With a causal mask and end-of-text pooling
the padding after the end token cannot reach the pooled position, and with an HF tower padding is masked
out, so the result equals the full-length run (tested) at a fraction of the cost. Setting `full_context`
(MODEL.FULL_TEXT_CONTEXT) runs every sequence over the tokenizer's whole context (77 tokens for CLIP), as
the published code does; it is there to time the published way (benchmarks/sweep.py), not to change results.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from open_clip.hf_model import HFTextEncoder
from torch import Tensor, nn


def splice(x: Tensor, vectors: Tensor | None, start: int = 1) -> Tensor:
    """Replace positions start..start+n of x [B, L, D] with vectors [n, D] or [B, n, D]."""
    if vectors is None:
        return x
    if vectors.dim() == 2:
        vectors = vectors.unsqueeze(0).expand(x.shape[0], -1, -1)
    n = vectors.shape[1]
    return torch.cat([x[:, :start], vectors.to(x.dtype), x[:, start + n:]], dim=1)


class PromptedTextEncoder(nn.Module):
    """Frozen text tower of an open_clip model, callable with prompt vectors.

    It keeps references to the backbone's modules but registers none of them, so a learner that owns
    this encoder saves only its own tensors.
    """

    def __init__(self, clip_model: nn.Module, tokenizer: Callable):
        super().__init__()
        tower = getattr(clip_model, "text", clip_model)  # CustomTextCLIP keeps its tower in .text
        self.__dict__["tower"] = tower  # unregistered on purpose: not part of any state_dict
        self.tokenizer = tokenizer
        self.full_context = False  # True: never trim (the published code's cost, same result)
        self.is_hf = isinstance(tower, HFTextEncoder)
        if self.is_hf:
            hf = tower.transformer
            self.width = hf.config.hidden_size
            self.num_layers = hf.config.num_hidden_layers
            self.pad_id = hf.config.pad_token_id
            self.can_trim = True  # padding is masked out, so dropping it changes nothing
        else:
            self.width = tower.token_embedding.embedding_dim
            self.num_layers = len(tower.transformer.resblocks)
            pool = getattr(tower, "text_pool_type", getattr(tower, "pool_type", "argmax"))
            self.pool_type = pool
            self.eos_id = getattr(tower, "text_eos_id", getattr(tower, "eos_id", None))
            # trimming is exact only when a causal mask hides the padding from the pooled token
            self.can_trim = tower.attn_mask is not None and pool in ("argmax", "eos")
            if getattr(tower, "cls_emb", None) is not None:
                raise NotImplementedError("Text towers with a CLS embedding (CoCa) are not supported.")

    # -- tokens ---------------------------------------------------------------------------------
    def tokenize(self, texts: Sequence[str]) -> Tensor:
        return self.tokenizer(list(texts))

    def lengths(self, tokens: Tensor) -> Tensor:
        """Number of positions each sequence really uses (special tokens included)."""
        if self.is_hf:
            return (tokens != self.pad_id).sum(dim=1)
        if self.pool_type == "eos":
            return (tokens == self.eos_id).int().argmax(dim=1) + 1
        return tokens.argmax(dim=1) + 1  # end-of-text has the highest id in the CLIP vocabulary

    def word_count(self, text: str) -> int:
        """Tokens a text takes between the start and end tokens."""
        return int(self.lengths(self.tokenize([text]))[0]) - 2

    def fits(self, text: str) -> bool:
        """Whether the tokenizer keeps all of `text` (nothing cut at the context length)."""
        context = self.tokenizer.context_length
        if self.is_hf:
            return len(self.tokenizer.tokenizer(text)["input_ids"]) <= context
        return len(self.tokenizer.encode(text)) + 2 <= context

    @property
    def device(self) -> torch.device:
        return next(self.tower.parameters()).device

    def token_embeddings(self, tokens: Tensor) -> Tensor:
        tokens = tokens.to(self.device)
        if self.is_hf:
            return self.tower.transformer.get_input_embeddings()(tokens)
        return self.tower.token_embedding(tokens)

    def embed_text(self, text: str, n: int) -> Tensor | None:
        """Embeddings [n, width] of the words of `text`, or None when it does not take exactly n tokens."""
        if self.word_count(text) != n:
            return None
        with torch.no_grad():
            return self.token_embeddings(self.tokenize([text]))[0, 1:1 + n].float().clone()

    # -- forward --------------------------------------------------------------------------------
    def forward(
        self,
        tokens: Tensor,
        ctx: Tensor | None = None,
        deep_ctx: Sequence[Tensor] | None = None,
        trim: bool | None = None,
    ) -> Tensor:
        """Text features [B, embed_dim] (not normalised).

        ctx [n, width] or [B, n, width] replaces positions 1..n of the input embeddings; deep_ctx[i]
        replaces the same positions of the input to layer i+1. `trim` None: trim unless `full_context`.
        """
        tokens = tokens.to(self.device)
        if trim is None:
            trim = not self.full_context
        if trim and self.can_trim:
            tokens = tokens[:, : int(self.lengths(tokens).max())]
        if self.is_hf:
            return self._forward_hf(tokens, ctx, deep_ctx or ())
        return self._forward_native(tokens, ctx, deep_ctx or ())

    def _forward_native(self, tokens: Tensor, ctx: Tensor | None, deep_ctx: Sequence[Tensor]) -> Tensor:
        from open_clip.transformer import text_global_pool

        tower = self.tower
        transformer = tower.transformer
        dtype = transformer.get_cast_dtype()
        length = tokens.shape[1]
        x = splice(tower.token_embedding(tokens).to(dtype), ctx)
        x = x + tower.positional_embedding[:length].to(dtype)
        mask = tower.attn_mask[:length, :length] if tower.attn_mask is not None else None
        for i, block in enumerate(transformer.resblocks):
            if 0 < i <= len(deep_ctx):
                x = splice(x, deep_ctx[i - 1])
            if transformer.batch_first:
                x = block(x, attn_mask=mask)
            else:
                x = block(x.transpose(0, 1), attn_mask=mask).transpose(0, 1)
        x = tower.ln_final(x)
        x = text_global_pool(x, tokens, self.pool_type, eos_token_id=self.eos_id)
        proj = tower.text_projection
        if proj is None:
            return x
        return proj(x) if isinstance(proj, nn.Linear) else x @ proj

    def _forward_hf(self, tokens: Tensor, ctx: Tensor | None, deep_ctx: Sequence[Tensor]) -> Tensor:
        tower = self.tower
        hf = tower.transformer
        mask = (tokens != self.pad_id).long()
        words = splice(hf.get_input_embeddings()(tokens), ctx)
        encoder = hf.encoder if hasattr(hf, "encoder") else hf
        layers = encoder.layer
        hooks = []

        def overwrite(vectors: Tensor):
            def hook(module, args, kwargs):
                if args:
                    return (splice(args[0], vectors), *args[1:]), kwargs
                kwargs["hidden_states"] = splice(kwargs["hidden_states"], vectors)
                return args, kwargs
            return hook

        for i, vectors in enumerate(deep_ctx, start=1):
            if i < len(layers):
                hooks.append(layers[i].register_forward_pre_hook(overwrite(vectors), with_kwargs=True))
        try:
            out = hf(inputs_embeds=words, attention_mask=mask)
        finally:
            for h in hooks:
                h.remove()
        return tower.proj(tower.pooler(out, mask))

    @torch.no_grad()
    def encode_texts(self, texts: Sequence[str], batch_size: int = 256) -> Tensor:
        """Plain (prompt-free) features of many texts, L2-normalised, in batches."""
        feats = []
        for start in range(0, len(texts), batch_size):
            feats.append(self(self.tokenize(texts[start:start + batch_size])).float())
        return torch.nn.functional.normalize(torch.cat(feats), dim=-1)
