"""'did you mean X?' for a name that is not one of the valid choices (difflib's closest match)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, choices: Iterable[str], n: int = 1) -> list[str]:
    """The `n` choices closest to `name`, best first; case is ignored when comparing, kept when returned."""
    by_lower: dict[str, str] = {}
    for choice in choices:
        by_lower.setdefault(str(choice).lower(), str(choice))
    hits = difflib.get_close_matches(str(name).lower(), list(by_lower), n=n, cutoff=0.5)
    return [by_lower[h] for h in hits]


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """' (did you mean 'X'?)' for the closest choice, or '' when none is close."""
    hits = closest(name, choices)
    return f" (did you mean {hits[0]!r}?)" if hits else ""


def unknown(kind: str, name: str, choices: Iterable[str], where: str = "") -> str:
    """'unknown trainer 'CoOP' (did you mean 'CoOp'?); valid: A, B, C' with `where` after the name."""
    choices = sorted(set(map(str, choices)))
    place = f" ({where})" if where else ""
    return f"unknown {kind} {name!r}{place}{did_you_mean(name, choices)}; valid: {', '.join(choices)}"
