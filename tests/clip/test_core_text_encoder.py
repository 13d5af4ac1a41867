"""The prompted text encoder against open_clip's own encode_text, for both kinds of text tower."""

import pytest
import torch

from medprompt.clip.backbones import load_backbone
from medprompt.clip.prompts import PromptedClassifier, TextPrompts, prompt_texts
from medprompt.clip.text_encoder import PromptedTextEncoder

TEXTS = ["a photo of a normal lung.", "x x x x pneumonia with white patchy shadows on the chest x ray."]


@pytest.fixture
def encoder(any_dir):
    backbone = load_backbone(f"local-dir:{any_dir}")
    return backbone, PromptedTextEncoder(backbone.model, backbone.tokenizer)


def test_plain_run_equals_open_clip(encoder):
    backbone, enc = encoder
    tokens = enc.tokenize(TEXTS)
    with torch.no_grad():
        expected = backbone.model.encode_text(tokens)
        assert torch.allclose(enc(tokens, trim=False), expected, atol=1e-6)


def test_trimmed_run_equals_full_length(encoder):
    _, enc = encoder
    tokens = enc.tokenize(TEXTS)
    assert int(enc.lengths(tokens).max()) < tokens.shape[1]  # there is padding to trim
    with torch.no_grad():
        assert (enc(tokens, trim=True) - enc(tokens, trim=False)).abs().max() < 1e-5


def test_full_context_runs_every_position_with_the_same_result(encoder):
    """MODEL.FULL_TEXT_CONTEXT (the published way's cost): no trimming unless a call asks for it."""
    _, enc = encoder
    tokens = enc.tokenize(TEXTS)
    seen = []
    embedding = enc.tower.transformer.get_input_embeddings() if enc.is_hf else enc.tower.token_embedding
    hook = embedding.register_forward_hook(lambda _m, args, _out: seen.append(args[0].shape[1]))
    try:
        with torch.no_grad():
            trimmed = enc(tokens)
            enc.full_context = True
            full = enc(tokens)
            enc(tokens, trim=True)
    finally:
        hook.remove()
    assert seen == [int(enc.lengths(tokens).max()), tokens.shape[1], int(enc.lengths(tokens).max())]
    assert (full - trimmed).abs().max() < 1e-5


def test_prompt_equal_to_replaced_embeddings_changes_nothing(encoder):
    backbone, enc = encoder
    tokens = enc.tokenize(TEXTS)
    with torch.no_grad():
        replaced = enc.token_embeddings(tokens)[:, 1:5]
        assert (enc(tokens, ctx=replaced) - backbone.model.encode_text(tokens)).abs().max() < 1e-5
        assert (enc(tokens, ctx=replaced + torch.randn_like(replaced)) - backbone.model.encode_text(tokens)).abs().max() > 1e-3


def test_deep_prompts_reach_later_layers(encoder):
    _, enc = encoder
    tokens = enc.tokenize(TEXTS[:1])
    with torch.no_grad():
        words = enc.token_embeddings(tokens)[0, 1:5]
        base = enc(tokens, ctx=words)
        deep = enc(tokens, ctx=words, deep_ctx=[torch.randn(4, enc.width)])
    assert (deep - base).abs().max() > 1e-4


def test_only_prompt_vectors_get_gradients(encoder):
    backbone, enc = encoder
    prompts = TextPrompts(enc, n_ctx=4, depth=2, ctx_init="a photo of a")
    classifier = PromptedClassifier(enc, ["normal lung", "pneumonia"], prompts)
    classifier().sum().backward()
    assert prompts.ctx.grad is not None and prompts.ctx.grad.abs().sum() > 0
    assert all(p.grad is not None for p in prompts.deep_ctx)
    assert all(p.grad is None for p in backbone.model.parameters())
    assert set(classifier.state_dict()) == {"prompts.ctx", "prompts.deep_ctx.0"}


def test_context_init_from_text_or_random(encoder):
    _, enc = encoder
    from_text = TextPrompts(enc, n_ctx=4, ctx_init="a photo of a")
    assert from_text.initialised_from == "a photo of a"
    expected = enc.token_embeddings(enc.tokenize(["a photo of a"]))[0, 1:5]
    assert torch.allclose(from_text.ctx.data, expected)
    assert TextPrompts(enc, n_ctx=6, ctx_init="a photo of a").initialised_from == "random"
    with pytest.raises(ValueError, match="DEPTH"):
        TextPrompts(enc, n_ctx=4, depth=enc.num_layers + 1)


def test_class_specific_random_context_is_drawn_per_class(encoder):
    """CoOp's CSC with random init: every class starts from its own N(0, 0.02) draw; from words, every
    class starts from the same embeddings."""
    _, enc = encoder
    torch.manual_seed(0)
    ctx = TextPrompts(enc, n_ctx=4, n_cls=3).ctx.data
    assert ctx.shape == (3, 4, enc.width)
    assert not torch.allclose(ctx[0], ctx[1]) and not torch.allclose(ctx[1], ctx[2])
    assert 0.01 < ctx.std().item() < 0.03
    worded = TextPrompts(enc, n_ctx=4, ctx_init="a photo of a", n_cls=3).ctx.data
    assert torch.equal(worded[0], worded[2])


def test_prompt_texts_put_placeholders_before_the_class():
    assert prompt_texts(["glaucoma"], 3) == ["X X X glaucoma."]
    assert prompt_texts(["glaucoma"], 2, "a fundus photograph of {}.") == ["X X a fundus photograph of glaucoma."]
