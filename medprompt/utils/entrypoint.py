"""One way for every command-line entry point to end: a user mistake is one message, a bug a traceback.

    if __name__ == "__main__":
        run_main(main, "train.py")

What counts as a user mistake is an explicit list, not a catch-all:
- the project's own `UserError` family (medprompt/utils/errors.py: dataset, description, backbone, checkpoint,
  config and file errors);
- yacs's complaints about a config (unknown key, wrong type, odd number of trailing options, a missing or
  malformed config file), recognised by being raised inside yacs;
- Dassl's registry refusing an unknown trainer, dataset or evaluator name.
Anything else is a bug and keeps its traceback. `MEDPROMPT_DEBUG=1` shows the traceback of user mistakes
too, for bug reports.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import NoReturn

from medprompt.utils.errors import UserError

DEBUG_ENV = "MEDPROMPT_DEBUG"
#: Exit status of a run stopped by a user mistake (argparse uses the same for bad flags).
USER_ERROR_STATUS = 2


def _frames(tb: TracebackType | None) -> list[FrameType]:
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _module(frame: FrameType) -> str:
    return frame.f_globals.get("__name__", "")


def _config_file(frames: list[FrameType]) -> str:
    """The yaml file yacs was merging when it failed, or ''."""
    for frame in frames:
        if _module(frame) == "yacs.config" and frame.f_code.co_name == "merge_from_file":
            return str(frame.f_locals.get("cfg_filename", ""))
    return ""


def _yacs_message(exc: BaseException, frames: list[FrameType]) -> str | None:
    """A readable message for a config error raised inside yacs (or by the YAML reader it calls)."""
    source = _config_file(frames)
    where = f" in config file {source}" if source else " in the command-line options"
    if isinstance(exc, FileNotFoundError):
        return f"config file not found: {exc.filename or source}. Check the path given to --config-file / " \
               "--dataset-config-file."
    if not isinstance(exc, (KeyError, ValueError, AssertionError)) and not source:
        return None
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(exc, KeyError) and str(text).startswith("Non-existent"):
        key = str(text).split(":", 1)[-1].strip()
        return f"unknown config key {key}{where}. Check its spelling (keys are case-sensitive) and that the " \
               "trainer that defines it is the one named by --trainer."
    if "odd length" in str(text):
        return f"{text}. Trailing options come in KEY VALUE pairs, e.g. OPTIM.MAX_EPOCH 10."
    if isinstance(exc, (KeyError, ValueError, AssertionError)):
        return f"bad config value{where}: {text}"
    return f"config file {source} cannot be read: {exc}"


#: Dassl's builders check a name against a registry before the lookup; the builder's module says which.
_REGISTRY_KINDS = {
    "dassl.engine.build": ("trainer", "--trainer / TRAINER.NAME"),
    "dassl.data.datasets.build": ("dataset", "DATASET.NAME (in the dataset config file)"),
    "dassl.evaluation.build": ("evaluator", "TEST.EVALUATOR"),
}


_REGISTRY_MODULES = ("dassl.utils.registry", "dassl.utils.tools")


def _registry_message(frames: list[FrameType]) -> str | None:
    """'unknown trainer X; registered: ...' for a name Dassl's registry does not hold."""
    last = frames[-1]
    if last.f_code.co_name == "check_availability":  # dassl.utils.tools, called by a builder
        name, known = last.f_locals.get("requested"), last.f_locals.get("available") or []
        kind, key = _REGISTRY_KINDS.get(_module(frames[-2]) if len(frames) > 1 else "", ("name", "the config"))
    elif last.f_code.co_name == "get":  # Registry.get
        registry = last.f_locals.get("self")
        name, known = last.f_locals.get("name"), registry.registered_names() if registry is not None else []
        kind = str(getattr(registry, "_name", "name")).lower()
        key = next((k for kd, k in _REGISTRY_KINDS.values() if kd == kind), "the config")
    else:
        return None
    return f"unknown {kind} {name!r} (set by {key}); registered: {', '.join(sorted(known))}"


def user_message(exc: BaseException) -> str | None:
    """The one message for an exception that is a user mistake; None for a bug."""
    if isinstance(exc, UserError):
        return str(exc)
    frames = _frames(exc.__traceback__)
    if not frames:
        return None
    modules = {_module(f) for f in frames}
    if "yacs.config" in modules and (_module(frames[-1]) == "yacs.config" or _config_file(frames)):
        return _yacs_message(exc, frames)
    if isinstance(exc, (KeyError, ValueError)) and _module(frames[-1]) in _REGISTRY_MODULES:
        return _registry_message(frames)
    return None


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def run_main(main: Callable[[], int | None], prog: str) -> NoReturn:
    """Call `main` and exit with its status; a user mistake ends with one line on stderr and status 2."""
    try:
        status = main()
    except Exception as exc:  # noqa: BLE001  (sorted below: user mistakes are printed, bugs re-raised)
        message = user_message(exc)
        if message is None or debug_enabled():
            raise
        sys.stdout.flush()
        print(f"{prog}: error: {message}\n(set {DEBUG_ENV}=1 to see the traceback)", file=sys.stderr)
        sys.exit(USER_ERROR_STATUS)
    sys.exit(status if isinstance(status, int) else 0)
