"""The biomedical baselines' losses and logits against hand-computed cases: BiomedCoOp's MAD pruning,
SCCM and KDSP; ProGrad's projection and distillation; CLIP-Adapter, Tip-Adapter (logits and alpha/beta
search) and the text-informed probe; and the per-image feature cache they train from."""

from __future__ import annotations

import math

import pytest
import torch

from medprompt.methods.biomedcoop import (
    kdsp_loss,
    mad_keep_mask,
    pad_prompt_features,
    prompt_scores,
    pruned_class_features,
    sccm_loss,
)
from medprompt.methods.clip_adapter import ClipAdapter
from medprompt.methods.prograd import distillation_loss, project_conflicting
from medprompt.methods.text_probe import TextInformedProbe, class_prototypes
from medprompt.methods.tip_adapter import (
    TipAdapter,
    search_alpha_beta,
    search_grid,
    tip_logits,
)
from medprompt.run.feature_cache import FeatureCache

E1, E2 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])


# -- BiomedCoOp ---------------------------------------------------------------------------------------
def test_mad_pruning_drops_the_outlier_prompt():
    # median 3, MAD median(|2,1,0,1,97|) = 1, z = [-2,-1,0,1,97]; mean 19, unbiased std sqrt(7610/4)
    scores = torch.tensor([1.0, 2.0, 3.0, 4.0, 100.0])
    std = math.sqrt(7610 / 4)
    assert (97 - 19) / std == pytest.approx(1.788, abs=1e-3) and (19 - -2) / std < 1.5
    assert mad_keep_mask(scores, 1.5).tolist() == [True, True, True, True, False]
    assert mad_keep_mask(scores, 1.8).all()  # 1.788 is within 1.8


def test_mad_pruning_when_the_mad_is_zero_and_when_nothing_varies():
    # MAD 0: standardised raw scores, mean 5.8, std sqrt(3.2): the 9 lies 3.2/1.789 = 1.79 out
    assert mad_keep_mask(torch.tensor([5.0, 5.0, 5.0, 5.0, 9.0]), 1.5).tolist() == [True] * 4 + [False]
    assert mad_keep_mask(torch.full((4,), 2.0), 0.1).all()


def test_prompt_scores_and_pruned_class_vectors():
    s = 2 ** -0.5
    # class 0 has prompts [e1, (e1+e2)/sqrt2]; class 1 has only [e2]
    features, valid = pad_prompt_features([torch.stack([E1, E1 + E2]), E2.unsqueeze(0)])
    assert valid.tolist() == [[True, True], [True, False]]
    images = torch.stack([E1, E2])
    # prompt 0: max logits 1 and 1; prompt 1: only class 0 has it, cos = s for both images
    assert torch.allclose(prompt_scores(images, features, valid, logit_scale=1.0), torch.tensor([1.0, s]))
    assert torch.allclose(pruned_class_features(features, valid, torch.tensor([True, False])), torch.stack([E1, E2]))
    # class 1 has no kept prompt: it keeps all of its own
    only_second = pruned_class_features(features, valid, torch.tensor([False, True]))
    assert torch.allclose(only_second, torch.stack([torch.tensor([s, s]), E2]))


def test_sccm_and_kdsp_values():
    # normalised [3, 4] = [0.6, 0.8] against [1, 0]: ((-0.4)^2 + 0.8^2) / 2
    assert sccm_loss(torch.tensor([[3.0, 4.0]]), E1.unsqueeze(0)).item() == pytest.approx(0.4)
    # p_zs = [3/4, 1/4], p = [1/2, 1/2]: KL(p_zs || p) / (B*C = 2)
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    got = kdsp_loss(torch.zeros(1, 2), torch.tensor([[math.log(3.0), 0.0]]))
    assert got.item() == pytest.approx(kl / 2, rel=1e-5)


# -- ProGrad ------------------------------------------------------------------------------------------
def test_projection_removes_the_conflicting_component_only():
    grad = torch.tensor([1.0, 0.0])
    projected = project_conflicting(grad, torch.tensor([-1.0, 1.0]))
    assert torch.allclose(projected, torch.tensor([0.5, 0.5]))  # [1,0] minus its part along [-1,1]/sqrt2
    assert torch.dot(projected, torch.tensor([-1.0, 1.0])).abs() < 1e-6
    assert torch.allclose(project_conflicting(grad, torch.tensor([-1.0, 1.0]), lam=0.5), torch.tensor([0.75, 0.25]))
    assert torch.equal(project_conflicting(grad, torch.tensor([1.0, 1.0])), grad)  # no conflict: unchanged
    assert torch.equal(project_conflicting(grad, torch.zeros(2)), grad)


def test_distillation_is_a_tempered_kl():
    logits, zeroshot = torch.zeros(1, 2), torch.tensor([[math.log(3.0), 0.0]])
    assert distillation_loss(logits, logits + 1).item() == pytest.approx(0.0, abs=1e-7)
    assert distillation_loss(logits, zeroshot).item() == pytest.approx(0.75 * math.log(1.5) + 0.25 * math.log(0.5), rel=1e-5)
    p = math.sqrt(3) / (math.sqrt(3) + 1)  # softmax([ln3 / 2, 0])
    expected = 4 * (p * math.log(2 * p) + (1 - p) * math.log(2 * (1 - p)))
    assert distillation_loss(logits, zeroshot, temperature=2.0).item() == pytest.approx(expected, rel=1e-5)


