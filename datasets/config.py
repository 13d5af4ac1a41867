"""DATASET.* config keys of the medical dataset plug-in, and INPUT.DECODE.* (how image files are read,
medprompt/data/decode.py), added to a Dassl (yacs) config.

Called by train.py after Dassl's defaults; keys that are already present (from another module or an
earlier call) keep their values, so calling it twice or after a trainer's own extension is harmless.
"""

from __future__ import annotations

from yacs.config import CfgNode

from medprompt.data.decode import DECODE_DEFAULTS

DATASET_DEFAULTS = {
    "SUBSAMPLE_CLASSES": "all",  # all | base | new (base-to-new protocol)
    "SPLIT_FILE": "",  # explicit split file; absolute or relative to <root>/<dataset folder>/
    "REQUIRE_TRAIN_IMAGES": True,  # False: training images may be absent (text-only trainers)
    "VERIFY_IMAGES": True,  # decode each used image's header once when the dataset loads
    "SPLIT_TRAIN_RATIO": 0.7,  # ratios and seed for a split built from class folders
    "SPLIT_VAL_RATIO": 0.15,
    "SPLIT_SEED": 1,
}


def add_dataset_config(cfg: CfgNode) -> CfgNode:
    """Add every missing DATASET.* and INPUT.DECODE.* key of the dataset plug-in to `cfg` (in place; also returned)."""
    frozen = cfg.is_frozen()
    cfg.defrost()
    if "DATASET" not in cfg:
        cfg.DATASET = CfgNode()
    if "INPUT" not in cfg:
        cfg.INPUT = CfgNode()
    if "DECODE" not in cfg.INPUT:
        cfg.INPUT.DECODE = CfgNode()
    for node, defaults in ((cfg.DATASET, DATASET_DEFAULTS), (cfg.INPUT.DECODE, DECODE_DEFAULTS)):
        for key, value in defaults.items():
            if key not in node:
                setattr(node, key, list(value) if isinstance(value, list) else value)
    if frozen:
        cfg.freeze()
    return cfg
