"""OpenAI CLIP's state-dict layout, which open_clip's own `CLIP` class keeps key for key.

PubMedCLIP's ``PubMedCLIP_ViT32.pth`` is a state dict of OpenAI's ``clip.load("ViT-B/32")`` model (BiomedCoOp
loads it with ``load_state_dict(checkpoint['state_dict'])``, HealthX-Lab/BiomedCoOp main.py @7ceb5a8), and
a transformers ``CLIPModel`` maps onto the same layout (medprompt/clip/formats/hf_clip.py). The architecture is
read off the tensor shapes as open_clip's ``build_model_from_openai_state_dict`` does, with the head counts
given where a config states them (the shapes cannot tell them; OpenAI's models all use 64-wide heads).
"""

from __future__ import annotations

from typing import Mapping

from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg
from torch import Tensor

from medprompt.clip.formats.state_dicts import load_strict
from medprompt.package_tower import BackboneNotFoundError

OPENAI_HEAD_WIDTH = 64
#: what OpenAI's JIT archives keep beside the weights
NON_TENSORS = ("input_resolution", "context_length", "vocab_size")


def _count(state: Mapping[str, Tensor], prefix: str) -> int:
    return len({k[len(prefix):].split(".")[0] for k in state if k.startswith(prefix)})


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
        if "visual.proj" in state:  # ViT
            width = state["visual.conv1.weight"].shape[0]
            patch = state["visual.conv1.weight"].shape[-1]
            grid = round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
            heads = vision_heads or width // OPENAI_HEAD_WIDTH
            mlp = state["visual.transformer.resblocks.0.mlp.c_fc.weight"].shape[0]
            vision_cfg = CLIPVisionCfg(layers=_count(state, "visual.transformer.resblocks."), width=width,
                                       patch_size=patch, image_size=patch * grid, head_width=width // heads,
                                       mlp_ratio=mlp / width)
        else:  # ModifiedResNet
            layers = tuple(_count(state, f"visual.layer{i}.") for i in (1, 2, 3, 4))
            width = state["visual.layer1.0.conv1.weight"].shape[0]
            grid = round((state["visual.attnpool.positional_embedding"].shape[0] - 1) ** 0.5)
            vision_cfg = CLIPVisionCfg(layers=layers, width=width, image_size=grid * 32)
    except KeyError as err:
        raise BackboneNotFoundError(f"{source} is not an OpenAI-layout CLIP state dict: it has no {err}") from err
    model = CLIP(embed_dim, vision_cfg=vision_cfg, text_cfg=text_cfg, quick_gelu=quick_gelu)
    if load:
        load_strict(model, state, source)
    return model
