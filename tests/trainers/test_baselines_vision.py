"""The prompted image tower (MaPLe's vision prompts) on open_clip's own ViT and on a timm ViT (the
BiomedCLIP image side), the MaPLe coupling, CoCoOp's conditional logits, and the linear probe's fit."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from medprompt.clip.backbones import load_backbone
from medprompt.clip.prompts import PromptedClassifier, TextPrompts
from medprompt.clip.text_encoder import PromptedTextEncoder
from medprompt.clip.vision_encoder import PromptedVisionEncoder
from medprompt.methods.cocoop import MetaNet, conditional_logits
from medprompt.methods.linear_probe import fit_linear_probe, probe_logits
from medprompt.methods.maple import CoupledPrompts


def tiny_timm_clip(pre_norm: bool = False) -> nn.Module:
    """An object with a `.visual` that is open_clip's TimmModel around a tiny timm ViT (32 px)."""
    timm = pytest.importorskip("timm", reason="timm is needed for BiomedCLIP's image tower")
    from open_clip.timm_model import TimmModel

    torch.manual_seed(0)
    visual = TimmModel.__new__(TimmModel)  # skip its 224 px ViT-Base build; set the same two parts
    nn.Module.__init__(visual)
    visual.trunk = timm.create_model("vit_base_patch16_224", pretrained=False, img_size=32, patch_size=8,
                                     embed_dim=32, depth=2, num_heads=2, num_classes=0, global_pool="token",
                                     pre_norm=pre_norm)
    visual.head = nn.Sequential(nn.Linear(32, 16, bias=False))
    holder = nn.Module()
    holder.visual = visual.eval().requires_grad_(False)
    return holder


@pytest.fixture(params=["open_clip", "timm"])
def tower(request, native_dir):
    if request.param == "open_clip":
        model = load_backbone(f"local-dir:{native_dir}").model
        return model, model.encode_image
    holder = tiny_timm_clip()
    return holder, holder.visual


def test_without_prompts_equals_the_model(tower):
    model, encode = tower
    images = torch.randn(3, 3, 32, 32)
    assert torch.allclose(PromptedVisionEncoder(model)(images), encode(images), atol=1e-6)


def test_prompts_change_features_and_get_gradients(tower):
    model, encode = tower
    vision = PromptedVisionEncoder(model)
    images = torch.randn(2, 3, 32, 32)
    ctx = torch.randn(2, vision.width, requires_grad=True)
    deep = [torch.randn(2, vision.width, requires_grad=True) for _ in range(vision.num_layers - 1)]
    out = vision(images, ctx, deep)
    assert out.shape == encode(images).shape
    assert not torch.allclose(out, encode(images))
    out.sum().backward()
    assert ctx.grad.abs().sum() > 0
    assert all(d.grad.abs().sum() > 0 for d in deep)
    assert not vision.state_dict()  # the backbone never enters a learner's checkpoint


@pytest.mark.parametrize("kind", ["open_clip", "timm"])
def test_first_vision_prompts_enter_before_the_pre_norm(kind, native_dir):
    """MaPLe appends the first layer's vision prompts before the ViT's pre-transformer LayerNorm (ln_pre;
    timm's norm_pre), so the first block sees them normalised with the image tokens, not raw."""
    if kind == "open_clip":
        model = load_backbone(f"local-dir:{native_dir}").model
        norm, first_block = model.visual.ln_pre, model.visual.transformer.resblocks[0]
    else:
        model = tiny_timm_clip(pre_norm=True)
        norm, first_block = model.visual.trunk.norm_pre, model.visual.trunk.blocks[0]
    assert isinstance(norm, nn.LayerNorm)
    with torch.no_grad():  # a non-trivial affine part, so the test does not rest on LayerNorm's init
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.normal_(std=0.5)
    seen = []
    first_block.register_forward_pre_hook(lambda _module, inputs: seen.append(inputs[0].detach()))
    vision = PromptedVisionEncoder(model)
    images = torch.randn(2, 3, 32, 32)
    ctx = torch.randn(3, vision.width) * 4.0
    vision(images, ctx)
    tokens = seen[0] if seen[0].shape[0] == 2 else seen[0].transpose(0, 1)  # [B, L, width]
    with torch.no_grad():
        expected = norm(ctx)
    assert torch.allclose(tokens[:, -3:], expected.expand(2, -1, -1), atol=1e-5)
    assert not torch.allclose(tokens[:, -3:], ctx.expand(2, -1, -1), atol=1e-2)


