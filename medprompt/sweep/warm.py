"""Runs of an entry-point script forked from one warm interpreter.

A fresh ``python train.py`` spends seconds importing torch, open_clip, Dassl and the project before it does
anything, and a sweep of many short runs pays that for every run. Here one interpreter imports them once
(:func:`preload`) and forks a child per run (:func:`run_forked`): the child runs the script as
``__main__`` (runpy) with the run's argv and environment, its stdout and stderr going to the run's log, and
ends with the script's exit status, as a fresh process would.

The parent imports, and builds on the CPU the backbone a train.py run is about to load
(:func:`prebuild_backbone`), so that the runs forked after it take that model instead of building it again
(a checkpoint's load, digest and model construction: seconds per run). It works with one torch thread:
torch must not have run parallel (OpenMP) work before a fork, or a child can hang in the copied thread
pool; and CUDA is never initialised there, so each child still picks its device with CUDA_VISIBLE_DEVICES.
What a fresh process would have of its own is renewed in the child: the run timer counts from the fork (so
the run's "imports" phase is about 0), Python's and numpy's global RNGs are seeded anew, and the thread
count a fresh process would choose (medprompt/utils/threads.py) becomes torch.set_num_threads.

The sweep's local executor does not fork itself (its job threads and progress bar may hold a lock at the
moment of a fork, which the child would inherit held): each job slot talks to its own server process,
``python -m medprompt.sweep.warm``, one JSON line per run (:class:`WarmServer`). tests/entry_cases.py forks
with :func:`run_forked` directly.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Sequence

from medprompt.utils.paths import REPO


def preload() -> None:
    """Import what every run imports. A missing Dassl is left for the run to report, as it would."""
    from medprompt.utils import threads

    threads.prepare_environment()  # as train.py does: OpenMP reads it once, when torch loads
    import open_clip  # noqa: F401
    import torch

    torch.set_num_threads(1)  # no OpenMP thread pool before a fork (see the module docstring)
    import medprompt.utils.timing  # noqa: F401
    try:
        import dassl.engine  # noqa: F401

        import datasets  # noqa: F401
        import trainers  # noqa: F401
        import trainers.launch  # noqa: F401  (its setup_cfg tells prebuild_backbone what a run loads)
    except ImportError:
        pass


def _reload_hub_settings() -> None:
    """huggingface_hub reads its folders and offline flag from the environment once, at import."""
    if "huggingface_hub.constants" in sys.modules:
        import importlib

        importlib.reload(sys.modules["huggingface_hub.constants"])


@contextlib.contextmanager
def _environment(env: dict[str, str]):
    saved = dict(os.environ)
    os.environ.update(env)
    _reload_hub_settings()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        _reload_hub_settings()


def prebuild_backbone(script: str, args: Sequence[str], env: dict[str, str]) -> None:
    """Build here, in the run's environment, the backbone the train.py run `args` will load
    (medprompt.clip.backbones.prebuild; not for `random` weights, which the run's seed draws). Whatever fails
    here (a mistyped option, a missing backbone) is left for the run to meet and report in its own log."""
    if Path(script).name != "train.py" or "trainers.launch" not in sys.modules:
        return
    from medprompt.clip.backbones import prebuild
    from medprompt.utils.paths import cache_root
    from medprompt.run.train_args import build_parser
    from trainers.launch import setup_cfg

    quiet = io.StringIO()
    try:
        with _environment(env), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            cfg = setup_cfg(build_parser().parse_args(list(args)))
            prebuild(cfg.MODEL.BACKBONE.NAME, cfg.MODEL.BACKBONE.WEIGHTS, cache_root(cfg.MODEL.CACHE_DIR))
    except (Exception, SystemExit):  # noqa: BLE001  (the run reports it)
        pass


def _fresh_process_state(env: dict[str, str]) -> None:
    """What a fresh interpreter would have of its own (see the module docstring)."""
    import random

    from medprompt.utils import threads
    from medprompt.utils.errors import ConfigError
    from medprompt.utils.timing import RUN_TIMER

    RUN_TIMER.reset()
    _reload_hub_settings()
    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    if "torch" in sys.modules:
        try:
            sys.modules["torch"].set_num_threads(threads.choose_threads(env)[0])
        except ConfigError:
            pass  # a bad OMP_NUM_THREADS: train.py says so (threads.apply)


def _child(script: str, args: Sequence[str], env: dict[str, str], out_path: str, append: bool,
           close: Sequence[int]) -> None:
    status = 1
    try:
        for fd in close:
            os.close(fd)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        out = os.open(out_path, flags, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        # print() goes to fds 1 and 2 whatever the parent had made of sys.stdout (a test's capture)
        sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
        sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
        os.environ.update(env)
        _fresh_process_state(os.environ)
        os.chdir(REPO)
        sys.argv = [script, *map(str, args)]
        status = 0
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as exc:
            if exc.code is None:
                status = 0
            elif isinstance(exc.code, int):
                status = exc.code
            else:
                print(exc.code, file=sys.stderr)
                status = 1
        except BaseException:  # noqa: BLE001  (what the interpreter does with an uncaught exception)
            traceback.print_exc()
            status = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)


def run_forked(script: str | Path, args: Sequence[str], env: dict[str, str], out_path: str | Path,
               append: bool = False, close: Sequence[int] = ()) -> int:
    """Run `script` as __main__ in a forked child with `args` and `env` added, stdout and stderr to
    `out_path` (appended to with `append`); the child's exit status. `close`: descriptors the child must
    not keep (the parent's own pipes)."""
    sys.stdout.flush()  # else the child would write the parent's buffered output into the run's log
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(str(script), list(args), dict(env), str(out_path), append, close)
    _, wait_status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(wait_status)


# -- the server a job slot talks to -------------------------------------------------------------------
def text_only_trainers(names: Sequence[str]) -> dict:
    """{"text_only": {name: bool}} for registered trainers, else {"unknown": name, "registered": [...]}."""
    from dassl.engine import TRAINER_REGISTRY

    import trainers  # noqa: F401  (registers the project's trainers)

    registered = TRAINER_REGISTRY.registered_names()
    for name in names:
        if name not in registered:
            return {"unknown": name, "registered": sorted(registered)}
    return {"text_only": {n: bool(getattr(TRAINER_REGISTRY.get(n), "TEXT_ONLY", False)) for n in names}}


def serve() -> None:
    """Read {"script", "args", "env", "log"} lines on stdin, run each forked (appending to its log),
    answer {"status": code} on stdout (a train.py run's backbone is built here first, :func:`prebuild_backbone`);
    a {"text_only": [trainers]} line is answered by
    :func:`text_only_trainers` (the sweep asks here rather than import Dassl a second time). Preload
    first, then say {"ready": pid}."""
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # a stray print of an import goes to stderr, not into the replies
    preload()
    replies.write(json.dumps({"ready": os.getpid()}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        if "text_only" in request:
            replies.write(json.dumps(text_only_trainers(request["text_only"])) + "\n")
            continue
        prebuild_backbone(request["script"], request["args"], request["env"])
        status = run_forked(request["script"], request["args"], request["env"], request["log"], append=True,
                            close=(replies.fileno(),))
        replies.write(json.dumps({"status": status}) + "\n")
    replies.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # nothing left to do: skip the interpreter's seconds of tearing down torch


class WarmServer:
    """Client of one server process: `run` a `python script.py ...` command forked from it; any other
    command (another interpreter, `python -c`) runs as a fresh subprocess. `start` only launches the
    server (it imports in the background); the first request waits until it is ready. A server that dies
    is started again for the next run; the run it was serving fails with a line in its log saying so."""

    def __init__(self, python: str = sys.executable):
        self.python = python
        self.proc: subprocess.Popen | None = None
        self.ready = False

    def handles(self, command: Sequence[str]) -> bool:
        return len(command) >= 2 and command[0] == self.python and command[1].endswith(".py") \
            and Path(command[1]).is_file()

    def start(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen([self.python, "-m", "medprompt.sweep.warm"], cwd=REPO, text=True,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            self.ready = False

    def ask(self, request: dict) -> dict:
        """The server's answer to one request (starting it, and waiting until it has imported, if need be)."""
        self.start()
        proc = self.proc
        if not self.ready:
            if not proc.stdout.readline():
                self.proc = None
                raise OSError(f"the warm interpreter exited with status {proc.wait()} while importing")
            self.ready = True
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        reply = proc.stdout.readline()
        if not reply:
            self.proc = None
            raise OSError(f"the warm interpreter exited with status {proc.wait()}")
        return json.loads(reply)

    def run(self, command: Sequence[str], env: dict[str, str], log: str | Path) -> int:
        """Exit status of `command` run with `env` added, its output appended to `log`."""
        if not self.handles(command):
            return cold_launch(command, env, log)
        try:
            return int(self.ask({"script": command[1], "args": list(command[2:]), "env": env, "log": str(log)})
                       ["status"])
        except (OSError, ValueError, KeyError) as error:
            self.proc = None
            with open(log, "a", encoding="utf-8") as out:
                out.write(f"\nThe sweep could not run this in its warm interpreter: {error}\n")
            return 1

    def close(self) -> None:
        """End the server: at once when it is still importing, else when its run (if any) is over."""
        if self.proc is not None and self.proc.poll() is None:
            if not self.ready:
                self.proc.terminate()
            self.proc.stdin.close()
            self.proc.wait()
        self.proc = None


def cold_launch(command: Sequence[str], env: dict[str, str], log: str | Path) -> int:
    """Exit status of `command` as a fresh process with `env` added, its output appended to `log`."""
    with open(log, "a", encoding="utf-8") as out:
        return subprocess.call(list(command), stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                               env={**os.environ, **env})


if __name__ == "__main__":
    serve()