# -- adapters -----------------------------------------------------------------------------------------
def test_clip_adapter_blends_the_adapted_feature():
    head = ClipAdapter(torch.stack([E1, E2]), reduction=2, ratio=0.2, logit_scale=1.0)
    with torch.no_grad():
        head.mlp[0].weight.copy_(torch.tensor([[1.0, 0.0]]))
        head.mlp[2].weight.copy_(torch.tensor([[2.0], [0.0]]))
    # mlp([1,1]) = relu([2,0]); 0.2*[2,0] + 0.8*[1,1] = [1.2, 0.8]
    norm = math.hypot(1.2, 0.8)
    assert torch.allclose(head(torch.tensor([[1.0, 1.0]])), torch.tensor([[1.2 / norm, 0.8 / norm]]))


def test_tip_adapter_logits_formula():
    keys, values, text = torch.stack([E1, E2]), torch.eye(2), torch.stack([E1, E2])
    got = tip_logits(E1.unsqueeze(0), keys, values, text, alpha=2.0, beta=3.0, logit_scale=100.0)
    # zero-shot [100, 0]; affinity [1, 0]: cache [exp(0), exp(-3)]
    assert torch.allclose(got, torch.tensor([[102.0, 2 * math.exp(-3)]]))
    module = TipAdapter(keys * 3, torch.tensor([0, 1]), 2, text, 2.0, 3.0, 100.0, train_keys=False)
    assert torch.allclose(module(E1.unsqueeze(0)), got)  # keys are stored normalised
    assert not module.keys.requires_grad


def test_tip_adapter_search_finds_the_first_best_pair():
    assert search_grid(2.1, 4) == pytest.approx([0.1, 0.6, 1.1, 1.6])
    # the zero-shot classifier is swapped, the cache is right: image e1 (label 0) has logits
    # [alpha, 1 + alpha*exp(-beta)], correct when alpha*(1 - exp(-beta)) > 1; beta-major the first such
    # pair is beta 1.1 (1 - e^-1.1 = 0.667) with alpha 1.6
    module = TipAdapter(torch.stack([E1, E2]), torch.tensor([0, 1]), 2, torch.stack([E2, E1]), 1.0, 1.0,
                        logit_scale=1.0, train_keys=False)
    found = search_alpha_beta(module, E1.unsqueeze(0), torch.tensor([0]), search_grid(2.1, 4), search_grid(2.1, 4))
    assert (found.alpha, found.beta, found.accuracy) == (pytest.approx(1.6), pytest.approx(1.1), 100.0)


def test_text_informed_probe_starts_from_prototypes_plus_text():
    prototypes = class_prototypes(torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0]]), torch.tensor([0, 1, 1]), 3)
    assert torch.allclose(prototypes, torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))  # no shot: zeros
    text = torch.stack([E2, E1, E1 + E2])
    probe = TextInformedProbe(prototypes, text, logit_scale=1.0)
    assert torch.allclose(probe(E1.unsqueeze(0)), torch.tensor([[1.0, 1.0, 2 ** -0.5]]))
    with torch.no_grad():
        probe.alpha.copy_(torch.tensor([0.0, 2.0, 0.0]))
    assert torch.allclose(probe(E1.unsqueeze(0)), torch.tensor([[1.0, 2.0, 0.0]]))


# -- the per-image cache ------------------------------------------------------------------------------
def test_row_cache_computes_each_row_once(tmp_path):
    cache, calls = FeatureCache(tmp_path), []

    def compute_for(ids):
        def compute(positions):
            calls.append([ids[i] for i in positions])
            return torch.tensor([[float(ids[i])] for i in positions])
        return compute

    first = ["1", "2", "3"]
    assert cache.get_or_compute_rows("rows", {"k": 1}, first, compute_for(first)).flatten().tolist() == [1, 2, 3]
    second = ["3", "4", "1", "4"]  # one new id, repeated: computed once, returned in order
    assert cache.get_or_compute_rows("rows", {"k": 1}, second, compute_for(second)).flatten().tolist() == [3, 4, 1, 4]
    assert calls == [["1", "2", "3"], ["4"]] and (cache.hits, cache.misses) == (2, 4)  # rows found, computed
    cache.get_or_compute_rows("rows", {"k": 2}, first, compute_for(first))  # other parts: a new folder
    assert calls[-1] == ["1", "2", "3"]
    shards = sorted((tmp_path / "rows").rglob("*.pt"))
    assert len(shards) == 3
    shards[0].write_bytes(b"garbage")  # an unreadable shard is recomputed, not fatal
    for key in ({"k": 1}, {"k": 2}):
        again = FeatureCache(tmp_path).get_or_compute_rows("rows", key, first, compute_for(first))
        assert again.flatten().tolist() == [1, 2, 3]
