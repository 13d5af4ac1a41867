"""Config keys that take one of a few words, with their words: checked on the command line before the
heavy imports (medprompt/run/precheck.py) and by the code that reads them.

Dassl's own lists are written out here so that reading them does not import Dassl (which imports torch);
tests/run/test_precheck.py compares them with the installed Dassl's and the project's.
"""

from __future__ import annotations

#: MODEL.PRECISION (trainers/config.py)
PRECISIONS = ("fp32", "fp16", "bf16")
#: TRAINER.<METHOD>.CLASS_TOKEN_POSITION: where the class name sits among the context vectors, as in CoOp
#: (KaiyangZhou/CoOp, trainers/coop.py, PromptLearner.forward, commit ff61507)
CLASS_TOKEN_POSITIONS = ("end", "middle", "front")
#: TRAINER.MEDPROMPTCLIP.LOSS and TRAINER.STACKING.TEXT_LOSS (medprompt/methods/medpromptclip.py)
TEXT_LOSSES = ("mse", "l1", "centered", "contrastive")
#: TRAINER.ZEROSHOT.AGGREGATION (trainers/zeroshot.py)
AGGREGATIONS = ("cupl", "dclip", "attributes")
#: OPTIM.NAME: Dassl's AVAI_OPTIMS (Dassl.pytorch v0.6.3, dassl/optim/optimizer.py)
OPTIMIZERS = ("adam", "amsgrad", "sgd", "rmsprop", "radam", "adamw")
#: OPTIM.LR_SCHEDULER (medprompt/run/schedule.py, the same words as Dassl's AVAI_SCHEDS)
SCHEDULES = ("cosine", "single_step", "multi_step")
#: OPTIM.WARMUP_TYPE (medprompt/run/schedule.py)
WARMUP_TYPES = ("constant", "linear")

#: key -> its words; a key ending in '.*' is any key below that node with the name after the last dot
ENUMERATED: dict[str, tuple[str, ...]] = {
    "MODEL.PRECISION": PRECISIONS,
    "OPTIM.NAME": OPTIMIZERS,
    "OPTIM.LR_SCHEDULER": SCHEDULES,
    "OPTIM.WARMUP_TYPE": WARMUP_TYPES,
    "TRAINER.*.CLASS_TOKEN_POSITION": CLASS_TOKEN_POSITIONS,
    "TRAINER.MEDPROMPTCLIP.LOSS": TEXT_LOSSES,
    "TRAINER.STACKING.TEXT_LOSS": TEXT_LOSSES,
    "TRAINER.ZEROSHOT.AGGREGATION": AGGREGATIONS,
}


def choices_of(key: str) -> tuple[str, ...] | None:
    """The words `key` takes, or None when it is not an enumerated key."""
    if key in ENUMERATED:
        return ENUMERATED[key]
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "TRAINER":
        return ENUMERATED.get(f"TRAINER.*.{parts[2]}")
    return None
