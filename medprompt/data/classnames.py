"""One rule for turning folder-style class names into words, shared by datasets and description files."""

from __future__ import annotations

from medprompt.utils.suggest import closest


def normalize_classname(name: str) -> str:
    """'Moderate__knee_osteoarthritis ' -> 'moderate knee osteoarthritis'.

    Underscores become spaces, runs of white space collapse, letters are lower-cased.
    """
    return " ".join(name.replace("_", " ").split()).lower()


def closest_names(name: str, candidates: list[str], n: int = 3) -> list[str]:
    """The candidates whose normalised form is closest to `name`'s, best first."""
    return closest(name, candidates, n=n, cutoff=0.0, normalise=normalize_classname)
