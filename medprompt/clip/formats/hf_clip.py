"""A transformers ``CLIPModel`` folder (PLIP ``vinid/plip``, PubMedCLIP
``flaviagiammarino/pubmed-clip-vit-base-patch32``): ``config.json`` + ``model.safetensors`` or
``pytorch_model.bin`` (+ ``preprocessor_config.json`` and the CLIP BPE tokenizer files).

The keys are mapped onto OpenAI's layout and loaded into open_clip's own `CLIP` (the same computation:
pre-LayerNorm blocks, QuickGELU where the config says so, class-token pooling on the image side,
end-of-text pooling on the text side), so the text tower is open_clip's causal transformer and deep
prompts reach each of its layers, and the image tower is open_clip's ViT, which takes vision prompts.
The tokenizer is CLIP's BPE (open_clip ships the vocabulary these folders' ``vocab.json``/``merges.txt``
hold) at the config's ``max_position_embeddings``.

Key names: transformers' ``modeling_clip.py`` (``text_model.encoder.layers.N.self_attn.q_proj`` ...,
``vision_model.pre_layrnorm``, ``visual_projection``, ``text_projection``, ``logit_scale``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import open_clip
import torch
from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg
from torch import Tensor

from medprompt.clip.formats import FolderFormat, Loaded
from medprompt.clip.formats.state_dicts import (
    drop,
    first_file,
    is_position_ids,
    load_strict,
    read_state_dict,
)
from medprompt.clip.package_tower import BackboneNotFoundError

CONFIG_FILE = "config.json"
WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")
PREPROCESSOR_FILE = "preprocessor_config.json"
#: CLIPImageProcessor's defaults (transformers models/clip/image_processing_clip.py): 224 px, bicubic, OpenAI mean/std
DEFAULT_PREPROCESS = {"crop_size": 224, "resample": 3, "image_mean": [0.48145466, 0.4578275, 0.40821073],
                      "image_std": [0.26862954, 0.26130258, 0.27577711]}
#: PIL resampling codes as CLIPImageProcessor stores them
RESAMPLE = {0: "nearest", 2: "bilinear", 3: "bicubic"}

_BLOCK = {"self_attn.out_proj.": "attn.out_proj.", "layer_norm1.": "ln_1.", "layer_norm2.": "ln_2.",
          "mlp.fc1.": "mlp.c_fc.", "mlp.fc2.": "mlp.c_proj."}
_PLAIN = {
    "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
    "text_model.embeddings.position_embedding.weight": "positional_embedding",
    "text_model.final_layer_norm.weight": "ln_final.weight",
    "text_model.final_layer_norm.bias": "ln_final.bias",
    "vision_model.embeddings.class_embedding": "visual.class_embedding",
    "vision_model.embeddings.patch_embedding.weight": "visual.conv1.weight",
    "vision_model.embeddings.position_embedding.weight": "visual.positional_embedding",
    "vision_model.pre_layrnorm.weight": "visual.ln_pre.weight",
    "vision_model.pre_layrnorm.bias": "visual.ln_pre.bias",
    "vision_model.post_layernorm.weight": "visual.ln_post.weight",
    "vision_model.post_layernorm.bias": "visual.ln_post.bias",
    "logit_scale": "logit_scale",
}
_TRANSPOSED = {"text_projection.weight": "text_projection", "visual_projection.weight": "visual.proj"}
_TOWERS = {"text_model.encoder.layers.": "transformer.resblocks.",
           "vision_model.encoder.layers.": "visual.transformer.resblocks."}


def detect(folder: str) -> bool:
    path = os.path.join(folder, CONFIG_FILE)
    if not os.path.isfile(path) or first_file(folder, WEIGHTS_FILES) is None:
        return False
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError):
        return False
    return config.get("model_type") == "clip" or "CLIPModel" in config.get("architectures", [])


def to_openai_layout(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """transformers CLIPModel keys -> OpenAI/open_clip CLIP keys (q, k, v joined into in_proj)."""
    out, qkv = {}, {}
    for key, value in drop(state, is_position_ids).items():
        if key in _PLAIN:
            out[_PLAIN[key]] = value
            continue
        if key in _TRANSPOSED:
            out[_TRANSPOSED[key]] = value.t().contiguous()
            continue
        tower = next((t for t in _TOWERS if key.startswith(t)), None)
        if tower is None:
            out[key] = value  # unknown: the strict load names it
            continue
        layer, _, rest = key[len(tower):].partition(".")
        prefix = f"{_TOWERS[tower]}{layer}."
        if rest.startswith(("self_attn.q_proj.", "self_attn.k_proj.", "self_attn.v_proj.")):
            part, kind = rest[len("self_attn."):].split(".", 1)
            qkv.setdefault((prefix, kind), {})[part[0]] = value
            continue
        block = next((b for b in _BLOCK if rest.startswith(b)), None)
        out[prefix + (_BLOCK[block] + rest[len(block):] if block else rest)] = value
    for (prefix, kind), parts in qkv.items():
        if set(parts) != {"q", "k", "v"}:
            raise BackboneNotFoundError(f"{prefix}: attention {kind} lacks one of q_proj/k_proj/v_proj")
        out[f"{prefix}attn.in_proj_{kind}"] = torch.cat([parts["q"], parts["k"], parts["v"]])
    return out


def build(config) -> CLIP:
    """open_clip's CLIP with the shapes of a transformers CLIPConfig."""
    text, vision = config.text_config, config.vision_config
    if text.hidden_act != vision.hidden_act or text.hidden_act not in ("quick_gelu", "gelu"):
        raise BackboneNotFoundError(f"CLIP config with activations {text.hidden_act!r}/{vision.hidden_act!r}: "
                                    "only quick_gelu or gelu on both towers map onto open_clip's CLIP")
    text_cfg = CLIPTextCfg(context_length=text.max_position_embeddings, vocab_size=text.vocab_size,
                           width=text.hidden_size, heads=text.num_attention_heads, layers=text.num_hidden_layers,
                           mlp_ratio=text.intermediate_size / text.hidden_size)
    vision_cfg = CLIPVisionCfg(layers=vision.num_hidden_layers, width=vision.hidden_size,
                               head_width=vision.hidden_size // vision.num_attention_heads,
                               mlp_ratio=vision.intermediate_size / vision.hidden_size,
                               patch_size=vision.patch_size, image_size=vision.image_size)
    return CLIP(config.projection_dim, vision_cfg=vision_cfg, text_cfg=text_cfg,
                quick_gelu=text.hidden_act == "quick_gelu")


