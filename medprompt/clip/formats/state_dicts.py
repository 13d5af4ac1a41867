"""Reading publishers' weight files and renaming their state-dict keys, shared by the format loaders.

Each loader maps a publisher's key names onto modules built from open_clip, transformers or torchvision
and loads the result strictly, so a tensor the mapping misses or a key it does not expect is an error
naming the file, never a silently random weight.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping

import torch
from torch import Tensor, nn

from medprompt.run.checkpoints import looks_like_checkpoint
from medprompt.clip.package_tower import BackboneNotFoundError


def read_state_dict(path: str) -> dict[str, Tensor]:
    """The tensors of a weights file: safetensors, or a torch file holding a state dict, possibly inside
    ``{"state_dict": ...}`` (training checkpoints) and with DistributedDataParallel's ``module.`` prefix."""
    if not os.path.isfile(path):
        raise BackboneNotFoundError(f"Weights file {path} does not exist")
    if not looks_like_checkpoint(path):
        raise BackboneNotFoundError(f"{path} is not a weights file (neither a torch file nor safetensors)")
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        state = load_file(path, device="cpu")
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not state or not all(torch.is_tensor(v) for v in state.values()):
        raise BackboneNotFoundError(f"{path} does not hold a state dict (a mapping of names to tensors)")
    if all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def rename(state: Mapping[str, Tensor], rules: Iterable[tuple[str, str]]) -> dict[str, Tensor]:
    """Keys with the first matching prefix replaced (rules: (published prefix, our prefix)); keys no rule
    matches are kept as they are, so a strict load then names them."""
    out = {}
    for key, value in state.items():
        for old, new in rules:
            if key.startswith(old):
                key = new + key[len(old):]
                break
        out[key] = value
    return out


def drop(state: Mapping[str, Tensor], unused: Callable[[str], bool]) -> dict[str, Tensor]:
    """The state without keys the library modules no longer keep (e.g. BERT's position_ids buffer)."""
    return {k: v for k, v in state.items() if not unused(k)}


def is_position_ids(key: str) -> bool:
    """transformers keeps position_ids as a non-persistent buffer since 4.31; older files still hold it."""
    return key.endswith("embeddings.position_ids")


def load_strict(model: nn.Module, state: Mapping[str, Tensor], source: str) -> None:
    """Load every tensor of `model` from `state`, or fail naming the file and the first mismatches."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and tuple(own[k].shape) != tuple(state[k].shape)]
    if missing or unexpected or wrong:
        raise BackboneNotFoundError(
            f"{source} does not fit the model built for it: {len(missing)} tensors missing (first: {missing[:3]}), "
            f"{len(unexpected)} unexpected (first: {unexpected[:3]}), {len(wrong)} of another shape "
            f"(first: {[(k, tuple(state[k].shape), tuple(own[k].shape)) for k in wrong[:3]]})"
        )
    model.load_state_dict({k: state[k].to(own[k].dtype) for k in own}, strict=True)


def first_file(folder: str, names: Iterable[str]) -> str | None:
    """The first of `names` present in `folder`, as a path."""
    for name in names:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None
