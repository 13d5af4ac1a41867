"""HF text towers taken from an installed Python package, for backbones shipped without them.

A `local-dir:` folder's config may name ``"hf_model_name": "package:<module>/<folder>"``: the folder is
found through the module's ``__file__`` (never a fixed site-packages path), the text tower gets that
folder's pretrained weights, and the folder's own weights file holds only the rest of the model (image
tower, projections, logit scale). This is how the tiny synthetic-world CLIP (``synth-clip``) ships a few
MB instead of the ~90 MB of its MiniLM text tower.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import sys
import tempfile
from typing import Callable

import open_clip
import torch
from open_clip.tokenizer import HFTokenizer
from torch import nn

from medprompt.utils.errors import UserError

LOCAL_DIR_PREFIX = "local-dir:"
HF_CONFIG_FILE = "open_clip_config.json"
PACKAGE_PREFIX = "package:"
PARTIAL_WEIGHTS_FILE = "open_clip_pytorch_model.bin"  # torch.save of a state dict


class BackboneNotFoundError(UserError, RuntimeError):
    """The backbone could not be found locally and could not be downloaded."""


def package_path(ref: str) -> str:
    """``package:<module>/<sub/folder>`` -> that folder inside the installed module (found by its __file__)."""
    module, _, sub = ref[len(PACKAGE_PREFIX):].partition("/")
    try:
        mod = importlib.import_module(module)
    except ImportError as err:
        raise BackboneNotFoundError(
            f"The backbone's text tower {ref!r} comes from the Python package {module!r}, which is not "
            f"installed: pip install {module.replace('_', '-')}"
        ) from err
    folder = os.path.join(os.path.dirname(os.path.abspath(mod.__file__)), sub)
    if not os.path.isdir(folder):
        raise BackboneNotFoundError(f"{ref!r}: package {module!r} has no folder {sub!r} ({folder})")
    return folder


def package_tower_config(model_name: str) -> dict | None:
    """The local-dir config with its package text tower resolved to a path; None for any other backbone."""
    if not model_name.startswith(LOCAL_DIR_PREFIX):
        return None
    with open(os.path.join(model_name[len(LOCAL_DIR_PREFIX):], HF_CONFIG_FILE), encoding="utf-8") as f:
        config = json.load(f)
    text_cfg = config.get("model_cfg", {}).get("text_cfg", {})
    if not str(text_cfg.get("hf_model_name", "")).startswith(PACKAGE_PREFIX):
        return None
    return resolve_package_tower(config)


@contextlib.contextmanager
def stdout_with_isatty():
    """transformers' weight-loading report calls sys.stdout.isatty(); Dassl's Logger replaces sys.stdout
    with an object that lacks it, so that report goes to the real stdout while the tower loads."""
    out = sys.stdout
    if out is not None and not hasattr(out, "isatty"):
        sys.stdout = sys.__stdout__
    try:
        yield
    finally:
        sys.stdout = out


def create_package_tower_model(model_cfg: dict, pretrained_text: bool = True) -> nn.Module:
    """An open_clip model from an architecture dict whose HF text tower path is already resolved, with the
    text tower's own pretrained weights (`pretrained_text`) and random weights elsewhere."""
    with tempfile.TemporaryDirectory() as tmp:
        # open_clip registers extra architectures from json files; the file is read at once
        key = hashlib.blake2b(json.dumps(model_cfg, sort_keys=True).encode(), digest_size=8).hexdigest()
        arch = f"local-package-{key}"
        path = os.path.join(tmp, arch + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(model_cfg, f)
        open_clip.add_model_config(path)
    with stdout_with_isatty():
        return open_clip.create_model(arch, pretrained=None, pretrained_text=pretrained_text)


def load_package_tower(folder: str, config: dict, random: bool) -> tuple[nn.Module, Callable, Callable]:
    """Build a local-dir model whose text tower comes from a package, then load its partial weights file.

    The weights file must hold every tensor except the text tower's (``text.transformer.*``), no more.
    """
    model_cfg = config["model_cfg"]
    model = create_package_tower_model(model_cfg, pretrained_text=not random)
    if not random:
        path = os.path.join(folder, PARTIAL_WEIGHTS_FILE)
        if not os.path.isfile(path):
            raise BackboneNotFoundError(f"Backbone folder {folder!r} has no {PARTIAL_WEIGHTS_FILE}")
        state = torch.load(path, map_location="cpu", weights_only=True)
        missing, unexpected = model.load_state_dict(state, strict=False)
        not_text = [k for k in missing if not k.startswith("text.transformer.")]
        if unexpected or not_text:
            raise BackboneNotFoundError(
                f"{path} does not fit the architecture of {folder}/{HF_CONFIG_FILE}: "
                f"{len(not_text)} tensors missing (first: {not_text[:3]}), {len(unexpected)} unexpected "
                f"(first: {unexpected[:3]})"
            )
    text_cfg = model_cfg["text_cfg"]
    tokenizer = HFTokenizer(text_cfg["hf_tokenizer_name"], context_length=text_cfg.get("context_length", 77),
                                      **text_cfg.get("tokenizer_kwargs", {}))
    pp = config.get("preprocess_cfg", {})
    preprocess = open_clip.image_transform(model.visual.image_size, is_train=False, mean=pp.get("mean"),
                                           std=pp.get("std"), interpolation=pp.get("interpolation"),
                                           resize_mode=pp.get("resize_mode"))
    return model, tokenizer, preprocess


def resolve_package_tower(config: dict) -> dict:
    """A copy of an open_clip folder config with a ``package:`` text tower replaced by its installed path."""
    config = json.loads(json.dumps(config))
    text_cfg = config.get("model_cfg", config).get("text_cfg", {})
    if str(text_cfg.get("hf_model_name", "")).startswith(PACKAGE_PREFIX):
        text_cfg["hf_model_name"] = text_cfg["hf_tokenizer_name"] = package_path(text_cfg["hf_model_name"])
    return config
