"""benchmarks/sweep.py in a reduced form (tiny backbone, tiny tree, two repetitions), so it cannot rot: every
side finishes, every run has its time split, the sweep encodes the test images once and forks its runs
warm, the published way's emulation encodes them in every run over the full text context, and the report
gives medians and ratios of the repetitions, whose side order alternates."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from e2e import REPO, needs_dassl

from medprompt.utils.timing import PHASES

METHODS = ("ZeroshotCLIP", "MedPromptCLIP")  # one fresh process each on side (b): kept to two


def test_reduced_sweep_benchmark(native_dir, tmp_path):
    needs_dassl()
    out = tmp_path / "bench"
    cmd = [sys.executable, "-m", "benchmarks.sweep", "--out", str(out), "--seeds", "1", "--methods", *METHODS,
           "--jobs", "1", "2", "--repeats", "2", "--weights", "none", "--test-images", "10", "--val-images", "5", "--train-images", "5",
           "--image-size", "32", "--",
           "MODEL.BACKBONE.NAME", f"local-dir:{native_dir}", "INPUT.SIZE", "(32,32)",
           "OPTIM.MAX_EPOCH", "1", "OPTIM.WARMUP_EPOCH", "0", "DATALOADER.NUM_WORKERS", "0"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((out / "sweep_benchmark.json").read_text())
    labels = ["sweep --jobs 1", "sweep --jobs 2", "published way"]
    assert result["labels"] == labels
    assert [rep["order"] for rep in result["repetitions"]] == [labels, labels[::-1]]
    for label in labels:
        seconds = [rep["sides"][label]["seconds"] for rep in result["repetitions"]]
        assert result["summary"][label] == {"seconds": seconds, "median": round(statistics.median(seconds), 2)}
    published_seconds = result["summary"]["published way"]["seconds"]
    for label in labels[:2]:
        ratio = result["ratios"][label]
        assert ratio["of_medians"] == round(result["summary"]["published way"]["median"]
                                            / result["summary"][label]["median"], 3)
        assert ratio["per_repetition"] == [round(b / a, 3) for a, b in
                                           zip(result["summary"][label]["seconds"], published_seconds)]
    for rep in result["repetitions"]:
        sweep, published = rep["sides"]["sweep --jobs 1"], rep["sides"]["published way"]
        for side in rep["sides"].values():
            assert len(side["runs"]) == len(METHODS) and all(run["time"] for run in side["runs"])
            assert set(PHASES) <= set(side["split"]) and "outside runs" in side["split"]
        assert rep["sides"]["sweep --jobs 2"]["jobs"] == 2
        # the sweep encodes the test images in one run and the others read the cache (each repetition has
        # its own, empty at the start); the emulation of the published way encodes them in every run
        for label in labels[:2]:
            assert [r["encoded_test_images"] for r in rep["sides"][label]["runs"]].count(True) == 1
            assert [r["reused_test_images"] for r in rep["sides"][label]["runs"]].count(True) == len(METHODS) - 1
        assert all(r["encoded_test_images"] and not r["reused_test_images"] for r in published["runs"])
        logs = {side: [open(r["log"]).read() for r in data["runs"]] for side, data in (("a", sweep), ("b", published))}
        assert all("Text encoder: full 77-token context" in log for log in logs["b"])
        assert not any("Text encoder: full" in log for log in logs["a"])
        # the sweep's runs are forked from its warm interpreter: they import nothing, fresh processes do
        assert all("# forked from the sweep's warm interpreter" in log for log in logs["a"])
        assert sweep["split"]["imports"] < 0.2 * published["split"]["imports"]
        # one sweep invocation, whose warm interpreter built the backbone once: no run built one
        assert len(sweep["invocations"]) == 1
        assert all("Backbone built by the sweep's warm interpreter" in log for log in logs["a"])
        assert not any("Backbone built by" in log for log in logs["b"])
    report = (out / "sweep_benchmark.md").read_text()
    assert "ratio published way / sweep --jobs 2" in report and "median" in report