def test_non_vit_image_towers_are_refused():
    holder = nn.Module()
    holder.visual = nn.Conv2d(3, 8, 3)
    with pytest.raises(NotImplementedError, match="ViT image tower"):
        PromptedVisionEncoder(holder)


def test_maple_coupling_maps_each_text_layer_to_a_vision_layer(native_dir):
    backbone = load_backbone(f"local-dir:{native_dir}")
    text = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    vision = PromptedVisionEncoder(backbone.model)
    coupled = CoupledPrompts(TextPrompts(text, 2, depth=3), vision, text.width)
    ctx, deep = coupled.vision_prompts()
    assert coupled.vision_depth == min(3, vision.num_layers) == len(coupled.couplings)
    assert ctx.shape == (2, vision.width) and len(deep) == coupled.vision_depth - 1
    assert set(coupled.state_dict()) >= {"prompts.ctx", "couplings.0.weight"}


def test_cocoop_logits_depend_on_the_meta_net(native_dir):
    backbone = load_backbone(f"local-dir:{native_dir}")
    text = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    classifier = PromptedClassifier(text, ["glioma", "normal brain", "pituitary tumor"], TextPrompts(text, 4))
    meta = MetaNet(32, text.width)
    feats = torch.randn(5, 32)
    logits = conditional_logits(classifier, meta, feats, 10.0, chunk=2)
    assert logits.shape == (5, 3)
    with torch.no_grad():
        meta.net[-1].weight.zero_()
        meta.net[-1].bias.zero_()
    plain = conditional_logits(classifier, meta, feats, 10.0)
    # a zero shift gives CoOp's logits with the shared context
    expected = 10.0 * nn.functional.normalize(feats, dim=-1) @ nn.functional.normalize(classifier(), dim=-1).t()
    assert torch.allclose(plain, expected, atol=1e-5)
    assert not torch.allclose(plain, logits)


def test_cocoop_meta_net_sees_the_normalised_image_feature(native_dir):
    """As in the published code, the meta-net's input is the L2-normalised image feature, so the logits
    do not depend on the scale of the backbone's image features."""
    backbone = load_backbone(f"local-dir:{native_dir}")
    text = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    classifier = PromptedClassifier(text, ["glioma", "normal brain", "pituitary tumor"], TextPrompts(text, 4))
    torch.manual_seed(0)
    meta = MetaNet(32, text.width)
    seen = []
    meta.register_forward_hook(lambda _module, inputs, _output: seen.append(inputs[0].detach()))
    feats = torch.randn(5, 32) * 3.0
    logits = conditional_logits(classifier, meta, feats, 10.0)
    assert torch.allclose(seen[0].norm(dim=-1), torch.ones(5), atol=1e-5)
    assert torch.allclose(conditional_logits(classifier, meta, 7.0 * feats, 10.0), logits, atol=1e-4)


def test_linear_probe_picks_c_on_validation_and_handles_two_classes():
    from sklearn.linear_model import LogisticRegression

    gen = torch.Generator().manual_seed(0)
    centres = torch.randn(2, 8, generator=gen) * 3
    x = torch.cat([centres[i] + torch.randn(20, 8, generator=gen) for i in range(2)])
    y = torch.arange(2).repeat_interleave(20)
    fit = fit_linear_probe(x[::2], y[::2], x[1::2], y[1::2], num_classes=2, c_grid=[0.01, 1.0])
    assert set(fit.scores) == {0.01, 1.0} and fit.best_c in fit.scores
    assert fit.weight.shape == (2, 8)
    reference = LogisticRegression(C=fit.best_c, max_iter=1000).fit(
        nn.functional.normalize(x[::2], dim=-1).numpy(), y[::2].numpy())
    probs = probe_logits(x, fit.weight, fit.bias).softmax(-1)
    ref = torch.tensor(reference.predict_proba(nn.functional.normalize(x, dim=-1).numpy()), dtype=torch.float32)
    assert torch.allclose(probs, ref, atol=1e-4)
    with pytest.raises(ValueError, match="C_GRID"):
        fit_linear_probe(x, y, x, y, 2, c_grid=[])
