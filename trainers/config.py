"""Config keys shared by every trainer of the project (each trainer module adds its own).

MODEL.BACKBONE.NAME is Dassl's own key; the project reads it as an open_clip name or alias
(medprompt/clip/backbones.py) and adds MODEL.BACKBONE.WEIGHTS beside it.
"""

from __future__ import annotations

from dassl.data.datasets import DATASET_REGISTRY
from dassl.engine import TRAINER_REGISTRY
from yacs.config import CfgNode as CN

from medprompt.utils.errors import ConfigError
from medprompt.run.config_checks import check_trainer_config
from medprompt.utils.suggest import closest


def add_common_config(cfg: CN) -> None:
    cfg.MODEL.BACKBONE.NAME = "vit-b16"
    cfg.MODEL.BACKBONE.WEIGHTS = ""  # pretrained tag, checkpoint file, "random", or "" (the name's own)
    cfg.MODEL.PRECISION = "fp32"  # fp32 | fp16 | bf16: autocast on CUDA; the CPU always runs fp32
    cfg.MODEL.CACHE_DIR = ""  # feature cache; "" = $MEDPROMPT_CACHE or ~/.cache/medprompt; "none" = off
    # True: text runs over the tokenizer's full context (77 tokens) instead of the longest prompt; same
    # features, the published code's cost. With CACHE_DIR "none" it is the published way (benchmarks/sweep.py)
    cfg.MODEL.FULL_TEXT_CONTEXT = False
    cfg.TEST.EVALUATOR = "MedicalClassification"
    # True: the publisher's settings for the run's method, dataset, protocol and backbone (configs/published/,
    # medprompt/run/published.py) are merged after the method layers; False (train.py --generic): generic ones
    cfg.PUBLISHED_SETTINGS = True
    # heads on frozen features (trainers/cached.py): train on this many augmented views of each training image,
    # each cached per (images, transform, AUGMENT_SEED, view); 0 = one test-time view
    cfg.MODEL.AUGMENTED_VIEWS = 0
    cfg.MODEL.AUGMENT_SEED = 0




def check_config(cfg: CN) -> list[str]:
    """Refuse settings no run can use (ConfigError naming the key); return warnings about settings that
    run but are probably not what was meant."""
    for key, value, registry in (("TRAINER.NAME (--trainer)", cfg.TRAINER.NAME, TRAINER_REGISTRY),
                                 ("DATASET.NAME (the dataset config file)", cfg.DATASET.NAME, DATASET_REGISTRY)):
        known = registry.registered_names()
        if value not in known:
            close = closest(str(value), known, n=3, cutoff=0.6, normalise=str)  # difflib's defaults
            raise ConfigError(f"{key} {value!r} is not a registered name; closest: {close or 'none'}; "
                              f"all: {', '.join(sorted(known))}")
    check_trainer_config(cfg)  # every key of the trainer in its range or form (medprompt/run/config_checks.py)
    notes = []
    optim = cfg.OPTIM
    if optim.WARMUP_EPOCH > 0 and 0 < optim.MAX_EPOCH <= optim.WARMUP_EPOCH:
        notes.append(f"OPTIM.MAX_EPOCH ({optim.MAX_EPOCH}) <= OPTIM.WARMUP_EPOCH ({optim.WARMUP_EPOCH}): the whole "
                     "run stays in the warm-up (OPTIM.WARMUP_TYPE, WARMUP_CONS_LR) and never reaches OPTIM.LR; "
                     "lower WARMUP_EPOCH or raise MAX_EPOCH")
    return notes
