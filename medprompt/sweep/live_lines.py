"""One progress line per run on the terminal, read from the run's own log while it runs.

Every executor writes a run's stdout and stderr to its task log (medprompt/sweep/task.py), so a line can be
made for any executor without the run's help: the last thing the log says is the run's phase. Dassl prints
``epoch [e/E] batch [b/B] ... eta H:MM:SS`` during training (every batch when an epoch has fewer batches
than TRAIN.PRINT_FREQ); the project's trainers print "Loading backbone" and "Evaluate on the ..." first.

On a terminal the lines of the running runs are redrawn in place (ANSI cursor moves); elsewhere (a log
file, a test) a run's line is printed when its phase changes, at most every `quiet_s` seconds while it
trains, so that a captured output stays short.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

EPOCH = re.compile(r"epoch \[(\d+)/(\d+)\].*?eta (\S+)")
PHASES = (  # (text in the log, phase), the latest line that matches any of them wins
    ("Evaluate on the", "evaluating"),
    ("Finish training", "evaluating"),
    ("Zero-shot method", "evaluating"),
    ("Loading backbone", "loading the model"),
)
TAIL_BYTES = 16384  # the last lines of a log are enough to know its phase


@dataclass(frozen=True)
class Phase:
    """Where a run stands: a phase word, and its epoch and Dassl's eta while it trains."""

    text: str
    epoch: int = 0
    max_epoch: int = 0
    eta: str = ""

    def describe(self) -> str:
        if self.max_epoch:
            return f"epoch {self.epoch}/{self.max_epoch}, eta {self.eta}"
        return self.text


def read_tail(path: str | Path, size: int = TAIL_BYTES) -> str:
    """The last `size` bytes of a file as text ('' when it does not exist yet)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - size))
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def phase_of(log_text: str) -> Phase:
    """The phase of a run from the end of its log: the last epoch line or phase line, else 'starting'."""
    for line in reversed(log_text.splitlines()):
        match = EPOCH.search(line)
        if match:
            return Phase("training", int(match.group(1)), int(match.group(2)), match.group(3))
        for marker, text in PHASES:
            if marker in line:
                return Phase(text)
    return Phase("starting (imports)")


class LiveLines:
    """Permanent lines above a block of live lines (one per running run) at the bottom of the output."""

    def __init__(self, out: TextIO = sys.stdout, tty: bool | None = None, quiet_s: float = 15.0):
        self.out = out
        self.tty = out.isatty() if tty is None else tty
        self.quiet_s = quiet_s
        self._shown = 0  # live lines currently drawn (terminal)
        self._last: dict[str, tuple[str, float]] = {}  # key -> (phase word, when printed) (not a terminal)

    def _clear(self) -> None:
        if self._shown:
            self.out.write(f"\x1b[{self._shown}F\x1b[J")  # to the first live line, erase to the end
            self._shown = 0

    def show(self, permanent: list[str], live: dict[str, tuple[str, str, bool]]) -> None:
        """Print `permanent` lines once, then the live lines: {key: (line, phase word, repeat)}. Off a
        terminal a live line is printed when its phase word changes, and every `quiet_s` if `repeat`."""
        if self.tty:
            self._clear()
            for line in permanent:
                self.out.write(line + "\n")
            for line, _, _ in live.values():
                self.out.write(line + "\n")
            self._shown = len(live)
        else:
            for line in permanent:
                self.out.write(line + "\n")
            now = time.monotonic()
            for key, (line, word, repeat) in live.items():
                last = self._last.get(key)
                if last is None or last[0] != word or (repeat and now - last[1] >= self.quiet_s):
                    self.out.write(line + "\n")
                    self._last[key] = (word, now)
        self.out.flush()

    def close(self) -> None:
        if self.tty:
            self._clear()
            self.out.flush()
