"""One rule for turning folder-style class names into words, shared by datasets and description files."""

from __future__ import annotations

import difflib


def normalize_classname(name: str) -> str:
    """'Moderate__knee_osteoarthritis ' -> 'moderate knee osteoarthritis'.

    Underscores become spaces, runs of white space collapse, letters are lower-cased.
    """
    return " ".join(name.replace("_", " ").split()).lower()


def closest_names(name: str, candidates: list[str], n: int = 3) -> list[str]:
    """The candidates whose normalised form is closest to `name`'s, best first."""
    by_norm = {normalize_classname(c): c for c in candidates}
    hits = difflib.get_close_matches(normalize_classname(name), list(by_norm), n=n, cutoff=0.0)
    return [by_norm[h] for h in hits]
