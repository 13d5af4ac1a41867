"""Load a CLIP-style backbone through open_clip, by one config value.

`MODEL.BACKBONE.NAME` takes a short alias (``pmc-clip``, ``biomedclip``, ``vit-b16``, ``synth-clip`` ...), any
open_clip model name, an ``hf-hub:org/repo`` id or a ``local-dir:/path`` folder. `MODEL.BACKBONE.WEIGHTS` takes an
open_clip pretrained tag (``openai``), a checkpoint file, ``random`` (architecture only, for tests and
benchmarks) or nothing (the alias's or schema's own weights).

Offline, open_clip's hub download retries for about 20 s before failing; we look in the local Hugging
Face cache first and probe the hub once with a short timeout, so a missing model fails at once with a
message that says what was tried and how to point at a local copy.

A `local-dir:` folder may also take its HF text tower from an installed Python package
(medprompt/clip/package_tower.py), or hold a publisher's own files in another format (a transformers CLIPModel,
an OpenAI state dict ...), recognised by its files (medprompt/clip/formats/). Short names of such
publishers' files (``plip``, ``pubmedclip`` ...) are in medprompt/clip/published.py; docs/BACKBONES.md lists
every backbone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sys
import time
import urllib.parse
from dataclasses import dataclass
from typing import Callable

import open_clip
import torch
from torch import nn

from medprompt.clip import formats, published
from medprompt.utils.atomic import write_json
from medprompt.run.checkpoints import looks_like_checkpoint
from medprompt.utils.errors import CheckpointError
from medprompt.utils.paths import BACKBONES
from medprompt.clip.package_tower import (BackboneNotFoundError, load_package_tower, package_tower_config,
                                          stdout_with_isatty)

ALIASES: dict[str, tuple[str, str]] = {
    "pmc-clip": ("hf-hub:ryanyip7777/pmc_vit_l_14", ""),
    "biomedclip": ("hf-hub:microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224", ""),
    "vit-b16": ("ViT-B-16", "openai"),
    "vit-b32": ("ViT-B-32", "openai"),
    "vit-l14": ("ViT-L-14", "openai"),
    "rn50": ("RN50", "openai"),
    # QuiltNet ViT-B/32: the open_clip-format Hugging Face repo wisdomik/QuiltNet-B-32
    "quiltnet": ("hf-hub:wisdomik/QuiltNet-B-32", ""),
    "rn101": ("RN101", "openai"),
    # the tiny CLIP of the synthetic world, shipped in this repository (scripts/train_synth_clip.py)
    "synth-clip": (f"local-dir:{BACKBONES / 'synth-clip'}", ""),
}

RANDOM_WEIGHTS = "random"
HF_HUB_PREFIX = "hf-hub:"
LOCAL_DIR_PREFIX = "local-dir:"
HF_CONFIG_FILE = "open_clip_config.json"


@dataclass
class Backbone:
    """A loaded CLIP model with what every method needs beside it."""

    model: nn.Module
    tokenizer: Callable
    preprocess: Callable
    name: str
    weights: str
    digest: str
    #: seconds a warm interpreter took to build it before forking this run (None: built by this run)
    prebuilt_seconds: float | None = None

    @property
    def identity(self) -> dict:
        """What a checkpoint or a cache records to tell backbones apart."""
        return {"name": self.name, "weights": self.weights, "digest": self.digest}


def resolve(name: str, weights: str = "") -> tuple[str, str]:
    """Expand an alias; an explicit `weights` wins over the alias's default tag."""
    if name.lower() in published.SHORT_NAMES:
        return published.PUBLISHED_PREFIX + name.lower(), weights
    model_name, default_weights = ALIASES.get(name.lower(), (name, ""))
    return model_name, weights or default_weights


