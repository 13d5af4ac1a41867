"""parse_results.py --published: the published value and the difference appear beside every measured cell
that has one (ViP's per-dataset numbers; BiomedCoOp's README averages only where the table averages exactly
its datasets), each with its source."""

from __future__ import annotations

import pytest

from medprompt.results import cli
from medprompt.results.published import load_published

try:
    from result_samples import write_run
except ImportError:  # tests/ imported as a package
    from tests.test_results_samples import write_run

BIOMEDCOOP_FEWSHOT = ["BTMRI", "BUSI", "CHMNIST", "COVID_19_BiomedCoOp", "CTKidney", "DermaMNIST", "KneeXray", "Kvasir",
                      "LungColon", "OCTMNIST", "RETINA"]


def rows(out: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines()
            if line.startswith("| ") and "published" not in line]


def test_published_column_beside_measured_cells(tmp_path, capsys):
    for seed, acc in enumerate([85.0, 86.0, 87.0], start=1):
        write_run(tmp_path, "zeroshot", "Pneumonia", 0, "ViP", seed, {"accuracy": acc, "macro_f1": acc - 2})
    for dataset in BIOMEDCOOP_FEWSHOT:
        write_run(tmp_path, "fewshot", dataset, 1, "BiomedCoOp", 1, {"accuracy": 58.03}, config="biomedclip")
    write_run(tmp_path, "fewshot", "BTMRI", 1, "CoOp", 1, {"accuracy": 40.0}, config="biomedclip")
    assert cli.main([str(tmp_path), "--published", "--metric", "accuracy", "macro_f1", "--seeds", "1", "2", "3"]) == 0
    out = capsys.readouterr().out
    got = {}
    for block in out.split("Published beside measured, ")[1:]:
        metric = block.splitlines()[0].split(": ")[1]
        for r in rows(block):
            got[(metric, r[0], r[1], r[2])] = r[3:]
    assert got[("accuracy", "Pneumonia", "0", "ViP")][:3] == ["86.00", "86.69", "-0.69"]
    assert got[("macro_f1", "Pneumonia", "0", "ViP")][:3] == ["84.00", "84.94", "-0.94"]
    assert "ViP paper" in got[("accuracy", "Pneumonia", "0", "ViP")][3]
    biomed = got[("accuracy", "Average", "1", "BiomedCoOp")]
    assert biomed[:3] == ["58.03", "57.03", "+1.00"] and "HealthX-Lab/BiomedCoOp, README.md" in biomed[3]
    # CoOp was run on one of BiomedCoOp's datasets only: its average is not BiomedCoOp's average, so no row
    assert not any(key[3] == "CoOp" for key in got)


def test_without_matches_it_says_so(tmp_path, capsys):
    write_run(tmp_path, "fewshot", "Knee", 16, "CoOp", 1, {"accuracy": 50.0})
    assert cli.main([str(tmp_path), "--published"]) == 0
    assert "no measured cell has a published value" in capsys.readouterr().out


def test_a_bad_published_file_is_named(tmp_path, capsys):
    write_run(tmp_path, "fewshot", "Knee", 16, "CoOp", 1, {"accuracy": 50.0})
    bad = tmp_path / "numbers.yaml"
    bad.write_text("- method: CoOp\n  value: 1\n")
    assert cli.main([str(tmp_path), "--published", str(bad)]) == 2
    assert "numbers.yaml: entry 1 lacks protocol" in capsys.readouterr().err


def test_every_shipped_number_has_a_source():
    numbers = load_published()
    assert len(numbers) >= 60 and all(n.source for n in numbers)
    vip = {(n.dataset, n.metric): n.value for n in numbers if n.method == "ViP"}
    assert vip == {("Pneumonia", "accuracy"): 86.69, ("Pneumonia", "macro_f1"): 84.94,
                   ("Derm7pt", "accuracy"): 81.11, ("Derm7pt", "macro_f1"): pytest.approx(77.3)}
