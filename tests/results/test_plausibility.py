"""Results that cannot be right are flagged where printed and where parsed (medprompt/results/plausibility.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from medprompt.results import build_tables, read_tree
from medprompt.results.logs import read_log
from medprompt.results.plausibility import below_chance, flags_of, unchanged_predictions
from medprompt.results.render import render


def test_below_chance_beyond_the_binomial_spread():
    flag = below_chance(1, 240, 12)  # the demo's centered MedPromptCLIP on world 0's new classes
    assert "below chance (8.33% for 12 classes: 20.0 of 240 expected)" in flag and "probability" in flag
    assert below_chance(0, 96, 24)  # the quick demo's SynthFundus: P = (23/24)^96 = 0.017
    assert not below_chance(2, 96, 24)  # P(<= 2) = 0.24: within the spread
    assert not below_chance(14, 240, 12)  # below 20 expected, within the spread (P = 0.08)
    assert not below_chance(200, 240, 12) and not below_chance(0, 10, 1)


def test_unchanged_predictions():
    assert "all 3 test predictions equal" in unchanged_predictions([0, 1, 1], [0, 1, 1])
    assert not unchanged_predictions([0, 1, 1], [0, 1, 0])


def log_text(correct: int, total: int, classes: int, flag: str = "") -> str:
    return (f"** Arguments **\neval_only: False\n\n# classes  {classes}\nepoch [1/1] batch [1/1]\nFinish training\n"
            f"Evaluate on the *test* set\n=> result\n* total: {total:,}\n* correct: {correct:,}\n"
            f"* accuracy: {100 * correct / total:.2f}%\n{flag}Elapsed: 0:00:01\n")


def test_the_parser_reads_printed_flags_and_tests_older_logs_itself(tmp_path):
    printed = tmp_path / "printed.txt"
    printed.write_text(log_text(50, 96, 4, "Implausible result: all 96 test predictions equal those of ...\n"))
    log = read_log(printed)
    assert log.final.correct == 50 and log.final.metrics == {"accuracy": pytest.approx(52.08)}
    assert flags_of(log) == ["all 96 test predictions equal those of ..."]
    older = tmp_path / "older.txt"
    older.write_text(log_text(1, 240, 12))  # no flag printed: the parser computes it from the counts
    assert "below chance" in flags_of(read_log(older))[0]
    fine = tmp_path / "fine.txt"
    fine.write_text(log_text(20, 240, 12))
    assert flags_of(read_log(fine)) == []


def test_tables_flag_the_cell_and_say_why(tmp_path):
    for seed, correct in ((1, 1), (2, 30)):
        folder = tmp_path / "fewshot" / "SynthDerm" / "shots_16" / "CoOp" / "synth" / f"seed{seed}"
        folder.mkdir(parents=True)
        (folder / "log.txt").write_text(log_text(correct, 240, 12))
    table = build_tables(read_tree(tmp_path), ["accuracy"])[0]
    cell = table.get("SynthDerm", 16, "CoOp")
    assert "i" in cell.flags
    text = render([table], "terminal", 2)
    assert "[i] implausible result" in text and "seed 1: accuracy 0.42% (1 of 240) is below chance" in text
    assert "seed 2" not in text.split("Notes")[-1]


def test_the_evaluator_prints_the_flag_after_the_block(capsys):
    pytest.importorskip("dassl.engine")
    import torch
    from dassl.config import get_cfg_default

    from trainers.evaluator import MedicalClassification

    evaluator = MedicalClassification(get_cfg_default())
    labels = torch.arange(12).repeat(20)
    evaluator.process(torch.nn.functional.one_hot((labels + 1) % 12, 12).float(), labels)  # always wrong
    evaluator.evaluate()
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith("Implausible result: accuracy 0.00% (0 of 240) is below chance")


@pytest.mark.parametrize("trainer", ["CoOp", "MaPLe"])  # cached image features; prompted images, a second pass
def test_a_trained_run_predicting_as_its_initialisation_is_flagged(tmp_path, trainer):
    pytest.importorskip("dassl.engine")
    import tiny_data
    import tiny_models
    from e2e import train

    data = tmp_path / "data"
    tiny_data.write_tiny_dataset(data, "BTMRI", per_class=3)
    model = tiny_models.write_local_dir(tmp_path / "m")
    out = tmp_path / "fewshot" / "BTMRI" / "shots_16" / trainer / "vit_b16" / "seed1"
    args = ["--root", data, "--seed", "1", "--trainer", trainer, "--config", "vit_b16", "--dataset-config-file",
            "configs/datasets/BTMRI.yaml", "--backbone", f"local-dir:{model}", "--output-dir", out]
    text = train(args, ["MODEL.CACHE_DIR", "none", "OPTIM.MAX_EPOCH", "1", "OPTIM.WARMUP_EPOCH", "0",
                        "OPTIM.LR", "1e-30"])
    assert "Implausible result: all 12 test predictions equal those of the model at initialisation" in text
    assert "test predictions equal" in flags_of(read_run_winner(out))[0]


def read_run_winner(folder: Path):
    from medprompt.results import read_run

    return read_run(folder).winner