def _hub_reachable(timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes"}:
        return False
    from huggingface_hub import constants

    host = urllib.parse.urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _hub_repo_for(model_name: str, weights: str) -> tuple[str, str] | None:
    """The (repo, file) open_clip would fetch from the hub for these settings, if any."""
    if model_name.startswith(HF_HUB_PREFIX):
        return model_name[len(HF_HUB_PREFIX):], HF_CONFIG_FILE
    if weights and weights != RANDOM_WEIGHTS and not os.path.isfile(weights):
        cfg = open_clip.get_pretrained_cfg(model_name, weights)
        hub = cfg.get("hf_hub", "") if cfg else ""
        if hub.endswith("/"):
            return hub.rstrip("/"), "open_clip_pytorch_model.bin"
        if hub:
            repo, filename = os.path.split(hub)
            return repo, filename
    return None


@contextlib.contextmanager
def _hub_offline():
    """Have huggingface_hub use its cache only (no retries against an unreachable hub)."""
    from huggingface_hub import constants

    before = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = before


def _check_available(model_name: str, weights: str) -> bool:
    """Fail fast, naming what was tried, when the weights are neither cached nor downloadable.

    Returns whether open_clip may go online (False: everything it needs is local).
    """
    if model_name.startswith(LOCAL_DIR_PREFIX):
        formats.detect(model_name[len(LOCAL_DIR_PREFIX):])  # one message listing the formats understood
        return False
    if published.is_published(model_name):
        return published.cached_folder(model_name) is None and _hub_reachable()
    if os.path.isfile(weights):
        if not looks_like_checkpoint(weights):
            raise CheckpointError(f"MODEL.BACKBONE.WEIGHTS {weights} is not a checkpoint (its first bytes are "
                                  "neither a torch file nor safetensors); expected the open_clip weights of "
                                  f"{model_name!r} saved with torch.save or as .safetensors.")
        return False
    if weights not in ("", RANDOM_WEIGHTS) and not _hub_repo_for(model_name, weights):
        if open_clip.get_pretrained_cfg(model_name, weights):
            return True  # a tag served from a plain URL; open_clip handles it
        raise BackboneNotFoundError(
            f"Weights {weights!r} for backbone {model_name!r} are neither a file nor a known pretrained tag "
            f"(known tags: {open_clip.list_pretrained_tags_by_model(model_name)})."
        )
    target = _hub_repo_for(model_name, weights)
    if target is None:
        return False
    from huggingface_hub import try_to_load_from_cache

    repo, filename = target
    reachable = _hub_reachable()
    if reachable or isinstance(try_to_load_from_cache(repo, filename), str):
        return reachable
    from huggingface_hub import constants

    raise BackboneNotFoundError(
        f"Backbone {model_name!r} (weights {weights or 'default'!r}) needs {filename} from the Hugging Face "
        f"repo {repo!r}: it is not in the local cache ({constants.HF_HUB_CACHE}) and the hub cannot be reached. "
        "Download it on a connected machine and copy the cache folder, or set MODEL.BACKBONE.NAME to "
        "'local-dir:/path/to/folder' (a folder with open_clip_config.json and the weights), or keep the "
        "architecture name and set MODEL.BACKBONE.WEIGHTS to a checkpoint file."
    )


def weights_digest(model: nn.Module) -> str:
    """A short digest of every tensor of the model, so caches never mix two sets of weights."""
    h = hashlib.blake2b(digest_size=16)
    for key, tensor in sorted(model.state_dict().items()):
        h.update(key.encode())
        h.update(tensor.detach().to("cpu").contiguous().view(-1).view(torch.uint8).numpy())  # no copy
    return h.hexdigest()


#: the names under which torch.nn's modules call the parameter initialisers
_INIT_MODULES = ("torch.nn.init", "torch.nn.modules.activation", "torch.nn.modules.transformer")
_INITIALISERS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
                 "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
                 "sparse_")


@contextlib.contextmanager
def _skip_random_init():
    """torch.nn's initialisers do nothing inside: the random draws for weights a checkpoint then overwrites
    are over a third of building a ViT-B/16 on the CPU (benchmarks/backbone_build.py). Only for a strict
    load of a whole checkpoint (open_clip's `require_pretrained`), so no parameter keeps the uninitialised
    memory. (transformers has such a helper, but entering it imports its modeling code, about 1 s.)"""

    def keep(tensor, *args, **kwargs):
        return tensor

    saved = [(module, name, getattr(module, name)) for module in map(sys.modules.get, _INIT_MODULES) if module
             for name in _INITIALISERS if hasattr(module, name)]
    for module, name, _ in saved:
        setattr(module, name, keep)
    try:
        yield
    finally:
        for module, name, function in saved:
            setattr(module, name, function)


