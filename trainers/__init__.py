"""Dassl trainer plug-ins: importing this package registers every trainer and the evaluator.

`add_config(cfg)` adds the config keys of the project and of every trainer (train.py calls it).
"""

from trainers import evaluator  # noqa: F401  (registers MedicalClassification)
from trainers import medpromptclip, zeroshot
from trainers import cocoop, coop, kgcoop, linear_probe, maple  # baselines and stacked methods
from trainers import vip
from trainers import medpromptclip_fewshot  # MedPromptCLIP's published few-shot stage
from trainers import biomedcoop, clip_adapter, prograd, text_probe, tip_adapter  # biomedical baselines
from trainers.config import add_common_config

TRAINER_MODULES = (medpromptclip, medpromptclip_fewshot, zeroshot, vip, coop, cocoop, maple, kgcoop, linear_probe,
                   biomedcoop, prograd, clip_adapter, tip_adapter, text_probe)


def add_config(cfg):
    add_common_config(cfg)
    for module in TRAINER_MODULES:
        module.add_config(cfg)
