"""ViP (visual-symptom prompts, MICCAI 2024): class vectors merged from prompted visual-symptom texts.

- Context Prompt: M learnable vectors shared by every class and symptom, placed before each symptom:
  "X X X X {symptom}." (the class name is not in the text). They are `medprompt.clip.prompts.TextPrompts`
  with depth 1, run through the shared `PromptedTextEncoder`.
- Merge Prompt: per class a learnable g_c in R^d and two shared d x d maps W_q, W_k (no bias) attend
  from g_c over the class's k symptom features T_c (unnormalised):
      s_c = g_c + softmax((g_c W_q)(T_c W_k)^T / sqrt(d)) T_c,
  then s_c is L2-normalised and classifies by cosine with the frozen image feature.

Classes may have different numbers of symptoms: T is padded to [C, K, d] and the padding is masked out of
the softmax. `explain` reads the decision back: per-symptom similarities to an image and the attention
weights of the top classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from medprompt.utils.errors import UserError
from medprompt.clip.logits import cosine_logits
from medprompt.clip.prompts import PLACEHOLDER, TextPrompts
from medprompt.clip.text_encoder import PromptedTextEncoder


class SymptomError(UserError, ValueError):
    """Symptom texts that cannot be used (e.g. longer than the text encoder's context)."""


def symptom_prompt_texts(symptoms: Sequence[str], n_ctx: int) -> list[str]:
    """'X X X X {symptom}.' for each symptom (one final full stop, whether or not the symptom had one)."""
    prefix = " ".join([PLACEHOLDER] * n_ctx)
    return [f"{prefix} {s.strip().rstrip('.')}." for s in symptoms]


def merge_prompt(g: Tensor, w_q: Tensor, w_k: Tensor, symptoms: Tensor, mask: Tensor | None = None
                 ) -> tuple[Tensor, Tensor]:
    """The Merge Prompt equation, before normalisation.

    g [C, d], w_q and w_k [d, d], symptoms T [C, K, d], mask [C, K] (True = a real symptom).
    Returns s [C, d] and the attention weights [C, K] (zero on padding).
    """
    d = g.shape[-1]
    query = g @ w_q  # [C, d]
    keys = symptoms @ w_k  # [C, K, d]
    scores = torch.einsum("cd,ckd->ck", query, keys) / math.sqrt(d)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(dim=-1)
    return g + torch.einsum("ck,ckd->cd", weights, symptoms), weights


class MergePrompt(nn.Module):
    """The learnable part of the Merge Prompt: g [C, d] ~ N(0, 0.02), W_q and W_k [d, d] Xavier-initialised."""

    def __init__(self, n_cls: int, dim: int):
        super().__init__()
        self.g = nn.Parameter(torch.empty(n_cls, dim).normal_(std=0.02))
        self.w_q = nn.Parameter(nn.init.xavier_uniform_(torch.empty(dim, dim)))
        self.w_k = nn.Parameter(nn.init.xavier_uniform_(torch.empty(dim, dim)))

    def forward(self, symptoms: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return merge_prompt(self.g, self.w_q, self.w_k, symptoms, mask)


@dataclass
class ViPOutput:
    """What one pass of the learner gives: normalised class vectors [C, d], the unnormalised symptom
    features [C, K, d], the Merge Prompt's attention [C, K] and the padding mask [C, K]."""

    class_features: Tensor
    symptom_features: Tensor
    attention: Tensor
    mask: Tensor


class ViPLearner(nn.Module):
    """Context Prompt + Merge Prompt over the symptoms of each class.

    Its state holds only the learned tensors (`prompts.ctx`, `merge.g`, `merge.w_q`, `merge.w_k`); the
    frozen encoder and the symptom tokens are not saved.
    """

    def __init__(self, encoder: PromptedTextEncoder, per_class_symptoms: Sequence[Sequence[str]],
                 n_ctx: int = 4, ctx_init: str = "", classnames: Sequence[str] | None = None):
        super().__init__()
        if not per_class_symptoms or any(len(s) == 0 for s in per_class_symptoms):
            raise SymptomError("every class needs at least one visual symptom")
        self.encoder = encoder
        self.classnames = list(classnames or [f"class {i}" for i in range(len(per_class_symptoms))])
        self.symptoms = [list(s) for s in per_class_symptoms]
        texts = [t for s in self.symptoms for t in symptom_prompt_texts(s, n_ctx)]
        too_long = [t for t in texts if not encoder.fits(t)]
        if too_long:
            raise SymptomError(f"{len(too_long)} symptom prompts are longer than the text encoder's context, "
                               f"e.g. {too_long[:3]}; shorten those symptoms")
        self.prompts = TextPrompts(encoder, n_ctx, depth=1, ctx_init=ctx_init)
        n_cls, k_max = len(self.symptoms), max(len(s) for s in self.symptoms)
        cls_idx = torch.tensor([c for c, s in enumerate(self.symptoms) for _ in s])
        slot_idx = torch.tensor([j for s in self.symptoms for j in range(len(s))])
        mask = torch.zeros(n_cls, k_max, dtype=torch.bool)
        mask[cls_idx, slot_idx] = True
        self.register_buffer("tokens", encoder.tokenize(texts), persistent=False)
        self.register_buffer("cls_idx", cls_idx, persistent=False)
        self.register_buffer("slot_idx", slot_idx, persistent=False)
        self.register_buffer("mask", mask, persistent=False)
        with torch.no_grad():  # the feature size of this text tower (prompts not needed, nor on its device yet)
            dim = encoder(self.tokens[:1]).shape[-1]
        self.merge = MergePrompt(n_cls, dim)

    @property
    def n_ctx(self) -> int:
        return self.prompts.n_ctx

    def symptom_features(self) -> Tensor:
        """[C, K, d] unnormalised features of every prompted symptom (zeros on padding)."""
        feats = self.encoder(self.tokens, ctx=self.prompts.ctx).float()
        out = feats.new_zeros(*self.mask.shape, feats.shape[-1])
        out[self.cls_idx, self.slot_idx] = feats
        return out

    def forward(self) -> ViPOutput:
        symptoms = self.symptom_features()
        with torch.autocast(symptoms.device.type, enabled=False):  # the attention runs in fp32 under fp16/bf16
            merged, attention = self.merge(symptoms, self.mask)
        return ViPOutput(F.normalize(merged, dim=-1), symptoms, attention, self.mask)


def vip_loss(image_features: Tensor, class_features: Tensor, labels: Tensor, logit_scale: float
             ) -> tuple[Tensor, Tensor]:
    """Cross-entropy of scale * cos(image, s_c) over the classes; returns (loss, logits)."""
    logits = cosine_logits(image_features, class_features, logit_scale)
    return F.cross_entropy(logits, labels), logits


@dataclass
class SymptomScore:
    """One symptom of one class for one image."""

    symptom: str
    similarity: float  # cos(image, prompted symptom feature)
    attention: float  # the Merge Prompt's weight on this symptom


@dataclass
class ClassExplanation:
    """A top class of one image: its rank, probability, cosine with s_c, and its symptoms."""

    rank: int
    classname: str
    probability: float
    similarity: float
    symptoms: list[SymptomScore]


@torch.no_grad()
def explain(learner: ViPLearner, image_features: Tensor, logit_scale: float, top_k: int = 2
            ) -> list[list[ClassExplanation]]:
    """For each image [N, d]: its top_k classes by probability, each with per-symptom similarities and
    the Merge Prompt's attention weights."""
    out = learner()
    images = F.normalize(image_features.float(), dim=-1)
    logits = cosine_logits(images, out.class_features, logit_scale)
    probs = logits.softmax(dim=-1)
    class_cos = images @ out.class_features.t()  # [N, C]
    symptom_cos = torch.einsum("nd,ckd->nck", images, F.normalize(out.symptom_features, dim=-1))
    top = probs.topk(min(top_k, probs.shape[1]), dim=1).indices
    result = []
    for n in range(images.shape[0]):
        rows = []
        for rank, c in enumerate(top[n].tolist(), start=1):
            scores = [SymptomScore(text, float(symptom_cos[n, c, j]), float(out.attention[c, j]))
                      for j, text in enumerate(learner.symptoms[c])]
            rows.append(ClassExplanation(rank, learner.classnames[c], float(probs[n, c]),
                                         float(class_cos[n, c]), scores))
        result.append(rows)
    return result
