"""Backbone loading by name: aliases, hub ids from a pre-filled cache, local folders and files, offline errors."""

import time

import pytest
import tiny_models
import torch

from medprompt.clip.backbones import (
    ALIASES,
    BackboneNotFoundError,
    load_backbone,
    resolve,
)


def test_aliases_expand_to_real_names():
    assert resolve("pmc-clip") == ("hf-hub:ryanyip7777/pmc_vit_l_14", "")
    assert resolve("BiomedCLIP")[0] == "hf-hub:microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224"
    assert resolve("vit-b16") == ("ViT-B-16", "openai")
    assert resolve("vit-b16", "laion2b_s34b_b88k") == ("ViT-B-16", "laion2b_s34b_b88k")
    assert resolve("ViT-L-14") == ("ViT-L-14", "")


@pytest.mark.parametrize("alias,kind", [("pmc-clip", "native"), ("biomedclip", "hf")])
def test_real_hub_names_load_from_a_filled_cache(tmp_path, monkeypatch, alias, kind):
    repo = ALIASES[alias][0].removeprefix("hf-hub:")
    tiny_models.fill_fake_hub_cache(tmp_path, repo, kind)
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    backbone = load_backbone(alias)
    assert backbone.model.encode_text(backbone.tokenizer(["a fundus photograph"])).shape == (1, 32)


def test_missing_hub_model_fails_fast_with_a_helpful_message(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty"))
    start = time.monotonic()
    with pytest.raises(BackboneNotFoundError) as err:
        load_backbone("pmc-clip")
    assert time.monotonic() - start < 5
    message = str(err.value)
    assert "ryanyip7777/pmc_vit_l_14" in message and "local-dir:" in message and "WEIGHTS" in message


def test_missing_pretrained_tag_fails_fast(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(BackboneNotFoundError, match="timm/vit_base_patch16_clip_224.openai"):
        load_backbone("vit-b16")


def test_local_dir_and_checkpoint_file_give_the_same_weights(native_dir, tmp_path):
    from_dir = load_backbone(f"local-dir:{native_dir}")
    import open_clip

    config = tmp_path / "tiny-arch.json"
    import json

    config.write_text(json.dumps(json.loads((native_dir / "open_clip_config.json").read_text())["model_cfg"]))
    open_clip.add_model_config(config)
    from_file = load_backbone("tiny-arch", str(native_dir / "open_clip_pytorch_model.bin"))
    assert from_file.digest == from_dir.digest
    random = load_backbone("tiny-arch", "random")
    assert random.digest != from_dir.digest


def test_bad_names_and_weights_are_clear_errors(tmp_path):
    with pytest.raises(BackboneNotFoundError, match="Unknown backbone"):
        load_backbone("no-such-model", "random")
    with pytest.raises(BackboneNotFoundError, match="neither a file nor a known pretrained tag"):
        load_backbone("ViT-B-16", str(tmp_path / "missing.pt"))
    with pytest.raises(BackboneNotFoundError, match="has no weights"):
        load_backbone("ViT-B-16")
    with pytest.raises(BackboneNotFoundError, match="open_clip_config.json"):
        load_backbone(f"local-dir:{tmp_path}")


def test_backbone_is_frozen(native_dir):
    backbone = load_backbone(f"local-dir:{native_dir}")
    assert not any(p.requires_grad for p in backbone.model.parameters())
    assert not backbone.model.training
    assert isinstance(backbone.digest, str) and len(backbone.digest) == 32
    assert torch.is_tensor(backbone.model.logit_scale)


def test_loading_weights_skips_the_random_init_yet_every_tensor_is_the_checkpoints(any_dir, monkeypatch):
    """The initialisers do nothing while a whole checkpoint is loaded strictly (half of building a ViT on
    the CPU), every tensor comes from the file, and they work again afterwards."""
    calls = []
    original = torch.nn.init.kaiming_uniform_

    def counting(tensor, *args, **kwargs):
        calls.append(tuple(tensor.shape))
        return original(tensor, *args, **kwargs)

    monkeypatch.setattr(torch.nn.init, "kaiming_uniform_", counting)
    backbone = load_backbone(f"local-dir:{any_dir}")
    assert calls == []  # nn.Linear's own initialiser was skipped
    saved = torch.load(any_dir / "open_clip_pytorch_model.bin", map_location="cpu")
    state = backbone.model.state_dict()
    assert set(saved) <= set(state)
    assert all(torch.equal(state[key], saved[key]) for key in saved)
    assert torch.nn.init.kaiming_uniform_ is counting
    load_backbone(f"local-dir:{any_dir}", "random")  # random weights are drawn as before
    assert calls


def test_a_local_dir_without_weights_is_a_clear_error(native_dir, tmp_path):
    folder = tmp_path / "config-only"
    folder.mkdir()
    (folder / "open_clip_config.json").write_text((native_dir / "open_clip_config.json").read_text())
    with pytest.raises(BackboneNotFoundError, match=r"(?s)found no checkpoint.*open_clip_pytorch_model.bin"):
        load_backbone(f"local-dir:{folder}")


def test_a_prebuilt_backbone_is_taken_once_and_only_for_the_same_files(native_dir, tmp_path, monkeypatch):
    """What a warm interpreter builds before forking runs (medprompt/sweep/warm.py)."""
    import os
    import shutil

    from medprompt.clip import backbones

    monkeypatch.setattr(backbones, "_PREBUILT", {})
    folder = tmp_path / "model"
    shutil.copytree(native_dir, folder)
    name = f"local-dir:{folder}"
    assert backbones.prebuild(name, "random") is None  # the run's seed draws those
    seconds = backbones.prebuild(name)
    assert seconds is not None and seconds >= 0
    taken = load_backbone(name)
    assert taken.prebuilt_seconds == seconds
    again = load_backbone(name)
    assert again.prebuilt_seconds is None and again.model is not taken.model and again.digest == taken.digest
    backbones.prebuild(name)
    weights = folder / "open_clip_pytorch_model.bin"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))  # the file changed
    assert load_backbone(name).prebuilt_seconds is None


