"""Where the project's own files are: the one definition every module that reads them uses."""

from __future__ import annotations

from pathlib import Path

#: The project's folder (the checkout, or the source tree of an editable install).
REPO = Path(__file__).resolve().parents[2]
#: The layered yaml configs (datasets, backbones, methods, LLM question sets).
CONFIGS = REPO / "configs"
#: The shipped LLM descriptions, one JSON per dataset.
DESCRIPTIONS = REPO / "llm_descriptions"
#: Shipped backbones (the synthetic world's tiny CLIP).
BACKBONES = REPO / "backbones"
