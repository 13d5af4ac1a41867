"""Learning-rate schedules from Dassl's OPTIM.* keys, built on torch's own LambdaLR.

Stock Dassl's warm-up wrapper passes an argument that current torch no longer accepts, and every
CoOp-family config uses warm-up, so the schedule is rebuilt here with the same meaning: WARMUP_EPOCH
epochs at a constant WARMUP_CONS_LR (or linear from WARMUP_MIN_LR), then the main schedule (cosine over
MAX_EPOCH, single_step or multi_step), counted from the end of warm-up when WARMUP_RECOUNT is set.
The scheduler is stepped once per epoch.
"""

from __future__ import annotations

import bisect
import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from medprompt.utils.errors import ConfigError

SCHEDULES = ("cosine", "single_step", "multi_step")


def lr_factor(epoch: int, optim_cfg, base_lr: float) -> float:
    """The multiple of the base learning rate used during `epoch` (0-based)."""
    warmup = max(int(optim_cfg.WARMUP_EPOCH), 0)
    if epoch < warmup:
        if optim_cfg.WARMUP_TYPE == "constant":
            return optim_cfg.WARMUP_CONS_LR / base_lr
        if optim_cfg.WARMUP_TYPE == "linear":
            return optim_cfg.WARMUP_MIN_LR / base_lr if epoch == 0 else epoch / warmup
        raise ConfigError(f"OPTIM.WARMUP_TYPE must be 'constant' or 'linear', got {optim_cfg.WARMUP_TYPE!r}")
    t = epoch - warmup if optim_cfg.WARMUP_RECOUNT else epoch
    name, max_epoch = optim_cfg.LR_SCHEDULER, optim_cfg.MAX_EPOCH
    if name == "cosine":
        return 0.5 * (1 + math.cos(math.pi * t / max(max_epoch, 1)))
    steps = list(optim_cfg.STEPSIZE) if isinstance(optim_cfg.STEPSIZE, (list, tuple)) else [optim_cfg.STEPSIZE]
    if name == "single_step":
        size = steps[-1] if steps[-1] > 0 else max_epoch
        return optim_cfg.GAMMA ** (t // size)
    if name == "multi_step":
        return optim_cfg.GAMMA ** bisect.bisect_right(sorted(steps), t)
    raise ConfigError(f"OPTIM.LR_SCHEDULER must be one of {SCHEDULES}, got {name!r}")


def build_lr_scheduler(optimizer: Optimizer, optim_cfg) -> LambdaLR:
    """A per-epoch scheduler honouring OPTIM.LR_SCHEDULER, MAX_EPOCH, STEPSIZE, GAMMA and WARMUP_*."""
    base_lr = optim_cfg.LR
    lr_factor(0, optim_cfg, base_lr)  # fail now, not after the first epoch, on a bad key
    return LambdaLR(optimizer, lambda epoch: lr_factor(epoch, optim_cfg, base_lr))
