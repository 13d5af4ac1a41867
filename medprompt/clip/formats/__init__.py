"""The publishers' file formats a `local-dir:` backbone folder may hold, recognised by their files.

open_clip's own folder (``open_clip_config.json`` + weights) is loaded by open_clip itself
(medprompt/clip/backbones.py); every other format has a module here that maps the publisher's state-dict keys
onto modules of open_clip, transformers or torchvision. A folder no format recognises gets one message
that lists them all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from medprompt.clip.package_tower import BackboneNotFoundError

#: (model, tokenizer, test-time preprocessing)
Loaded = tuple[nn.Module, Callable, Callable]


@dataclass(frozen=True)
class FolderFormat:
    name: str
    #: the files that make a folder this format, as the message lists them
    files: str
    detect: Callable[[str], bool]
    #: load(folder, random) -> Loaded; None for open_clip's own folders (open_clip loads them)
    load: Callable[[str, bool], Loaded] | None


def _open_clip_folder(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "open_clip_config.json"))


def formats() -> list[FolderFormat]:
    """Every folder format, in the order they are tried."""
    from medprompt.clip.formats import (
        flair,
        hf_clip,
        medclip,
        openai_pth,
        pmc_rn50,
        unimed,
    )

    return [
        FolderFormat("open_clip", "open_clip_config.json + open_clip_pytorch_model.bin or "
                     "open_clip_model.safetensors (BiomedCLIP, PMC-CLIP ViT-L/14, QuiltNet ...)", _open_clip_folder, None),
        hf_clip.FORMAT,
        openai_pth.FORMAT,
        unimed.FORMAT,
        pmc_rn50.FORMAT,
        medclip.FORMAT,
        flair.FORMAT,
    ]


def detect(folder: str) -> FolderFormat:
    """The format of a backbone folder, or BackboneNotFoundError listing the formats understood."""
    if not os.path.isdir(folder):
        raise BackboneNotFoundError(f"Backbone folder {folder!r} does not exist")
    for fmt in formats():
        if fmt.detect(folder):
            return fmt
    listing = "\n".join(f"  - {fmt.name}: {fmt.files}" for fmt in formats())
    present = sorted(os.listdir(folder))
    raise BackboneNotFoundError(
        f"Backbone folder {folder!r} is in no format understood (it holds {present[:12]}"
        f"{' ...' if len(present) > 12 else ''}). A 'local-dir:' folder must hold one of:\n{listing}"
    )
