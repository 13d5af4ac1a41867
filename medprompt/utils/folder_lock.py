"""One owner per run folder at a time: an exclusive `flock` on ``<run folder>/.run.lock``.

The operating system drops the lock when its owner's process ends, however it ends (a killed sweep or
train.py leaves nothing that blocks the next one), and the lock file is never removed while runs may
use it (clearing a folder keeps it), so two processes never hold locks on two different files of the
same name. The sweep's and the demo's driver hold the lock of each run for as long as it goes and pass
its token to the train.py it starts (MEDPROMPT_RUN_LOCK), which then runs under its parent's lock;
a train.py started by hand takes the lock itself and refuses a folder another process holds.

flock is advisory and per open file: two handles of one process exclude each other too, which is what
lets `is_held` ask from anywhere, the owner included. Linux and macOS; on NFS only where flock works.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from medprompt.utils.errors import UserError
from medprompt.utils.path_checks import refuse_file

LOCK_NAME = ".run.lock"
TOKEN_ENV = "MEDPROMPT_RUN_LOCK"  # set by a driver for the train.py it starts under the lock it holds


class RunFolderBusy(UserError, RuntimeError):
    """Another live process holds the run folder."""


@dataclass
class FolderLock:
    folder: Path
    fd: int | None
    token: str

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the only handle drops the flock
            self.fd = None


def lock_path(folder: str | Path) -> Path:
    return Path(folder) / LOCK_NAME


def _make_folder(folder: Path, what: str) -> None:
    refuse_file(folder, what)
    folder.mkdir(parents=True, exist_ok=True)


def owner(folder: str | Path) -> dict:
    """What the holder wrote into the lock file (pid, host, command, start time, token); {} if unreadable."""
    try:
        return json.loads(lock_path(folder).read_text() or "{}")
    except (OSError, ValueError):
        return {}


def describe(info: dict) -> str:
    if not info:
        return "another process"
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.get("time", 0)))
    return f"{info.get('what', 'a process')} (pid {info.get('pid')} on {info.get('host')}, since {since})"


def is_held(folder: str | Path) -> bool:
    """Whether a live process holds the folder's lock (this one included, through another handle)."""
    import fcntl  # POSIX only; imported where used, so that the results reader imports anywhere

    path = lock_path(folder)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def acquire(folder: str | Path, what: str, wait: bool = False,
            on_wait: Callable[[dict], None] | None = None) -> FolderLock:
    """Hold `folder` (made when missing). Busy: RunFolderBusy naming the holder, or with `wait`, call
    `on_wait(holder)` once and block until the holder ends."""
    import fcntl

    folder = Path(folder)
    _make_folder(folder, "Run folder")
    fd = os.open(lock_path(folder), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = owner(folder)
            if not wait:
                raise RunFolderBusy(f"{folder} is in use by {describe(holder)}: wait for it to end, or use "
                                    "another output folder") from None
            if on_wait is not None:
                on_wait(holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        token = uuid.uuid4().hex
        info = {"what": what, "pid": os.getpid(), "host": socket.gethostname(), "time": time.time(), "token": token}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return FolderLock(folder, fd, token)


@contextlib.contextmanager
def holding(folder: str | Path, what: str, wait: bool = False,
            on_wait: Callable[[dict], None] | None = None) -> Iterator[FolderLock]:
    lock = acquire(folder, what, wait, on_wait)
    try:
        yield lock
    finally:
        lock.release()


@contextlib.contextmanager
def hold_for_run(folder: str | Path, what: str = "train.py") -> Iterator[FolderLock | None]:
    """train.py's hold on its output folder: none needed when the driver that started it holds it and
    passed its token (MEDPROMPT_RUN_LOCK); else the lock itself, refused when another process has it."""
    if not folder:
        yield None
        return
    token = os.environ.get(TOKEN_ENV)
    if token and is_held(folder) and owner(folder).get("token") == token:
        yield None  # the parent's lock covers this run
        return
    with holding(folder, what) as lock:
        yield lock


def keep_when_clearing(path: Path) -> bool:
    """Whether clearing a run folder must keep `path` (the lock file: see the module docstring)."""
    return path.name == LOCK_NAME
