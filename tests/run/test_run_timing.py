"""Every run ends with one line saying where its time went, and says when it reused cached features."""

from __future__ import annotations

import os
import re

import tiny_data
from e2e import needs_dassl, train

from medprompt.utils import timing
from medprompt.utils.timing import PhaseTimer, parse_summary


def test_nested_phases_are_counted_once(monkeypatch):
    clock = iter([0.0, 1.0, 3.0, 7.0, 8.0, 10.0])  # start, enter train, enter eval, leave eval, leave train, now
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(clock))
    timer = PhaseTimer()
    with timer.phase("training"):
        with timer.phase("evaluation"):
            pass
    assert timer.seconds == {"training": 3.0, "evaluation": 4.0}
    assert timer.summary() == "Time: 10.0 s total = training 3.0 s, evaluation 4.0 s, other 3.0 s"


def test_phases_follow_the_run_order_and_unknown_ones_come_last():
    timer = PhaseTimer(start=0.0)
    for name in ("evaluation", "warm-up", "imports"):
        timer.add(name, 1.0)
    assert timer.summary(now=5.0) == "Time: 5.0 s total = imports 1.0 s, evaluation 1.0 s, warm-up 1.0 s, other 2.0 s"


def test_reset_counts_from_now(monkeypatch):
    """A run forked from a warm interpreter resets the timer: nothing of the parent's time is counted."""
    timer = PhaseTimer(start=0.0)
    timer.add("imports", 4.0)
    monkeypatch.setattr(timing.time, "perf_counter", lambda: 100.0)
    timer.reset()
    assert timer.start == 100.0 and timer.seconds == {}
    assert timer.summary(now=101.0) == "Time: 1.0 s total = other 1.0 s"


TIME_LINE = re.compile(r"^Time: [\d.]+ s total = imports [\d.]+ s, backbone build [\d.]+ s, "
                       r"description encoding [\d.]+ s, training [\d.]+ s, image encoding [\d.]+ s, "
                       r"evaluation [\d.]+ s, other [\d.]+ s$", re.M)


def test_a_run_logs_its_time_split_and_its_cache_reuse(native_dir, tmp_path):
    needs_dassl()
    tiny_data.write_tiny_dataset(tmp_path / "data", "BTMRI", per_class=2)

    def run(out):
        return train(["--root", tmp_path / "data", "--seed", 1, "--trainer", "MedPromptCLIP",
                      "--dataset-config-file", "configs/datasets/BTMRI.yaml",
                      "--config", "vit_b16", "--output-dir", out],
                     ["MODEL.BACKBONE.NAME", f"local-dir:{native_dir}", "MODEL.CACHE_DIR", tmp_path / "cache",
                      "OPTIM.MAX_EPOCH", "1", "OPTIM.WARMUP_EPOCH", "0"])

    first = run(tmp_path / "first")
    assert TIME_LINE.search(first), first[-2000:]
    assert re.search(r"\*\* System info \*\*\nPython [\d.]+, torch \S+, CUDA \S+, .+, \d+ CPU threads, ", first)
    policy = os.environ.get("OMP_WAIT_POLICY", "PASSIVE")  # the caller's, else the project's
    assert re.search(rf"^CPU threads: \d+ \(.+; \d+ cores available\), OMP_WAIT_POLICY={policy}$", first, re.M)
    assert re.search(r"^Cached 8 test image features at \S+ \(reused 0\)$", first, re.M)
    assert re.search(r"^Cached \d+ text features at \S+\.pt$", first, re.M)
    assert "Reused" not in first
    second = run(tmp_path / "second")
    assert re.search(r"^Reused 8 cached test image features from \S+$", second, re.M)
    assert re.search(r"^Reused \d+ cached text features from \S+\.pt$", second, re.M)
    assert (tmp_path / "first" / "log.txt").read_text().count("Time: ") == 1  # the line is in the log file too


def test_sum_phases_adds_runs_phase_by_phase_in_the_summary_order():
    from medprompt.utils.timing import sum_phases

    first = parse_summary("Time: 3.0 s total = training 2.0 s, imports 0.5 s, other 0.5 s")
    second = parse_summary("x\nTime: 2.0 s total = imports 0.25 s, my phase 1.0 s, other 0.75 s\n")
    sums = sum_phases([first, None, second])
    assert list(sums) == ["imports", "training", "my phase", "other", "total"]
    assert sums == {"imports": 0.75, "training": 2.0, "my phase": 1.0, "other": 1.25, "total": 5.0}
    assert sum_phases([]) == {}
