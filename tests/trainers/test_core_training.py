"""Text-only training without Dassl: the loss falls, and the schedule follows Dassl's OPTIM keys."""

import pytest
import torch
from yacs.config import CfgNode as CN

from medprompt.clip.backbones import load_backbone
from medprompt.clip.prompts import PromptedClassifier, TextPrompts
from medprompt.clip.text_encoder import PromptedTextEncoder
from medprompt.methods.medpromptclip import text_to_text_loss
from medprompt.run.schedule import build_lr_scheduler, lr_factor


def test_text_to_text_loss_falls(any_dir):
    torch.manual_seed(0)
    backbone = load_backbone(f"local-dir:{any_dir}")
    enc = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    descriptions = ["white patchy shadows in the lung", "clear dark lung with thin lines",
                    "round brown spots on skin", "irregular dark border lesion"]
    targets = enc.encode_texts(descriptions)
    classifier = PromptedClassifier(enc, ["pneumonia", "normal lung", "nevus", "melanoma"],
                                    TextPrompts(enc, n_ctx=4, depth=2))
    optim = torch.optim.AdamW(classifier.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        loss = text_to_text_loss(classifier(), targets)
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_losses():
    a, b = torch.tensor([[3.0, 4.0]]), torch.tensor([[4.0, 3.0]])
    # normalised: (.6,.8) vs (.8,.6): squared differences .04 each, mean .04
    assert text_to_text_loss(a, b).item() == pytest.approx(40.0)
    assert text_to_text_loss(a, b, "l1", 1.0).item() == pytest.approx(0.2)
    with pytest.raises(ValueError, match="Unknown text loss"):
        text_to_text_loss(a, b, "huber")


def optim_cfg(**kw):
    cfg = CN(dict(LR=0.01, MAX_EPOCH=10, LR_SCHEDULER="cosine", STEPSIZE=(-1,), GAMMA=0.1, WARMUP_EPOCH=2,
                  WARMUP_TYPE="constant", WARMUP_CONS_LR=1e-5, WARMUP_MIN_LR=1e-5, WARMUP_RECOUNT=True))
    cfg.merge_from_list([x for kv in kw.items() for x in kv])
    return cfg


def test_warmup_then_cosine_stepped_per_epoch():
    param = torch.nn.Parameter(torch.zeros(1))
    optim = torch.optim.SGD([param], lr=0.01)
    sched = build_lr_scheduler(optim, optim_cfg())
    lrs = []
    for _ in range(5):
        lrs.append(optim.param_groups[0]["lr"])
        optim.step()
        sched.step()
    assert lrs[:2] == pytest.approx([1e-5, 1e-5])
    assert lrs[2] == pytest.approx(0.01)  # the cosine restarts its count after warm-up
    assert lrs[3] == pytest.approx(0.01 * 0.5 * (1 + torch.cos(torch.tensor(torch.pi / 10)).item()))


def test_other_schedules_and_bad_keys():
    assert lr_factor(7, optim_cfg(LR_SCHEDULER="single_step", STEPSIZE=(3,), WARMUP_EPOCH=0), 0.01) == pytest.approx(0.01)
    assert lr_factor(5, optim_cfg(LR_SCHEDULER="multi_step", STEPSIZE=(2, 4), WARMUP_EPOCH=0), 0.01) == pytest.approx(0.01)
    assert lr_factor(1, optim_cfg(WARMUP_TYPE="linear"), 0.01) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="LR_SCHEDULER"):
        build_lr_scheduler(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1),
                           optim_cfg(LR_SCHEDULER="poly", WARMUP_EPOCH=0))
