"""Dassl trainer plug-ins: importing this package registers every trainer and the evaluator.

`add_config(cfg)` adds the config keys of the project and of every trainer (train.py calls it). A new
method is one line in METHODS: the module whose import registers its trainer and whose `add_config`
declares its keys (CONTRIBUTING.md).
"""

import importlib

from trainers import evaluator  # noqa: F401  (registers MedicalClassification)
from trainers.config import add_common_config

METHODS = (
    "medpromptclip",
    "medpromptclip_fewshot",  # MedPromptCLIP's published few-shot stage
    "zeroshot",
    "vip",
    "coop",  # with the stacked MedPromptCLIP_CoOp
    "cocoop",
    "maple",  # with the stacked MedPromptCLIP_MaPLe
    "kgcoop",
    "linear_probe",
    "biomedcoop",
    "prograd",
    "clip_adapter",
    "tip_adapter",
    "text_probe",
)
TRAINER_MODULES = tuple(importlib.import_module(f"trainers.{name}") for name in METHODS)


def add_config(cfg):
    add_common_config(cfg)
    for module in TRAINER_MODULES:
        module.add_config(cfg)
