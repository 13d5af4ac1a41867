"""OpenAI CLIP's state-dict layout, which open_clip's own `CLIP` class keeps key for key.

PubMedCLIP's ``PubMedCLIP_ViT32.pth`` is a state dict of OpenAI's ``clip.load("ViT-B/32")`` model (BiomedCoOp
loads it with ``load_state_dict(checkpoint['state_dict'])``, HealthX-Lab/BiomedCoOp main.py @7ceb5a8), and
a transformers ``CLIPModel`` maps onto the same layout (medprompt/clip/formats/hf_clip.py). The architecture is
read off the tensor shapes as open_clip's ``build_model_from_openai_state_dict`` does, with the head counts
given where a config states them (the shapes cannot tell them; OpenAI's models all use 64-wide heads).
"""

from __future__ import annotations

from collections.abc import Mapping

from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg
from torch import Tensor

from medprompt.clip.formats.state_dicts import load_strict
from medprompt.clip.package_tower import BackboneNotFoundError

OPENAI_HEAD_WIDTH = 64
#: what OpenAI's JIT archives keep beside the weights
NON_TENSORS = ("input_resolution", "context_length", "vocab_size")


def _count(state: Mapping[str, Tensor], prefix: str) -> int:
    return len({k[len(prefix):].split(".")[0] for k in state if k.startswith(prefix)})


def vision_cfg_from_state(state: Mapping[str, Tensor], prefix: str = "visual.", heads: int | None = None) -> dict:
    """open_clip vision_cfg of an OpenAI-layout image tower (ViT or ModifiedResNet) read off its shapes."""
    if prefix + "proj" in state:  # ViT
        width = state[prefix + "conv1.weight"].shape[0]
        patch = state[prefix + "conv1.weight"].shape[-1]
        grid = round((state[prefix + "positional_embedding"].shape[0] - 1) ** 0.5)
        heads = heads or width // OPENAI_HEAD_WIDTH
        mlp = state[prefix + "transformer.resblocks.0.mlp.c_fc.weight"].shape[0]
        return {"layers": _count(state, prefix + "transformer.resblocks."), "width": width, "patch_size": patch,
                "image_size": patch * grid, "head_width": width // heads, "mlp_ratio": mlp / width}
    layers = [_count(state, f"{prefix}layer{i}.") for i in (1, 2, 3, 4)]  # ModifiedResNet
    width = state[prefix + "layer1.0.conv1.weight"].shape[0]
    grid = round((state[prefix + "attnpool.positional_embedding"].shape[0] - 1) ** 0.5)
    cfg = {"layers": layers, "width": width, "image_size": grid * 32}
    if heads:  # open_clip gives the attention pool width * 32 // head_width heads
        cfg["head_width"] = width * 32 // heads
    return cfg


def build_openai_clip(state: Mapping[str, Tensor], source: str, quick_gelu: bool = True,
                      text_heads: int | None = None, vision_heads: int | None = None, load: bool = True) -> CLIP:
    """An open_clip `CLIP` shaped like `state` (OpenAI layout), with its tensors when `load`."""
    state = {k: v for k, v in state.items() if k not in NON_TENSORS}
    try:
        text_width = state["ln_final.weight"].shape[0]
        text_cfg = CLIPTextCfg(
            context_length=state["positional_embedding"].shape[0],
            vocab_size=state["token_embedding.weight"].shape[0],
            width=text_width,
            heads=text_heads or text_width // OPENAI_HEAD_WIDTH,
            layers=_count(state, "transformer.resblocks."),
            mlp_ratio=state["transformer.resblocks.0.mlp.c_fc.weight"].shape[0] / text_width,
        )
        embed_dim = state["text_projection"].shape[1]
        vision_cfg = CLIPVisionCfg(**vision_cfg_from_state(state, heads=vision_heads))
    except KeyError as err:
        raise BackboneNotFoundError(f"{source} is not an OpenAI-layout CLIP state dict: it has no {err}") from err
    model = CLIP(embed_dim, vision_cfg=vision_cfg, text_cfg=text_cfg, quick_gelu=quick_gelu)
    if load:
        load_strict(model, state, source)
    return model
