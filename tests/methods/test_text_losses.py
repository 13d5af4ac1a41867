"""MedPromptCLIP's text-to-text losses on tiny hand-computed cases, and the held-out-class validation."""

import math

import pytest
import torch

from medprompt.methods.medpromptclip import (
    TextPairLoss,
    centered_loss,
    class_contrastive_loss,
    heldout_score,
    split_heldout_classes,
)

# bank of training targets: description 0 of class 0, descriptions 1 and 2 of class 1
BANK = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
BANK_CLASSES = torch.tensor([0, 1, 1])


def test_centered_by_hand():
    # mean of the normalised targets: ((1 + 0 + .6) / 3, (0 + 1 + .8) / 3) = (.5333, .6)
    cx, cy = 1.6 / 3, 0.6
    pred = torch.tensor([[3.0, 4.0]])  # normalised (.6, .8); its pair is description 0, (1, 0)
    px, py = 0.6 - cx, 0.8 - cy
    tx, ty = 1.0 - cx, 0.0 - cy
    pn, tn = math.hypot(px, py), math.hypot(tx, ty)
    expected = ((px / pn - tx / tn) ** 2 + (py / pn - ty / tn) ** 2) / 2  # mean over the 2 coordinates
    loss = TextPairLoss("centered", 10.0, BANK, BANK_CLASSES, logit_scale=1.0)
    assert loss.center.tolist() == pytest.approx([cx, cy])
    assert loss(pred, torch.tensor([0])).item() == pytest.approx(10 * expected)
    assert centered_loss(pred, BANK[[0]], torch.tensor([cx, cy]), 10.0).item() == pytest.approx(10 * expected)
    # a prediction on its target is at loss 0 whatever the centre
    assert loss(torch.tensor([[0.3, 0.4]]), torch.tensor([2])).item() == pytest.approx(0.0, abs=1e-10)


def test_contrastive_by_hand():
    # pair A: template (2, 0) of class 0 with description 0; negatives: descriptions 1 and 2 (class 1)
    # cosines 1, 0, .6 at scale 2 -> logits 2, 0, 1.2
    loss_a = -math.log(math.exp(2) / (math.exp(2) + math.exp(0) + math.exp(1.2)))
    # pair B: template (0, 1) of class 1 with description 1; description 2 is of its own class, so not a
    # negative; the only negative is description 0 (cosine 0): logits 2 vs 0
    loss_b = -math.log(math.exp(2) / (math.exp(2) + math.exp(0)))
    pred, pairs = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 1])
    expected = 3 * (loss_a + loss_b) / 2
    assert class_contrastive_loss(pred, pairs, BANK, BANK_CLASSES, scale=2.0, weight=3.0).item() == pytest.approx(expected)
    assert TextPairLoss("contrastive", 3.0, BANK, BANK_CLASSES, logit_scale=2.0)(pred, pairs).item() == pytest.approx(expected)


def test_upstream_kinds_unchanged_and_bad_kinds():
    pred = torch.tensor([[3.0, 4.0]])  # (.6, .8) vs description 0 (1, 0): squared diffs .16, .64
    assert TextPairLoss("mse", 1000.0, BANK, BANK_CLASSES, 1.0)(pred, torch.tensor([0])).item() == pytest.approx(400.0)
    assert TextPairLoss("l1", 1.0, BANK, BANK_CLASSES, 1.0)(pred, torch.tensor([0])).item() == pytest.approx(0.6)
    with pytest.raises(ValueError, match="Unknown text loss 'huber'"):
        TextPairLoss("huber", 1.0, BANK, BANK_CLASSES, 1.0)
    with pytest.raises(ValueError, match="'contrastive' text loss needs descriptions of at least 2 classes"):
        TextPairLoss("contrastive", 1.0, BANK[1:], BANK_CLASSES[1:], 1.0)


def test_new_losses_give_gradients_and_fall():
    torch.manual_seed(0)
    bank = torch.nn.functional.normalize(torch.randn(6, 8) + 3, dim=-1)  # nearly parallel, as descriptions are
    classes = torch.tensor([0, 0, 1, 1, 2, 2])
    for kind in ("centered", "contrastive"):
        pred = torch.randn(6, 8, requires_grad=True)
        loss_fn = TextPairLoss(kind, 1.0, bank, classes, logit_scale=10.0)
        optim = torch.optim.Adam([pred], lr=0.05)
        first = loss_fn(pred, torch.arange(6)).item()
        for _ in range(50):
            loss = loss_fn(pred, torch.arange(6))
            optim.zero_grad()
            loss.backward()
            optim.step()
        assert torch.isfinite(pred.grad).all() and loss.item() < 0.5 * first, kind


def test_heldout_split_is_seeded_and_checked():
    names = [f"c{i}" for i in range(8)]
    kept, held = split_heldout_classes(names, 0.25, seed=1)
    assert len(held) == 2 and sorted(kept + held) == list(range(8))
    assert split_heldout_classes(names, 0.25, seed=1) == (kept, held)
    assert any(split_heldout_classes(names, 0.25, seed=s)[1] != held for s in range(2, 6))
    for share, match in [(1.0, r"must be in \[0, 1\)"), (0.1, "holds out 1"), (0.95, "holds out 8")]:
        with pytest.raises(ValueError, match=r"TRAINER.MEDPROMPTCLIP.VAL_HELDOUT_CLASSES.*" + match):
            split_heldout_classes(names, share, seed=1)


def test_heldout_score_by_hand():
    templates = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    # description 0 (class 0) nearest template 0 -> rank 1; description 1 (class 1) is (1, .1): nearest
    # template 0, then 1 -> rank 2; description 2 (class 2) is (-1, 0) -> rank 1
    descriptions = torch.tensor([[2.0, 0.0], [1.0, 0.1], [-1.0, 0.0]])
    score = heldout_score(templates, descriptions, torch.tensor([0, 1, 2]))
    assert score.accuracy == pytest.approx(200 / 3)
    assert score.mean_rank == pytest.approx(4 / 3)