def _file_identity(path: str) -> tuple:
    stat = os.stat(path)
    return os.path.realpath(path), stat.st_size, stat.st_mtime_ns


def _folder_identity(folder: str) -> tuple:
    return tuple(_file_identity(os.path.join(folder, f)) for f in sorted(os.listdir(folder))
                 if os.path.isfile(os.path.join(folder, f)))


def _hub_files(model_name: str, weights: str) -> tuple:
    """The files of the local Hugging Face snapshot these settings load (its folder, as open_clip reads
    the config and the weights from it), or () when it is not in the cache."""
    target = _hub_repo_for(model_name, weights)
    if target is None:
        return ()
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(*target)
    return _folder_identity(os.path.dirname(found)) if isinstance(found, str) else ()


def build_key(name: str, weights: str = "") -> tuple | None:
    """What makes two builds of a backbone give the same model, or None when they may not: `random`
    weights are drawn from the run's own seed. The files read are named with their size and time (a hub
    model's: those of its cached snapshot, () when it is not cached yet)."""
    model_name, weights = resolve(name, weights)
    if weights == RANDOM_WEIGHTS:
        return None
    if os.path.isfile(weights):
        files = _file_identity(weights)
    elif model_name.startswith(LOCAL_DIR_PREFIX):
        folder = model_name[len(LOCAL_DIR_PREFIX):]
        if not os.path.isdir(folder):
            return None
        files = _folder_identity(folder)
    elif published.is_published(model_name):
        folder = published.cached_folder(model_name)
        files = _folder_identity(folder) if folder else ()
    else:
        files = _hub_files(model_name, weights)
    return model_name, weights, files


DIGESTS = "backbone_digests"


def _digest_with_cache(model: nn.Module, key: tuple | None, cache_dir: str | os.PathLike | None) -> str:
    """weights_digest(model), read from `cache_dir` when these files were hashed before: hashing is a
    second of a ViT-B/16's build and seconds of a ViT-L/14's. Keyed by the files' paths, sizes and times,
    as the image features are; nothing is kept without files (random weights, a hub model not cached)."""
    if cache_dir is None or key is None or not key[2]:
        return weights_digest(model)
    text = json.dumps(key, sort_keys=True, default=str)
    path = os.path.join(cache_dir, DIGESTS, hashlib.sha256(text.encode()).hexdigest()[:32] + ".json")
    try:
        with open(path, encoding="utf-8") as handle:
            entry = json.load(handle)
        if entry.get("key") == text and isinstance(entry.get("digest"), str):
            print(f"Reused the weights digest of {key[0]} from {path}")
            return entry["digest"]
    except (OSError, ValueError):
        pass
    digest = weights_digest(model)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_json(path, {"key": text, "digest": digest})
    return digest


#: backbones a warm interpreter built before forking the runs that use them (medprompt/sweep/warm.py)
_PREBUILT: dict[tuple, Backbone] = {}


def prebuild(name: str, weights: str = "", digest_cache: str | os.PathLike | None = None) -> float | None:
    """Build a backbone here for the runs forked from this process afterwards (each takes it once,
    :func:`load_backbone`); seconds taken, or None when it cannot be shared (:func:`build_key`). Only one
    is kept: another one replaces it."""
    key = build_key(name, weights)
    if key is None:
        return None
    if key not in _PREBUILT:
        _PREBUILT.clear()
        start = time.perf_counter()
        backbone = load_backbone(name, weights, digest_cache=digest_cache)
        backbone.prebuilt_seconds = round(time.perf_counter() - start, 2)
        _PREBUILT[key] = backbone
    return _PREBUILT[key].prebuilt_seconds


def _unknown_name(name: str) -> str:
    return (f"Unknown backbone {name!r}: not an open_clip model name (open_clip.list_models()), not an alias "
            f"({sorted(ALIASES)}) or a published short name ({published.SHORT_NAMES}), and no 'hf-hub:' or "
            "'local-dir:' prefix.")


