"""One run as a job, the same on every executor: its command, its log, and a status marker it writes.

Bookkeeping lives in ``<output>/.sweep/`` (the results reader skips dot-folders):
``logs/<run>.log`` (the run's stdout and stderr), ``runs/<run>.json`` (the marker: running / done /
failed, with the reason), ``sweep.json`` (the last sweep's runs, for ``sweep.py status``), ``jobs.json``
(SLURM job ids) and ``slurm/`` (submitit's files).

"Finished" is the results reader's verdict (a result block after "Finish training", or an eval-only
result), so a skipped run is one whose result the tables will show.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from medprompt.utils.atomic import write_json
from medprompt.results.runs import clear_unfinished, empty_folder, run_finished
from medprompt.utils import folder_lock
from medprompt.sweep.grid import RunSpec, show
from medprompt.sweep.warm import cold_launch

#: How a task's command runs: (command, extra environment, log to append to) -> exit status
Launch = Callable[[Sequence[str], dict[str, str], str], int]

STATE_DIR = ".sweep"
DONE, FAILED, RUNNING, QUEUED = "done", "failed", "running", "queued"


def state_dir(output: str | Path) -> Path:
    return Path(output) / STATE_DIR


def run_name(output: str | Path, folder: str | Path) -> str:
    """A file name for a run folder: its path below the output root, '/' -> '__'."""
    return "__".join(Path(folder).relative_to(output).parts)


@dataclass(frozen=True)
class Task:
    """What a job needs to run one RunSpec; plain strings, so it pickles and serialises to JSON."""

    folder: str
    command: list[str]
    log: str
    marker: str
    after: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    redo: bool = False

    @classmethod
    def from_spec(cls, spec: RunSpec, output: str | Path, data: str | Path, python: str, redo: bool) -> "Task":
        name = run_name(output, spec.folder)
        root = state_dir(output)
        return cls(folder=str(spec.folder), command=spec.command(data, python),
                   log=str(root / "logs" / f"{name}.log"), marker=str(root / "runs" / f"{name}.json"),
                   after=[str(p) for p in spec.after], redo=redo)

    def with_env(self, env: dict[str, str]) -> "Task":
        return Task(**{**asdict(self), "env": {**self.env, **env}})


def read_marker(task: Task) -> dict | None:
    try:
        return json.loads(Path(task.marker).read_text())
    except (OSError, ValueError):
        return None


def clear_marker(task: Task) -> None:
    Path(task.marker).unlink(missing_ok=True)


def _mark(task: Task, state: str, **extra) -> None:
    write_json(task.marker, {"state": state, "folder": task.folder, "log": task.log,
                             "host": socket.gethostname(), "pid": os.getpid(), "time": time.time(), **extra})


def run_task(task: Task, launch: Launch = cold_launch, how: str = "") -> bool:
    """Run one train.py command with its output in the task's log; True when the run finished.

    `launch` starts the command (a fresh process by default; the local executor forks it from a warm
    interpreter, medprompt/sweep/warm.py); `how`, when given, is logged under the command line.

    The run's folder is held (medprompt/utils/folder_lock.py) from before anything in it is read or cleared
    until its marker says how it ended; a folder another sweep or train.py holds is waited for, and a run
    that one finished meanwhile is not run again (unless `redo`). A run that reads another run's output
    (`after`) fails at once, naming it, when that run is not finished. An unfinished run's folder keeps its
    logs and its resumable checkpoint (everything else is cleared first), so the run resumes where it
    stopped; with `redo` the whole folder is emptied.
    """
    folder = Path(task.folder)
    with folder_lock.holding(folder, f"sweep run {show(task.command[:3])}", wait=True,
                             on_wait=lambda holder: _note_wait(task, holder)) as lock:
        finished, _ = run_finished(folder)
        if finished and not task.redo:
            _mark(task, DONE, seconds=0.0, note="finished by another sweep while this one waited")
            return True
        _mark(task, RUNNING)
        missing = [dep for dep in task.after if not run_finished(dep)[0]]
        if missing:
            _mark(task, FAILED, reason=f"needs {missing[0]}, which did not finish")
            return False
        if task.redo:
            empty_folder(folder)
        else:
            clear_unfinished(folder)
        Path(task.log).parent.mkdir(parents=True, exist_ok=True)
        started = time.time()
        with open(task.log, "w", encoding="utf-8") as log:
            log.write(f"$ {show(task.command)}\n" + (f"# {how}\n" if how else ""))
        code = launch(task.command, {**task.env, folder_lock.TOKEN_ENV: lock.token}, task.log)
        finished, why = run_finished(folder)
        if code == 0 and finished:
            _mark(task, DONE, seconds=round(time.time() - started, 1))
            return True
        _mark(task, FAILED, reason=f"exit status {code}" if code else f"exit status 0 but {why}")
        return False


def _note_wait(task: Task, holder: dict) -> None:
    print(f"{task.folder}: held by {folder_lock.describe(holder)}; waiting for it", flush=True)


def run_job(task: Task) -> str:
    """run_task for a cluster job: a failed run raises, so the scheduler sees the job fail too."""
    if not run_task(task):
        marker = read_marker(task) or {}
        raise RuntimeError(f"{task.folder}: {marker.get('reason', 'failed')}; log: {task.log}")
    return task.folder


def task_state(task: Task, job_id: str | None = None, queue: dict[str, str] | None = None) -> tuple[str, str]:
    """(state, reason) of a task from its marker, the results reader and, for cluster jobs, the queue
    (`queue` maps job ids in the scheduler's queue to their state; None when there is no queue)."""
    marker = read_marker(task)
    if marker is None and run_finished(task.folder)[0]:
        return DONE, "finished before"
    if marker and marker["state"] in (DONE, FAILED):
        return marker["state"], marker.get("reason", "")
    in_queue = queue is not None and job_id is not None and job_id in queue
    if marker and marker["state"] == RUNNING:
        if queue is not None and job_id is not None and not in_queue:
            return FAILED, f"job {job_id} ended while the run was going (time limit or killed?)"
        # a run is marked running only while its driver holds the folder; the lock ends with the driver's
        # process, even one not yet reaped (its pid still answers then)
        if marker["host"] == socket.gethostname() and not folder_lock.is_held(task.folder):
            return FAILED, "killed while running (its driver ended without saying how the run ended)"
        return RUNNING, ""
    if in_queue:
        return (RUNNING if queue[job_id] == "RUNNING" else QUEUED), ""
    if queue is not None and job_id is not None:
        return FAILED, f"job {job_id} left the queue without starting the run"
    return QUEUED, ""
