"""Summary statistics over seeds, with the conventions of CoOp-family result tables.

The standard deviation is the population one (numpy's default, ddof=0), as CoOp's result parser
reports it, so numbers stay comparable with published tables. The 95% interval is 1.96·std/sqrt(n).
Base-to-new results report the harmonic mean HM = 2·B·N/(B+N) of base and new accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation of a non-empty sequence."""
    if not values:
        raise ValueError("mean_std: no values")
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std())


def ci95(values: Sequence[float]) -> float:
    """Half-width of the normal 95% confidence interval of the mean."""
    _, std = mean_std(values)
    return 1.96 * std / float(np.sqrt(len(values)))


def harmonic_mean(base: float, new: float) -> float:
    """HM of base and new accuracy (0 when both are 0)."""
    total = base + new
    return 0.0 if total == 0 else 2.0 * base * new / total