def test_the_weights_digest_is_kept_per_checkpoint_file_and_redone_when_the_file_changes(native_dir, tmp_path,
                                                                                         monkeypatch, capsys):
    import os
    import shutil

    from medprompt.clip import backbones

    folder = tmp_path / "model"
    shutil.copytree(native_dir, folder)
    name, cache = f"local-dir:{folder}", tmp_path / "cache"
    hashed = []
    real = backbones.weights_digest
    monkeypatch.setattr(backbones, "weights_digest", lambda model: hashed.append(1) or real(model))
    first = load_backbone(name, digest_cache=cache)
    again = load_backbone(name, digest_cache=cache)
    assert len(hashed) == 1 and again.digest == first.digest == real(again.model)
    assert "Reused the weights digest of local-dir:" in capsys.readouterr().out
    weights = folder / "open_clip_pytorch_model.bin"
    state = torch.load(weights)
    key = next(k for k, v in state.items() if v.is_floating_point())
    state[key] = state[key] + 1
    torch.save(state, weights)  # other weights in the same file: its size or time changes
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    changed = load_backbone(name, digest_cache=cache)
    assert len(hashed) == 2 and changed.digest != first.digest
    load_backbone(name, "random", digest_cache=cache)
    load_backbone(name, "random", digest_cache=cache)
    assert len(hashed) == 4  # random weights are never looked up
    assert len(list((cache / backbones.DIGESTS).iterdir())) == 2


def test_cache_root_reads_the_setting_then_the_environment_at_each_call(tmp_path, monkeypatch):
    from pathlib import Path

    from medprompt.utils.paths import cache_root

    assert cache_root("none") is None
    assert cache_root(str(tmp_path / "x")) == tmp_path / "x"
    monkeypatch.setenv("MEDPROMPT_CACHE", str(tmp_path / "env"))
    assert cache_root("") == tmp_path / "env"
    monkeypatch.delenv("MEDPROMPT_CACHE")
    assert cache_root("") == Path.home() / ".cache" / "medprompt"


def test_loaded_weights_leave_the_random_state_as_it_was_however_the_model_is_built(any_dir, monkeypatch):
    """A run's seed must draw the same prompts whether its backbone was built by the run, with or without
    initialisers, or by a warm parent before the fork; random weights are drawn from the seed."""
    from medprompt.clip import backbones

    def draws_after(build) -> torch.Tensor:
        torch.manual_seed(0)
        build()
        return torch.rand(4)

    expected = draws_after(lambda: None)
    assert torch.equal(draws_after(lambda: load_backbone(f"local-dir:{any_dir}")), expected)
    monkeypatch.setattr(backbones, "_PREBUILT", {})
    backbones.prebuild(f"local-dir:{any_dir}")
    assert torch.equal(draws_after(lambda: load_backbone(f"local-dir:{any_dir}")), expected)  # taken
    assert not torch.equal(draws_after(lambda: load_backbone(f"local-dir:{any_dir}", "random")), expected)
