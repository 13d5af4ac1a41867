"""ViP without Dassl: the Merge Prompt equation, the symptom prompts, what the learner trains and saves,
and a few optimisation steps on the tiny models."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from medprompt.clip.backbones import load_backbone
from medprompt.clip.text_encoder import PromptedTextEncoder
from medprompt.methods.vip import (
    MergePrompt,
    SymptomError,
    ViPLearner,
    explain,
    merge_prompt,
    symptom_prompt_texts,
    vip_loss,
)

SYMPTOMS = [
    ["patchy white cloudy areas", "dense white region", "blurred heart edge"],
    ["clear dark lung fields", "thin branching lines"],  # fewer symptoms: padded and masked
]


def encoder(folder) -> PromptedTextEncoder:
    backbone = load_backbone(f"local-dir:{folder}")
    return PromptedTextEncoder(backbone.model, backbone.tokenizer)


def test_merge_prompt_matches_a_hand_computation():
    g = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    w_q = torch.tensor([[1.0, 2.0], [0.0, 1.0]])
    w_k = torch.tensor([[0.5, 0.0], [1.0, -1.0]])
    t = torch.tensor([[[1.0, 1.0], [2.0, 0.0]], [[0.0, 1.0], [3.0, 3.0]]])
    s, weights = merge_prompt(g, w_q, w_k, t)
    for c in range(2):
        q = [sum(g[c, i] * w_q[i, j] for i in range(2)) for j in range(2)]
        scores = []
        for k in range(2):
            key = [sum(t[c, k, i] * w_k[i, j] for i in range(2)) for j in range(2)]
            scores.append(float(sum(q[j] * key[j] for j in range(2))) / math.sqrt(2))
        e = [math.exp(x) for x in scores]
        a = [x / sum(e) for x in e]
        expected = [float(g[c, j]) + sum(a[k] * float(t[c, k, j]) for k in range(2)) for j in range(2)]
        assert weights[c].tolist() == pytest.approx(a, rel=1e-6)
        assert s[c].tolist() == pytest.approx(expected, rel=1e-6)


def test_zero_g_and_maps_give_the_mean_of_the_symptoms():
    merge = MergePrompt(n_cls=2, dim=5)
    with torch.no_grad():
        merge.g.zero_()
        merge.w_q.zero_()
        merge.w_k.zero_()
    t = torch.randn(2, 3, 5)
    mask = torch.tensor([[True, True, True], [True, True, False]])
    s, weights = merge(t * mask.unsqueeze(-1), mask)
    assert torch.allclose(s[0], t[0].mean(0), atol=1e-6)
    assert torch.allclose(s[1], t[1, :2].mean(0), atol=1e-6)  # padding takes no part
    assert weights[1, 2] == 0 and torch.allclose(weights.sum(1), torch.ones(2))


def test_initialisation_follows_the_design():
    torch.manual_seed(0)
    merge = MergePrompt(n_cls=50, dim=64)
    assert merge.g.std().item() == pytest.approx(0.02, rel=0.1)
    bound = math.sqrt(6 / (64 + 64))  # Xavier (uniform) for a d x d map
    assert merge.w_q.abs().max() <= bound and merge.w_q.abs().max() > 0.9 * bound
    assert not torch.equal(merge.w_q, merge.w_k)


def test_symptom_prompts_have_the_context_placeholders_and_one_full_stop():
    assert symptom_prompt_texts(["white patches.", " dark lines "], 4) == ["X X X X white patches.",
                                                                          "X X X X dark lines."]


def test_learner_saves_and_trains_only_its_own_tensors(native_dir):
    enc = encoder(native_dir)
    learner = ViPLearner(enc, SYMPTOMS, n_ctx=4, classnames=["pneumonia", "normal lung"])
    assert set(learner.state_dict()) == {"prompts.ctx", "merge.g", "merge.w_q", "merge.w_k"}
    assert learner.prompts.ctx.shape == (4, enc.width)
    out = learner()
    dim = out.class_features.shape[1]
    assert out.symptom_features.shape == (2, 3, dim) and out.attention.shape == (2, 3)
    assert torch.allclose(out.class_features.norm(dim=1), torch.ones(2), atol=1e-5)
    assert out.attention[1, 2] == 0 and out.symptom_features[1, 2].abs().sum() == 0
    # the symptom features are the prompted encoder's, unnormalised
    direct = enc(learner.tokens, ctx=learner.prompts.ctx)
    assert torch.allclose(out.symptom_features[0], direct[:3], atol=1e-5)
    assert not torch.allclose(direct.norm(dim=1), torch.ones(len(direct)), atol=1e-3)

    loss, _ = vip_loss(torch.randn(4, dim), out.class_features, torch.tensor([0, 1, 0, 1]), 10.0)
    loss.backward()
    grads = {name: p.grad for name, p in learner.named_parameters()}
    assert set(grads) == {"prompts.ctx", "merge.g", "merge.w_q", "merge.w_k"}
    assert all(g is not None and g.abs().sum() > 0 for g in grads.values())
    assert all(p.grad is None for p in enc.tower.parameters())


def test_a_few_steps_lower_the_cross_entropy(any_dir):
    torch.manual_seed(0)
    backbone = load_backbone(f"local-dir:{any_dir}")
    enc = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    learner = ViPLearner(enc, SYMPTOMS, n_ctx=4)
    dim = learner().class_features.shape[1]
    images = torch.randn(8, dim)
    labels = torch.tensor([0, 1] * 4)
    scale = float(backbone.model.logit_scale.exp())
    optim = torch.optim.SGD(learner.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(8):
        loss, _ = vip_loss(images, learner().class_features, labels, scale)
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_explain_reports_every_symptom_of_the_top_classes(native_dir):
    torch.manual_seed(0)
    learner = ViPLearner(encoder(native_dir), SYMPTOMS, classnames=["pneumonia", "normal lung"])
    feats = torch.randn(3, learner().class_features.shape[1])
    result = explain(learner, feats, logit_scale=10.0, top_k=2)
    assert len(result) == 3
    for image, rows in zip(feats, result):
        assert [r.rank for r in rows] == [1, 2] and rows[0].probability >= rows[1].probability
        assert sum(r.probability for r in rows) == pytest.approx(1.0, abs=1e-5)  # two classes: all of them
        for row in rows:
            symptoms = SYMPTOMS[["pneumonia", "normal lung"].index(row.classname)]
            assert [s.symptom for s in row.symptoms] == symptoms
            assert sum(s.attention for s in row.symptoms) == pytest.approx(1.0, abs=1e-5)
        first = rows[0].symptoms[0]
        c = ["pneumonia", "normal lung"].index(rows[0].classname)
        with torch.no_grad():
            expected = F.cosine_similarity(image, learner().symptom_features[c, 0], dim=0)
        assert first.similarity == pytest.approx(float(expected), abs=1e-5)


def test_too_long_symptoms_are_refused(native_dir):
    with pytest.raises(SymptomError, match="1 symptom prompts are longer"):
        ViPLearner(encoder(native_dir), [["white " * 80], ["dark"]])
