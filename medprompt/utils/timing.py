"""Where a run's time went: named phases, timed exclusively (a phase nested in another is not counted
twice), summed over the process and printed as one line at the end of a run.

    with RUN_TIMER.phase("image encoding"):
        ...
    print(RUN_TIMER.summary())
    # Time: 65.2 s total = imports 5.0 s, backbone build 1.9 s, ..., other 0.4 s
"""

from __future__ import annotations

import contextlib
import re
import time
from typing import Iterable, Iterator

#: The phases a run reports, in the order of the summary line (others follow in first-use order).
PHASES = ("imports", "backbone build", "description encoding", "training", "image encoding", "evaluation")


class PhaseTimer:
    """Exclusive wall-clock time per named phase since `start`."""

    def __init__(self, start: float | None = None):
        self.start = time.perf_counter() if start is None else start
        self.seconds: dict[str, float] = {}
        self._stack: list[list] = []  # [name, entered at, seconds spent in nested phases]

    def reset(self, start: float | None = None) -> None:
        """Start again from `start` (default now) with no phase counted: a run forked from a warm
        interpreter (medprompt/sweep/warm.py) counts from its fork, not from the parent's start."""
        self.start = time.perf_counter() if start is None else start
        self.seconds.clear()
        self._stack.clear()

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        entry = [name, time.perf_counter(), 0.0]
        self._stack.append(entry)
        try:
            yield
        finally:
            self._stack.pop()
            spent = time.perf_counter() - entry[1]
            self.add(name, spent - entry[2])
            if self._stack:
                self._stack[-1][2] += spent

    def summary(self, now: float | None = None) -> str:
        """'Time: T s total = phase s, ..., other s' (other: what no phase covered)."""
        total = (time.perf_counter() if now is None else now) - self.start
        names = [p for p in PHASES if p in self.seconds] + [p for p in self.seconds if p not in PHASES]
        parts = [f"{name} {self.seconds[name]:.1f} s" for name in names]
        parts.append(f"other {max(total - sum(self.seconds.values()), 0.0):.1f} s")
        return f"Time: {total:.1f} s total = " + ", ".join(parts)


SUMMARY_LINE = re.compile(r"^Time: ([\d.]+) s total = (.*)$", re.M)


def parse_summary(text: str) -> dict[str, float] | None:
    """{phase: seconds, 'total': seconds} of the last summary line in a run's output, or None."""
    lines = SUMMARY_LINE.findall(text)
    if not lines:
        return None
    total, parts = lines[-1]
    phases = {"total": float(total)}
    for part in parts.split(", "):
        name, seconds, _unit = part.rsplit(" ", 2)
        phases[name] = float(seconds)
    return phases


def sum_phases(summaries: Iterable[dict[str, float] | None]) -> dict[str, float]:
    """Each phase, and 'total', summed over runs' parsed summary lines (None: a run without one), phases
    in the summary line's order."""
    sums: dict[str, float] = {}
    for summary in filter(None, summaries):
        for name, seconds in summary.items():
            sums[name] = sums.get(name, 0.0) + seconds
    order = [p for p in PHASES if p in sums] + [p for p in sums if p not in PHASES and p not in ("other", "total")]
    return {name: sums[name] for name in [*order, "other", "total"] if name in sums}


#: The timer of this process's run (train.py starts it before its heavy imports).
RUN_TIMER = PhaseTimer()