def preprocess_settings(folder: str) -> dict:
    """Input size, interpolation, mean and std from the folder's preprocessor_config.json (CLIP's defaults
    where it is absent)."""
    settings = dict(DEFAULT_PREPROCESS)
    path = os.path.join(folder, PREPROCESSOR_FILE)
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as handle:
            settings.update(json.load(handle))
    crop = settings["crop_size"]
    size = crop.get("height", crop.get("shortest_edge")) if isinstance(crop, dict) else crop
    return {"size": int(size), "interpolation": RESAMPLE.get(settings.get("resample", 3), "bicubic"),
            "mean": tuple(settings["image_mean"]), "std": tuple(settings["image_std"])}


def load(folder: str, random: bool) -> Loaded:
    from transformers import CLIPConfig

    config = CLIPConfig.from_pretrained(folder)
    model = build(config)
    if not random:
        path = first_file(folder, WEIGHTS_FILES)
        load_strict(model, to_openai_layout(read_state_dict(path)), path)
    pp = preprocess_settings(folder)
    preprocess = open_clip.image_transform(pp["size"], is_train=False, mean=pp["mean"], std=pp["std"],
                                           interpolation=pp["interpolation"])
    tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=config.text_config.max_position_embeddings)
    return model, tokenizer, preprocess


FORMAT = FolderFormat("transformers CLIPModel", "config.json (model_type 'clip') + model.safetensors or "
                      "pytorch_model.bin (+ preprocessor_config.json): PLIP, PubMedCLIP (transformers form)",
                      detect, load)
