"""Checkpoint files: written atomically, found by Dassl's layout, read with a clear error when unusable.

Layout of one learner's folder (Dassl's): ``model.pth.tar-<epoch>`` files, ``model-best.pth.tar``, and a
``checkpoint`` file naming the latest one. Between the saved epochs a run keeps one ``resume.pth.tar``,
replaced every epoch, so that a killed run resumes losing at most the epoch it was in.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import torch

from medprompt.results.output_tree import BEST_CHECKPOINT, CHECKPOINT_POINTER, EPOCH_CHECKPOINT_PREFIX, RESUME_CHECKPOINT
from medprompt.utils.atomic import write_text, write_with
from medprompt.utils.errors import CheckpointError, InputFileError

POINTER, BEST, RESUME = CHECKPOINT_POINTER, BEST_CHECKPOINT, RESUME_CHECKPOINT
EXPECTED = "a checkpoint written by train.py (torch.save of a dict holding 'state_dict')"


def epoch_name(epoch: int) -> str:
    """Dassl's file name of the checkpoint saved after `epoch` epochs."""
    return f"{EPOCH_CHECKPOINT_PREFIX}{epoch}"


def save_checkpoint(state: dict, folder: str | Path, name: str, point: bool = True) -> Path:
    """Write `state` to folder/name atomically; with `point`, make it the folder's latest checkpoint."""
    path = Path(folder) / name
    write_with(path, lambda tmp: torch.save(state, tmp))
    if point:
        write_text(Path(folder) / POINTER, f"{name}\n")
    return path


def latest_checkpoint(folder: str | Path) -> Path | None:
    """The checkpoint the folder's pointer file names, or None when there is no pointer."""
    pointer = Path(folder) / POINTER
    if not pointer.is_file():
        return None
    return Path(folder) / pointer.read_text(encoding="utf-8").strip()


def find_checkpoint(folder: str | Path, epoch: int | None = None) -> Path:
    """The checkpoint of `epoch`, else the best, else the latest one in `folder`."""
    folder = Path(folder)
    if epoch is not None:
        path = folder / epoch_name(epoch)
    elif (folder / BEST).is_file():
        path = folder / BEST
    else:
        path = latest_checkpoint(folder)
        if path is None:
            raise InputFileError(f"No checkpoint in {folder} (expected {BEST} or a '{POINTER}' file). "
                                 "Check --model-dir: it must be the --output-dir of a finished training run.")
    if not path.is_file():
        raise InputFileError(f"No checkpoint at {path}")
    return path


def looks_like_checkpoint(path: str | Path) -> bool:
    """Whether the file starts like something torch.load or safetensors can read (zip, pickle, safetensors)."""
    with open(path, "rb") as handle:
        head = handle.read(9)
    if str(path).endswith(".safetensors"):
        return len(head) == 9 and head[8:9] == b"{"
    return head.startswith(b"PK\x03\x04") or head.startswith(b"\x80")


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """A checkpoint's dict, loaded with weights_only; CheckpointError naming the file when it is not one."""
    path = Path(path)
    if not looks_like_checkpoint(path):
        raise CheckpointError(f"{path} is not a checkpoint (its first bytes are neither a torch file nor a "
                              f"pickle); expected {EXPECTED}.")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile) as err:
        raise CheckpointError(f"{path} cannot be read as a checkpoint ({str(err).splitlines()[0]}); "
                              f"expected {EXPECTED}. The file may be truncated: train again.") from err
    if not isinstance(state, dict) or "state_dict" not in state:
        raise CheckpointError(f"{path} holds {type(state).__name__}, not {EXPECTED}.")
    return state
