"""'did you mean X?' for a name that is not one of the valid choices (difflib's closest match)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable


def closest(name: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.5,
            normalise: Callable[[str], str] = str.lower) -> list[str]:
    """The `n` choices closest to `name`, best first, compared in their `normalise`d form (case ignored
    by default) and returned as given; `cutoff` is difflib's similarity floor."""
    by_form: dict[str, str] = {}
    for choice in choices:
        by_form.setdefault(normalise(str(choice)), str(choice))
    hits = difflib.get_close_matches(normalise(str(name)), list(by_form), n=n, cutoff=cutoff)
    return [by_form[h] for h in hits]


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """' (did you mean 'X'?)' for the closest choice, or '' when none is close."""
    hits = closest(name, choices)
    return f" (did you mean {hits[0]!r}?)" if hits else ""


def unknown(kind: str, name: str, choices: Iterable[str], where: str = "") -> str:
    """'unknown trainer 'CoOP' (did you mean 'CoOp'?); valid: A, B, C' with `where` after the name."""
    choices = sorted(set(map(str, choices)))
    place = f" ({where})" if where else ""
    return f"unknown {kind} {name!r}{place}{did_you_mean(name, choices)}; valid: {', '.join(choices)}"