def load_backbone(name: str, weights: str = "", device: str | torch.device = "cpu",
                  digest_cache: str | os.PathLike | None = None) -> Backbone:
    """Build the open_clip model, its tokenizer and its test-time preprocessing, frozen and in eval mode
    (or take the one this process's warm parent built for it, :func:`prebuild`). `digest_cache`: a folder
    that keeps the weights digest of checkpoint files hashed before (:func:`_digest_with_cache`)."""
    if _PREBUILT:
        key = build_key(name, weights)
        if key in _PREBUILT:  # a forked run's own copy: taken once, so a second load builds anew
            backbone = _PREBUILT.pop(key)
            backbone.model.to(device)
            return backbone
    model_name, weights = resolve(name, weights)
    online = _check_available(model_name, weights)
    if published.is_published(model_name):
        model_name = LOCAL_DIR_PREFIX + published.local_folder(model_name, online)
    folder_format = formats.detect(model_name[len(LOCAL_DIR_PREFIX):]) if model_name.startswith(
        LOCAL_DIR_PREFIX) else None
    if folder_format is not None and folder_format.load is not None and weights not in ("", RANDOM_WEIGHTS):
        raise BackboneNotFoundError(f"Backbone {name!r} is a {folder_format.name} folder: its weights are its own "
                                    f"files; set MODEL.BACKBONE.WEIGHTS to '' or 'random', not {weights!r}")
    has_schema = model_name.startswith((HF_HUB_PREFIX, LOCAL_DIR_PREFIX))
    pretrained = None if has_schema or weights in ("", RANDOM_WEIGHTS) else weights
    if weights == RANDOM_WEIGHTS:
        # architecture only: no CLIP weights and no base weights for HF text towers either
        kwargs, initialise = {"load_weights": False, "pretrained_text": False}, contextlib.nullcontext()
    elif not has_schema and open_clip.get_model_config(model_name) is None:
        raise BackboneNotFoundError(_unknown_name(name))
    elif not has_schema and not weights:
        raise BackboneNotFoundError(
            f"Backbone {model_name!r} has no weights: set MODEL.BACKBONE.WEIGHTS to a pretrained tag "
            f"({open_clip.list_pretrained_tags_by_model(model_name)}), a checkpoint file, or 'random'."
        )
    else:  # the whole checkpoint is loaded strictly, or open_clip raises: no initial value survives
        kwargs, initialise = {"require_pretrained": True}, _skip_random_init()
    package_config = package_tower_config(model_name) if folder_format is None or folder_format.load is None else None
    # Loaded weights leave the caller's torch random state as it was, however the model is built (here with
    # or without initialisers, or by a warm parent before the fork): a run's seed then draws the same
    # prompts and batches either way. Random weights are drawn from it, as the run's seed wants.
    keep_rng = contextlib.nullcontext() if weights == RANDOM_WEIGHTS else torch.random.fork_rng(devices=[])
    try:
        with keep_rng:
            if folder_format is not None and folder_format.load is not None:
                with stdout_with_isatty(), initialise:
                    model, tokenizer, preprocess = folder_format.load(model_name[len(LOCAL_DIR_PREFIX):],
                                                                      weights == RANDOM_WEIGHTS)
            elif package_config is not None:
                model, tokenizer, preprocess = load_package_tower(
                    model_name[len(LOCAL_DIR_PREFIX):], package_config, weights == RANDOM_WEIGHTS)
            else:
                with contextlib.nullcontext() if online else _hub_offline(), stdout_with_isatty(), initialise:
                    model, _, preprocess = open_clip.create_model_and_transforms(
                        model_name, pretrained=pretrained, **kwargs)
                    tokenizer = open_clip.get_tokenizer(model_name)
    except RuntimeError as err:
        if "not found in built-ins" in str(err):
            raise BackboneNotFoundError(_unknown_name(name)) from err
        if "Required pretrained weights" in str(err):
            raise BackboneNotFoundError(
                f"Backbone {name!r} (weights {weights or 'default'!r}): open_clip found no checkpoint to load "
                f"({err}). A 'local-dir:' folder needs open_clip_pytorch_model.bin or .safetensors beside its "
                f"{HF_CONFIG_FILE}; set MODEL.BACKBONE.WEIGHTS to a checkpoint file, or to 'random' for the "
                "architecture alone."
            ) from err
        raise
    model.eval().requires_grad_(False)
    digest = _digest_with_cache(model, build_key(name, weights), digest_cache)
    return Backbone(model.to(device), tokenizer, preprocess, name, weights or "default", digest)
