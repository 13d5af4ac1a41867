"""Find runs in an output tree and pick each seed's finished evaluation.

Layout: ``<root>/<protocol...>/<dataset>/shots_<K>/<Trainer>/<config>/seed<S>/``, defined in
:mod:`medprompt.results.output_tree` (the sweep writes what this module reads).

Dassl's logger writes ``log.txt``, or ``log.txt-<YYYY-mm-dd-HH-MM-SS>`` when ``log.txt`` already exists,
so ``log.txt`` is the oldest log of a folder and the time stamps order the rest. The last log holding a
finished evaluation wins.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from medprompt.utils.errors import FileFormatError, InputFileError
from medprompt.results.logs import LogRecord, read_log
from medprompt.utils.folder_lock import keep_when_clearing
from medprompt.results.output_tree import CHECKPOINT_POINTER, LAYOUT, RESUME_CHECKPOINT, SEED_DIR, RunKey, place

LOG_NAME = re.compile(r"^log\.txt(?:-(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}))?$")


def log_files(folder: str | Path) -> list[Path]:
    """The Dassl logs directly in `folder`, oldest first."""
    found = []
    for entry in Path(folder).iterdir():
        match = LOG_NAME.match(entry.name)
        if match and entry.is_file():
            stamp = match.group(1)
            found.append(((stamp is not None, stamp or ""), entry))
    return [path for _, path in sorted(found)]


@dataclass(frozen=True)
class SeedLogs:
    """All logs of one seed folder and the one whose evaluation counts. Finished: a log with its result,
    the last log that trained got to "Finish training", and no learner's latest checkpoint is the resume
    checkpoint of a run stopped before its last epoch."""

    folder: Path
    logs: tuple[LogRecord, ...]

    @property
    def winner(self) -> LogRecord | None:
        """The newest log with a finished evaluation."""
        done = [log for log in self.logs if log.final is not None]
        return done[-1] if done else None

    @property
    def finished(self) -> bool:
        """A finished evaluation whose checkpoints are a finished run's (:func:`checkpoint_problem`)."""
        return self.winner is not None and not checkpoint_problem(self.folder, self)

    @property
    def metrics(self) -> dict[str, float]:
        """Metrics of the finished evaluation ({} when unfinished)."""
        return dict(self.winner.final.metrics) if self.finished else {}

    @property
    def reason(self) -> str:
        """Why this seed has no finished evaluation ('' when it has one)."""
        if self.winner:
            return checkpoint_problem(self.folder, self)
        if not self.logs:
            return "no log file"
        return f"{self.logs[-1].reason} ({self.logs[-1].path.name})"


def read_run(folder: str | Path) -> SeedLogs:
    """Read every log of one seed folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: not a folder")
    return SeedLogs(folder=folder, logs=tuple(read_log(p) for p in log_files(folder)))


@dataclass(frozen=True)
class Run(RunKey):
    """One seed folder placed in the layout (its key) with its logs."""

    seed_logs: SeedLogs

    @property
    def folder(self) -> Path:
        return self.seed_logs.folder


@dataclass(frozen=True)
class TreeScan:
    """The runs found under a root, and the logs that sit outside the layout."""

    root: Path
    runs: tuple[Run, ...]
    stray_logs: tuple[Path, ...] = ()


def read_tree(root: str | Path) -> TreeScan:
    """Read every seed folder under `root` (finished or not) in the layout above."""
    root = Path(root)
    if not root.is_dir():
        raise InputFileError(f"{root}: not a folder")
    runs: list[Run] = []
    strays: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        key = place(root, here) if SEED_DIR.match(here.name) else None
        if key is not None:
            runs.append(Run(seed_logs=read_run(here), **dataclasses.asdict(key)))
            dirnames[:] = []  # checkpoints and tensorboard files live below; no runs there
            continue
        strays.extend(here / name for name in sorted(filenames) if LOG_NAME.match(name))
    if not runs:
        hint = f"; logs outside the layout: {', '.join(map(str, strays[:3]))}" if strays else ""
        raise FileFormatError(f"{root}: no seed folder in the layout {LAYOUT}{hint}")
    key = lambda r: (r.protocol, r.dataset, r.shots, r.trainer, r.config_name, r.seed)  # noqa: E731
    return TreeScan(root=root, runs=tuple(sorted(runs, key=key)), stray_logs=tuple(strays))


def run_finished(folder: str | Path) -> tuple[bool, str]:
    """(whether the seed folder holds a finished run, the reason when not; SeedLogs.finished)."""
    folder = Path(folder)
    if not folder.is_dir():
        return False, "no output folder"
    run = read_run(folder)
    return run.finished, run.reason


def checkpoint_problem(folder: Path, run: SeedLogs) -> str:
    """Why the checkpoints of a run folder are not a finished run's ('' when they are, or when it has none)."""
    trained = [log for log in run.logs if log.trained]
    if trained and not trained[-1].finished_training:
        return f"its last training stopped before 'Finish training' ({trained[-1].path.name})"
    stopped = [p.name for p in learner_folders(folder) if latest_name(p) == RESUME_CHECKPOINT]
    if stopped:
        return (f"the latest checkpoint of {', '.join(stopped)} is {RESUME_CHECKPOINT}, kept while training goes: "
                "the run stopped before its last epoch")
    return ""


def latest_name(learner: Path) -> str:
    """The file name a learner folder's 'checkpoint' pointer names ('' without a pointer)."""
    pointer = learner / CHECKPOINT_POINTER
    return pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else ""


def learner_folders(folder: Path) -> list[Path]:
    """The learner folders (each with a 'checkpoint' pointer) directly in a run folder."""
    return [p for p in sorted(folder.iterdir()) if p.is_dir() and (p / CHECKPOINT_POINTER).is_file()]


def _resumable(path: Path) -> bool:
    """A learner folder whose latest checkpoint (named by its 'checkpoint' file) is on disk."""
    pointer = path / CHECKPOINT_POINTER
    return path.is_dir() and pointer.is_file() and (path / pointer.read_text(encoding="utf-8").strip()).is_file()


def clear_unfinished(folder: str | Path) -> list[Path]:
    """In an unfinished run's folder, remove everything but its logs, its resumable checkpoints (written
    atomically every epoch) and its lock file, so that running it again resumes where it stopped; return
    what was removed."""
    folder = Path(folder)
    if not folder.is_dir() or run_finished(folder)[0]:
        return []
    removed = [p for p in sorted(folder.iterdir())
               if not LOG_NAME.match(p.name) and not _resumable(p) and not keep_when_clearing(p)]
    for path in removed:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return removed


def empty_folder(folder: str | Path) -> None:
    """Remove everything in a run folder but its lock file (which its holder keeps using)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if not keep_when_clearing(path):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
