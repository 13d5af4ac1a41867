"""A shortened demo run (small world, 2 epochs, one held-out modality) finishes and tabulates every method."""

import subprocess
import sys

import pytest
from e2e import REPO

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

METHODS = ["ZeroshotCLIP", "ZeroshotDescriptions", "MedPromptCLIP", "CoOp", "MedPromptCLIP_CoOp"]


def test_quick_demo_holds_every_method(tmp_path):
    cmd = [sys.executable, "demo.py", "--quick", "--data", str(tmp_path / "data"), "--output", str(tmp_path / "out"),
           "--heldout", "SynthXray"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    table = out[out.index("base2new: accuracy"):]
    lines = table.split("\n\n")[0].splitlines()
    assert lines[1].split() == ["Dataset", "Method", "base", "new", "HM"]  # one method per row on screen
    assert all(len(line) <= 120 for line in lines) and lines[-1].startswith("Cells: mean ± std over seeds (n=seeds)")
    for method in METHODS:
        assert sum(method in line.split()[:2] for line in lines) == 2, method  # its SynthDerm and Average rows
    full = (tmp_path / "out" / "comparison.txt").read_text()  # the full table, a column per method and part
    assert all(f"{method} base" in full and f"{method} HM" in full for method in METHODS)
    assert "[u]" not in table.split("Gap closed")[0], "every run of the table must be finished"
    assert "heldout_modality: accuracy" in table and "SynthXray" in table
    assert list((tmp_path / "out").glob("comparison-*.png")), "the plot was not saved"
    # a second run finds everything finished and skips it
    again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "run: " not in again.stdout and again.stdout.count("skip (finished)") == 15
