"""Config keys shared by every trainer of the project (each trainer module adds its own).

MODEL.BACKBONE.NAME is Dassl's own key; the project reads it as an open_clip name or alias
(medprompt/backbones.py) and adds MODEL.BACKBONE.WEIGHTS beside it.
"""

from __future__ import annotations

from yacs.config import CfgNode as CN


def add_common_config(cfg: CN) -> None:
    cfg.MODEL.BACKBONE.NAME = "vit-b16"
    cfg.MODEL.BACKBONE.WEIGHTS = ""  # pretrained tag, checkpoint file, "random", or "" (the name's own)
    cfg.MODEL.PRECISION = "fp32"  # fp32 | fp16 | bf16: autocast on CUDA; the CPU always runs fp32
    cfg.MODEL.CACHE_DIR = ""  # feature cache; "" = $MEDPROMPT_CACHE or ~/.cache/medprompt; "none" = off
    cfg.TEST.EVALUATOR = "MedicalClassification"
