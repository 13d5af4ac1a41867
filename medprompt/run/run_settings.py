"""Refuse to file a run under another run's settings.

Re-running train.py into an output folder that holds a finished run (or an unfinished one with a
checkpoint to resume) continues or re-evaluates that run. When the settings differ, the result would be
filed under the wrong settings (Dassl resumes the old model while the new log records the new config), so
the run stops, naming the differing keys, unless the user asks to overwrite.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from yacs.config import CfgNode

from medprompt.results.runs import LOG_NAME, read_run
from medprompt.run.checkpoints import POINTER
from medprompt.run.config_layers import flat_keys
from medprompt.utils.errors import RunSettingsError

#: Keys that may differ between two runs of the same settings (where files live, not what is computed).
IGNORED_KEYS = frozenset({"OUTPUT_DIR", "RESUME", "DATASET.ROOT", "MODEL.CACHE_DIR", "DATALOADER.NUM_WORKERS",
                          "MODEL.FULL_TEXT_CONTEXT"})
_SHOWN = 8


def flatten(cfg: CfgNode) -> dict[str, str]:
    """'OPTIM.LR' -> '0.002': each leaf as yacs prints it in the log (so logs and configs compare)."""
    return {key: str(value) for key, value in flat_keys(cfg).items()}


def _run_files(folder: Path) -> list[Path]:
    """What a run leaves in its folder: logs, tensorboard files and learner folders with checkpoints."""
    return [p for p in sorted(folder.iterdir()) if LOG_NAME.match(p.name) or p.name == "tensorboard"
            or (p.is_dir() and (p / POINTER).is_file())]


def previous_settings(folder: str | Path) -> dict[str, str] | None:
    """The config of the run a new run in `folder` would continue: the finished run's, else, when a
    checkpoint is there to resume, the newest log's; None when there is nothing to continue."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    run = read_run(folder)
    if run.winner is not None:
        return run.winner.config or None
    resumable = any(p.is_dir() and (p / POINTER).is_file() for p in folder.iterdir())
    return (run.logs[-1].config or None) if resumable and run.logs else None


def differences(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """'KEY: old -> new' for every key both configs hold with different values."""
    return [f"{key}: {old[key]} -> {new[key]}" for key in sorted(old.keys() & new.keys())
            if key not in IGNORED_KEYS and old[key] != new[key]]


def check_output_dir(cfg: CfgNode, overwrite: bool = False) -> None:
    """Stop (RunSettingsError) when cfg.OUTPUT_DIR holds a run made with other settings; with
    `overwrite`, remove that run's logs and checkpoints instead."""
    folder = Path(cfg.OUTPUT_DIR) if cfg.OUTPUT_DIR else None
    old = previous_settings(folder) if folder else None
    if old is None:
        return
    diff = differences(old, flatten(cfg))
    if not diff:
        return
    if overwrite:
        for path in _run_files(folder):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        print(f"--overwrite: removed the earlier run in {folder} ({len(diff)} setting(s) differed)")
        return
    shown = "\n  ".join(diff[:_SHOWN]) + (f"\n  ... and {len(diff) - _SHOWN} more" if len(diff) > _SHOWN else "")
    raise RunSettingsError(
        f"{folder} holds a run made with other settings ({len(diff)} key(s) differ, earlier -> now):\n  {shown}\n"
        "Use another --output-dir, or pass --overwrite to replace the earlier run."
    )
