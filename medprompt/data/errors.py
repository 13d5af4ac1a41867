"""The one error type of the dataset layer and the way it lists offending entries.

Every bad input (missing root, missing split file, missing or unreadable images, inconsistent labels)
raises `DatasetError` with the dataset, the file, the first offending entries and how many there are,
so a user can fix the data without a debugger.
"""

from __future__ import annotations

from collections.abc import Sequence

from medprompt.utils.errors import UserError

#: How many offending entries an error message shows before summarising the rest.
SHOWN_ENTRIES = 5


class DatasetError(UserError, ValueError):
    """A dataset on disk does not match what its spec and split file promise."""


def offenders(entries: Sequence[object], shown: int = SHOWN_ENTRIES) -> str:
    """'3 entries, first 2: a; b' style summary of a list of offending entries."""
    head = "; ".join(str(e) for e in entries[:shown])
    count = len(entries)
    noun = "entry" if count == 1 else "entries"
    if count <= shown:
        return f"{count} {noun}: {head}"
    return f"{count} {noun}, first {shown}: {head}"


def dataset_error(
    dataset: str, problem: str, path: object, entries: Sequence[object] = (), hint: str = ""
) -> DatasetError:
    """Build a DatasetError reading '<dataset>: <problem> in <path>: <offenders>. <hint>'."""
    message = f"{dataset}: {problem} ({path})"
    if entries:
        message += f": {offenders(entries)}"
    if hint:
        message += f". {hint}"
    return DatasetError(message)
