"""A sweep's progress: a line per running run (method, dataset, shots, seed, epoch, its own eta), as the
demo shows, and an overall eta that counts the runs still to train.

A progress bar's rate, learnt from the runs that finished, misleads when fast runs (zero-shot) finish
first and slow ones (training) remain. Here each remaining run is estimated from runs of its own kind
(same trainer, config and protocol part): a running run by Dassl's eta in its log, a queued one by the
time the finished runs of its kind took, else by the running ones of its kind; a run of a kind with no
estimate yet is counted as unknown, and the line says so.
"""

from __future__ import annotations

import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from medprompt.sweep.live_lines import LiveLines, phase_of, read_tail
from medprompt.sweep.task import DONE, FAILED, RUNNING, Task, read_marker

_ETA = re.compile(r"^(?:(\d+) days?, )?(\d+):(\d\d):(\d\d)$")


def eta_seconds(text: str) -> float | None:
    """Seconds of Dassl's eta ('0:01:20', '1 day, 2:00:00'), None when it is not one."""
    match = _ETA.match(text.strip())
    if not match:
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def run_parts(task: Task, output: str | Path) -> dict[str, str]:
    """protocol, dataset, shots, trainer, config and seed of a run folder of the output layout."""
    try:
        rel = Path(task.folder).resolve().relative_to(Path(output).resolve()).parts
    except ValueError:
        rel = Path(task.folder).parts
    if len(rel) < 6:
        return {"protocol": "", "dataset": "", "shots": "", "trainer": Path(task.folder).name, "config": "", "seed": ""}
    return {"protocol": "/".join(rel[:-5]), "dataset": rel[-5], "shots": rel[-4].removeprefix("shots_"),
            "trainer": rel[-3], "config": rel[-2], "seed": rel[-1].removeprefix("seed")}


def run_label(task: Task, output: str | Path) -> str:
    """'CoOp/vit_b16  BTMRI 16 shots seed 1  base2new/train_base'."""
    p = run_parts(task, output)
    return f"{p['trainer']}/{p['config']}  {p['dataset']} {p['shots']} shots seed {p['seed']}  {p['protocol']}"


def kind_of(task: Task, output: str | Path) -> tuple[str, str, str]:
    """Runs of one kind take about as long: same trainer, config and protocol part."""
    p = run_parts(task, output)
    return p["trainer"], p["config"], p["protocol"]


def overall_eta(running: list[tuple[tuple, float, float | None]], queued: list[tuple], took: dict[tuple, list[float]],
                jobs: int) -> tuple[float, int]:
    """(seconds until every run is done, runs of unknown length) from the running runs (kind, seconds so far,
    eta or None), the queued runs' kinds, the finished runs' seconds by kind, and the runs at a time."""
    totals: dict[tuple, list[float]] = defaultdict(list)
    for kind, seconds in ((k, s) for k, values in took.items() for s in values):
        totals[kind].append(seconds)
    for kind, elapsed, eta in running:
        if eta is not None and kind not in took:
            totals[kind].append(elapsed + eta)
    mean = {kind: sum(v) / len(v) for kind, v in totals.items() if v}
    left, unknown, longest = 0.0, 0, 0.0
    for kind, elapsed, eta in running:
        rest = eta if eta is not None else (max(0.0, mean[kind] - elapsed) if kind in mean else None)
        if rest is None:
            unknown += 1
            continue
        left += rest
        longest = max(longest, rest)
    for kind in queued:
        if kind in mean:
            left += mean[kind]
        else:
            unknown += 1
    return max(longest, left / max(1, jobs)), unknown


def follow(tasks: list[Task], states: Callable[[], dict[str, tuple[str, str]]], busy: Callable[[], bool],
           output: str | Path, jobs: int, poll: float, out: TextIO = sys.stderr) -> dict[str, tuple[str, str]]:
    """Show the runs' progress until none is queued or running; returns their final states."""
    live = LiveLines(out)
    reported: set[str] = set()
    took: dict[tuple, list[float]] = defaultdict(list)
    started = time.monotonic()
    n = len(tasks)
    try:
        while True:
            found = states()
            permanent, lines, running, queued = [], {}, [], []
            for i, task in enumerate(tasks):
                state, reason = found[task.folder]
                label = f"[{i + 1:>{len(str(n))}}/{n}] {run_label(task, output)}"
                kind = kind_of(task, output)
                if state in (DONE, FAILED):
                    if task.folder not in reported:
                        reported.add(task.folder)
                        seconds = (read_marker(task) or {}).get("seconds")
                        if state == DONE and seconds is not None:
                            took[kind].append(float(seconds))
                        done = f"done in {seconds:.0f} s" if state == DONE and seconds is not None else "done"
                        permanent.append(f"{label}: {done if state == DONE else f'FAILED: {reason}'}")
                elif state == RUNNING:
                    phase = phase_of(read_tail(task.log))
                    since = time.time() - (read_marker(task) or {}).get("time", time.time())
                    eta = eta_seconds(phase.eta) if phase.max_epoch else None
                    running.append((kind, since, eta))
                    lines[task.folder] = (f"{label}: {phase.describe()} ({since:.0f} s)", phase.text, phase.max_epoch > 0)
                else:
                    queued.append(kind)
            if running or queued:
                left, unknown = overall_eta(running, queued, took, jobs)
                unknown_note = f" + {unknown} run{'s' if unknown != 1 else ''} not yet timed" if unknown else ""
                overall = (f"{len(reported)}/{n} runs finished, {len(running)} running, {len(queued)} queued; "
                           f"{time.monotonic() - started:.0f} s so far, eta {clock(left)}{unknown_note}")
                lines["_all"] = (overall, "", True)
            live.show(permanent, lines)
            if not running and not queued and not busy():
                return found
            time.sleep(poll)
    finally:
        live.close()
