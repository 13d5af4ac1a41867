"""Where the project's own files are: the one definition every module that reads them uses."""

from __future__ import annotations

import os
from pathlib import Path

from medprompt.utils.path_checks import refuse_file

#: The project's folder (the checkout, or the source tree of an editable install).
REPO = Path(__file__).resolve().parents[2]
#: The layered yaml configs (datasets, backbones, methods, LLM question sets).
CONFIGS = REPO / "configs"
#: The shipped LLM descriptions, one JSON per dataset.
DESCRIPTIONS = REPO / "llm_descriptions"
#: Shipped backbones (the synthetic world's tiny CLIP).
BACKBONES = REPO / "backbones"


def cache_root(setting: str) -> Path | None:
    """The folder a MODEL.CACHE_DIR setting names: None for "none" (no cache), else the setting, else
    $MEDPROMPT_CACHE, else ~/.cache/medprompt. The environment is read at each call: a run forked from a
    warm interpreter has its own."""
    if setting == "none":
        return None
    root = Path(setting or os.environ.get("MEDPROMPT_CACHE") or Path.home() / ".cache" / "medprompt")
    source = "MODEL.CACHE_DIR" if setting else "$MEDPROMPT_CACHE" if os.environ.get("MEDPROMPT_CACHE") else "the cache"
    refuse_file(root, source, "give a folder path, or MODEL.CACHE_DIR none")
    return root
