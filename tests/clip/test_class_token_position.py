"""TRAINER.<METHOD>.CLASS_TOKEN_POSITION: the class name at the end, in the middle or at the front of the
context, where CoOp's prompt learner puts it (KaiyangZhou/CoOp, trainers/coop.py, commit ff61507)."""

import pytest
import torch

from medprompt.clip.backbones import load_backbone
from medprompt.utils.errors import ConfigError
from medprompt.clip.prompts import PromptedClassifier, TextPrompts, prompt_texts
from medprompt.clip.text_encoder import PromptedTextEncoder

NAMES = ["glioma", "normal brain", "pituitary tumor"]


@pytest.fixture
def enc(any_dir):
    backbone = load_backbone(f"local-dir:{any_dir}")
    return PromptedTextEncoder(backbone.model, backbone.tokenizer)


def test_texts_put_the_name_where_coop_does():
    assert prompt_texts(["glioma"], 4, position="end") == ["X X X X glioma."]
    assert prompt_texts(["glioma"], 4, position="middle") == ["X X glioma X X."]  # n_ctx // 2 before it
    assert prompt_texts(["glioma"], 5, position="middle") == ["X X glioma X X X."]
    assert prompt_texts(["glioma"], 4, position="front") == ["glioma X X X X."]
    with pytest.raises(ConfigError, match="one of end, middle, front"):
        prompt_texts(["glioma"], 4, position="centre")


def coop_sequence(enc, name: str, ctx: torch.Tensor, position: str) -> torch.Tensor:
    """CoOp's own assembly: [SOS] + (ctx halves around | ctx after | ctx before) the class tokens + [. EOS]."""
    emb = enc.token_embeddings(enc.tokenize([f"{name}."]))[0]
    k = enc.word_count(name)
    sos, cls, suffix = emb[:1], emb[1:1 + k], emb[1 + k:]
    half = ctx.shape[0] // 2
    parts = {"end": [sos, ctx, cls, suffix], "middle": [sos, ctx[:half], cls, ctx[half:], suffix],
             "front": [sos, cls, ctx, suffix]}[position]
    return torch.cat(parts)


@pytest.mark.parametrize("position", ["end", "middle", "front"])
def test_features_equal_coops_assembly(enc, position):
    torch.manual_seed(0)
    prompts = TextPrompts(enc, 4)
    classifier = PromptedClassifier(enc, NAMES, prompts, position=position)
    with torch.no_grad():
        got = classifier()
        for row, name in enumerate(NAMES):
            seq = coop_sequence(enc, name, prompts.ctx, position)
            tokens = enc.tokenize(prompt_texts([name], 4))  # same length: the end-of-text position agrees
            m = 1 + 4 + enc.word_count(name) + 1  # context, class name and "."
            expected = enc(tokens, ctx=seq[1:1 + m].unsqueeze(0))
            assert torch.allclose(got[row:row + 1], expected, atol=1e-5), (position, name)


def test_positions_differ_and_gradients_reach_the_context(enc):
    torch.manual_seed(0)
    prompts = TextPrompts(enc, 4)
    out = {p: PromptedClassifier(enc, NAMES, prompts, position=p)() for p in ("end", "middle", "front")}
    assert (out["end"] - out["middle"]).abs().max() > 1e-4 and (out["end"] - out["front"]).abs().max() > 1e-4
    out["middle"].sum().backward()
    assert prompts.ctx.grad is not None and prompts.ctx.grad.abs().sum() > 0


def test_class_specific_context_and_a_subset_of_classes(enc):
    torch.manual_seed(0)
    prompts = TextPrompts(enc, 4, n_cls=len(NAMES))
    classifier = PromptedClassifier(enc, NAMES, prompts, position="front")
    with torch.no_grad():
        assert torch.allclose(classifier(torch.tensor([2, 0])), classifier()[[2, 0]], atol=1e-5)


def test_deep_prompts_keep_the_class_at_the_end(enc):
    with pytest.raises(ConfigError, match="DEPTH 2"):
        PromptedClassifier(enc, NAMES, TextPrompts(enc, 2, depth=2), position="middle")


def test_the_key_exists_for_coop_with_end_as_default():
    pytest.importorskip("dassl")
    from medprompt.run.train_args import build_parser
    from trainers.launch import setup_cfg

    args = build_parser().parse_args(["--trainer", "CoOp", "--config", "vit_b16",
                                      "TRAINER.COOP.CLASS_TOKEN_POSITION", "middle"])
    assert setup_cfg(args).TRAINER.COOP.CLASS_TOKEN_POSITION == "middle"
    args = build_parser().parse_args(["--trainer", "KgCoOp", "--config", "vit_b16"])
    assert setup_cfg(args).TRAINER.KGCOOP.CLASS_TOKEN_POSITION == "end"
