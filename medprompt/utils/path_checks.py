"""Paths a user typed, checked before anything is read: a missing path names the closest entry of the
deepest folder that exists above it; a file where a folder is expected is said as such."""

from __future__ import annotations

from pathlib import Path

from medprompt.utils.errors import ConfigError, InputFileError, UserError
from medprompt.utils.suggest import closest


def refuse_file(path: str | Path, flag: str, hint: str = "give a folder path",
                error: type[UserError] = ConfigError) -> None:
    """Raise `error` '<flag> <path> is a file, not a folder: <hint>' when a folder is expected and a file
    stands there (a missing path is left to whoever creates it)."""
    if Path(path).expanduser().is_file():
        raise error(f"{flag} {path} is a file, not a folder" + (f": {hint}" if hint else ""))


def missing_path(path: str, flag: str, what: str = "path") -> str:
    """'--root /data/medcal does not exist (did you mean /data/medical?)': the closest entry of the deepest
    existing folder above it."""
    target = Path(path).expanduser()
    parent = target.parent
    while not parent.is_dir() and parent != parent.parent:
        parent = parent.parent
    entries = sorted(p.name for p in parent.iterdir()) if parent.is_dir() else []
    missing = target.relative_to(parent).parts[0] if target.is_relative_to(parent) else ""
    hits = closest(missing, entries) if missing else []
    hint = f" (did you mean {str(parent / hits[0])!r}?)" if hits else ""
    return f"{flag} {path}: no such {what}{hint}"


def check_folder(path: str, flag: str) -> None:
    if path and not Path(path).expanduser().is_dir():
        refuse_file(path, flag, hint="", error=InputFileError)
        raise InputFileError(missing_path(path, flag, "folder"))


def check_file(path: str, flag: str) -> None:
    if path and not Path(path).expanduser().is_file():
        raise InputFileError(missing_path(path, flag, "file"))
