"""Tree walking, aggregation over seeds, flags for incomplete cells, base-to-new HM, and the four formats."""

from __future__ import annotations

import csv
import io
import math

import pytest

from medprompt.results import build_tables, read_tree, render
from medprompt.results.aggregate import is_ignored

try:
    from result_samples import write_run
except ImportError:  # tests/ imported as a package
    from tests.test_results_samples import write_run


def hand_mean(xs):
    return sum(xs) / len(xs)


def hand_std(xs):  # population std, as CoOp's parser reports it
    m = hand_mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs))


def hand_hm(b, n):
    return 2 * b * n / (b + n)


ACC = {  # (dataset, trainer) -> accuracy per seed 1..3
    ("Chest_CT", "CoOp"): [50.0, 60.0, 70.0],
    ("Chest_CT", "MedPromptCLIP"): [71.25, 68.5, 74.0],
    ("Knee", "CoOp"): [40.0, 42.5, 47.0],
    ("Knee", "MedPromptCLIP"): [55.0, 52.0, 61.0],
}


def _f1(acc):
    return round(acc * 0.9, 2)


@pytest.fixture
def complete_tree(tmp_path):
    for (dataset, trainer), values in ACC.items():
        for seed, acc in enumerate(values, start=1):
            write_run(tmp_path, "fewshot", dataset, 16, trainer, seed, {"accuracy": acc, "macro_f1": _f1(acc)})
    return tmp_path


def test_means_stds_and_average_match_hand_computation(complete_tree):
    scan = read_tree(complete_tree)
    assert len(scan.runs) == 12 and {r.protocol for r in scan.runs} == {"fewshot"}
    (table,) = build_tables(scan, "accuracy")
    assert table.datasets == ("Chest_CT", "Knee") and table.methods == ("CoOp", "MedPromptCLIP")
    for (dataset, trainer), values in ACC.items():
        cell = table.get(dataset, 16, trainer)
        assert cell.mean == pytest.approx(hand_mean(values))
        assert cell.std == pytest.approx(hand_std(values))
        assert cell.n == 3 and cell.seeds == (1, 2, 3) and not cell.flags
    for trainer in ("CoOp", "MedPromptCLIP"):
        expected = hand_mean([hand_mean(ACC[(d, trainer)]) for d in ("Chest_CT", "Knee")])
        assert table.get("Average", 16, trainer).mean == pytest.approx(expected)
    assert table.get("Chest_CT", 16, "CoOp").std == pytest.approx(8.164966, abs=1e-6)  # 50, 60, 70
    assert table.notes == ()


def test_other_metric_is_selectable(complete_tree):
    (table,) = build_tables(read_tree(complete_tree), ["macro_f1"])
    values = [_f1(a) for a in ACC[("Knee", "MedPromptCLIP")]]
    assert table.metric == "macro_f1"
    assert table.get("Knee", 16, "MedPromptCLIP").mean == pytest.approx(hand_mean(values))
    with pytest.raises(ValueError, match=r"kappa.*metrics found: accuracy, macro_f1$"):
        build_tables(read_tree(complete_tree), "kappa")


def test_incomplete_cells_are_flagged_not_silently_averaged(complete_tree):
    root = complete_tree
    # missing seed: remove MedPromptCLIP/Knee seed3
    seed3 = root / "fewshot/Knee/shots_16/MedPromptCLIP/vit_b16/seed3"
    (seed3 / "log.txt").unlink()
    seed3.rmdir()
    # unfinished: CoOp/Knee seed2 crashed, and a newer log without result in seed1 (seed1 still counts)
    write_run(root, "fewshot", "Knee", 16, "CoOp", 2, {"accuracy": 99.0}, kind="crashed")
    write_run(root, "fewshot", "Knee", 16, "CoOp", 1, {"accuracy": 99.0}, kind="no_result",
              name="log.txt-2030-01-01-00-00-00")
    # different config: MedPromptCLIP/Chest_CT seed2 used another learning rate
    write_run(root, "fewshot", "Chest_CT", 16, "MedPromptCLIP", 2, {"accuracy": 68.5}, lr="0.005")
    (table,) = build_tables(read_tree(root), "accuracy")

    missing = table.get("Knee", 16, "MedPromptCLIP")
    assert missing.flags == {"m"} and missing.n == 2
    assert missing.mean == pytest.approx(hand_mean(ACC[("Knee", "MedPromptCLIP")][:2]))
    unfinished = table.get("Knee", 16, "CoOp")
    assert unfinished.flags == {"u"} and unfinished.seeds == (1, 3)
    assert unfinished.mean == pytest.approx(hand_mean([40.0, 47.0]))
    mixed = table.get("Chest_CT", 16, "MedPromptCLIP")
    assert mixed.flags == {"c"} and mixed.n == 3
    assert table.get("Average", 16, "MedPromptCLIP").flags == {"m", "c"}
    assert not table.get("Chest_CT", 16, "CoOp").flags

    notes = dict((text.split(":")[0], (flag, text)) for flag, text in table.notes)
    assert "missing seed 3" in notes["MedPromptCLIP on Knee"][1]
    assert "seed 2 unfinished: training did not finish" in notes["CoOp on Knee"][1]
    config_note = notes["MedPromptCLIP on Chest_CT"][1]
    assert "OPTIM.LR (seed1: 0.0025; seed2: 0.005; seed3: 0.0025)" in config_note
    assert "SEED" not in config_note.replace("OPTIM.LR", "") and "OUTPUT_DIR" not in config_note
    assert len(table.notes) == 3

    text = render([table], "terminal")
    assert "[m]" in text and "[u]" in text and "[c]" in text and "missing seed 3" in text
    assert "Flags: [c] configs differ; [m] missing seeds; [u] unfinished runs" in text


def test_seed_list_and_ignored_keys(complete_tree):
    write_run(complete_tree, "fewshot", "Knee", 16, "CoOp", 2, {"accuracy": 42.5}, lr="0.1")
    scan = read_tree(complete_tree)
    (table,) = build_tables(scan, seeds=[1, 2, 3, 4], ignore=["OPTIM.LR"])
    knee = table.get("Knee", 16, "CoOp")
    assert knee.flags == {"m"}  # seed 4 expected; the LR difference is ignored on request
    assert any("missing seed 4" in text for _, text in table.notes)


def test_method_never_run_on_a_dataset_gives_dash_and_partial_average(complete_tree):
    write_run(complete_tree, "fewshot", "Knee", 16, "ViP", 1, {"accuracy": 30.0})
    write_run(complete_tree, "fewshot", "Knee", 16, "ViP", 2, {"accuracy": 36.0})
    write_run(complete_tree, "fewshot", "Knee", 16, "ViP", 3, {"accuracy": 33.0})
    (table,) = build_tables(read_tree(complete_tree), methods=["ViP", "CoOp"])
    assert table.methods == ("ViP", "CoOp")
    assert table.get("Chest_CT", 16, "ViP").mean is None
    average = table.get("Average", 16, "ViP")
    assert average.mean == pytest.approx(33.0) and average.flags == {"p"}
    assert any("average over 1 of 2 datasets (missing: Chest_CT)" in t for _, t in table.notes)
    row = next(line for line in render([table]).splitlines() if line.startswith("Chest_CT"))
    assert "—" in row
    with pytest.raises(ValueError, match="unknown method.*Nope.*CoOp, MedPromptCLIP, ViP"):
        build_tables(read_tree(complete_tree), methods=["Nope"])


def test_fewshot_has_a_row_per_k(tmp_path):
    values = {(1, "CoOp"): [20.0, 30.0], (4, "CoOp"): [40.0, 44.0], (1, "MaPLe"): [25.0, 27.0],
              (4, "MaPLe"): [50.0, 41.0]}
    for dataset, offset in (("Knee", 0.0), ("SLO", 10.0)):
        for (k, trainer), accs in values.items():
            for seed, acc in enumerate(accs, start=1):
                write_run(tmp_path, "fewshot", dataset, k, trainer, seed, {"accuracy": acc + offset})
    (table,) = build_tables(read_tree(tmp_path))
    assert table.shots == (1, 4)
    for k in (1, 4):
        for trainer in ("CoOp", "MaPLe"):
            knee = hand_mean(values[(k, trainer)])
            assert table.get("Knee", k, trainer).mean == pytest.approx(knee)
            assert table.get("SLO", k, trainer).mean == pytest.approx(knee + 10)
            assert table.get("Average", k, trainer).mean == pytest.approx(knee + 5)
    headers, *rows = [line.split() for line in render([table]).splitlines()[1:-1] if line.strip()]
    assert headers[:2] == ["Dataset", "K"]
    firsts = [(r[0], r[1]) for r in rows if not set(r[0]) <= {"-"}]
    assert firsts == [("Knee", "1"), ("Knee", "4"), ("SLO", "1"), ("SLO", "4"), ("Average", "1"), ("Average", "4")]


def test_base_to_new_reports_base_new_and_hm(tmp_path):
    base = {("Knee", "CoOp"): [80.0, 84.0], ("Knee", "KgCoOp"): [78.0, 80.0],
            ("SLO", "CoOp"): [90.0, 86.0], ("SLO", "KgCoOp"): [88.0, 88.0]}
    new = {("Knee", "CoOp"): [30.0, 40.0], ("Knee", "KgCoOp"): [50.0, 52.0],
           ("SLO", "CoOp"): [20.0, 26.0], ("SLO", "KgCoOp"): [44.0, 40.0]}
    for side, values in (("train_base", base), ("test_new", new)):
        for (dataset, trainer), accs in values.items():
            for seed, acc in enumerate(accs, start=1):
                write_run(tmp_path, f"base2new/{side}", dataset, 16, trainer, seed, {"accuracy": acc},
                          eval_only=side == "test_new")
    (table,) = build_tables(read_tree(tmp_path), protocols=["base2new"])
    assert table.base2new and table.protocol == "base2new" and table.parts == ("base", "new", "HM")
    for trainer in ("CoOp", "KgCoOp"):
        for dataset in ("Knee", "SLO"):
            b, n = hand_mean(base[(dataset, trainer)]), hand_mean(new[(dataset, trainer)])
            assert table.get(dataset, 16, trainer, "base").mean == pytest.approx(b)
            assert table.get(dataset, 16, trainer, "new").std == pytest.approx(hand_std(new[(dataset, trainer)]))
            assert table.get(dataset, 16, trainer, "HM").mean == pytest.approx(hand_hm(b, n))
        avg_b = hand_mean([hand_mean(base[(d, trainer)]) for d in ("Knee", "SLO")])
        avg_n = hand_mean([hand_mean(new[(d, trainer)]) for d in ("Knee", "SLO")])
        assert table.get("Average", 16, trainer, "HM").mean == pytest.approx(hand_hm(avg_b, avg_n))
    assert table.get("Knee", 16, "CoOp", "HM").mean == pytest.approx(2 * 82 * 35 / 117)
    headers = render([table], "markdown").splitlines()[2]
    assert "CoOp base" in headers and "CoOp new" in headers and "KgCoOp HM" in headers


def test_base_to_new_with_new_side_missing_is_flagged(tmp_path):
    for seed in (1, 2):
        write_run(tmp_path, "base2new/train_base", "Knee", 16, "CoOp", seed, {"accuracy": 80.0})
    write_run(tmp_path, "base2new/test_new", "Knee", 16, "CoOp", 1, {"accuracy": 40.0}, eval_only=True)
    (table,) = build_tables(read_tree(tmp_path))
    assert table.get("Knee", 16, "CoOp", "new").flags == {"m"}
    hm = table.get("Knee", 16, "CoOp", "HM")
    assert hm.mean == pytest.approx(hand_hm(80.0, 40.0)) and hm.flags == {"m"}


def test_formats(complete_tree):
    write_run(complete_tree, "fewshot", "Knee", 16, "CoOp", 2, {"accuracy": 1.0}, kind="crashed")
    scan = read_tree(complete_tree)
    tables = build_tables(scan, ["accuracy", "macro_f1"])
    assert [t.metric for t in tables] == ["accuracy", "macro_f1"]
    markdown = render(tables, "markdown")
    assert markdown.startswith("### fewshot: accuracy (K=16)")
    assert "| Chest_CT " in markdown and "60.00 ± 8.16 (n=3)" in markdown
    assert "- [u] CoOp on Knee: seed 2 unfinished" in markdown
    latex = render(tables, "latex")
    assert "\\toprule" in latex and "Chest\\_CT" in latex and "60.00 $\\pm$ 8.16 (n=3)" in latex
    assert "±" not in latex and "% [u] CoOp on Knee" in latex
    rows = list(csv.DictReader(io.StringIO(render(tables, "csv"))))
    assert len(rows) == 2 * 3 * 2  # metrics × (datasets + average) × methods
    knee = next(r for r in rows if r["dataset"] == "Knee" and r["method"] == "CoOp" and r["metric"] == "accuracy")
    assert float(knee["mean"]) == pytest.approx(hand_mean([40.0, 47.0]))
    assert float(knee["std"]) == pytest.approx(hand_std([40.0, 47.0]))
    assert knee["n"] == "2" and knee["seeds"] == "1 3" and knee["flags"] == "u"
    with pytest.raises(ValueError, match="unknown format 'html'"):
        render(tables, "html")


def test_tree_reports_logs_outside_the_layout(complete_tree, tmp_path):
    stray = complete_tree / "old_experiment" / "seed1"
    stray.mkdir(parents=True)
    (stray / "log.txt").write_text("x")
    scan = read_tree(complete_tree)
    assert scan.stray_logs == (stray / "log.txt",)
    empty = tmp_path / "nothing"
    empty.mkdir()
    with pytest.raises(ValueError, match="no seed folder in the layout"):
        read_tree(empty)
    with pytest.raises(ValueError, match="protocols found: fewshot"):
        build_tables(scan, protocols=["zeroshot"])


def test_trainer_with_two_configs_gets_two_columns(complete_tree):
    write_run(complete_tree, "fewshot", "Knee", 16, "CoOp", 1, {"accuracy": 10.0}, config="vit_b16_ctx4")
    (table,) = build_tables(read_tree(complete_tree))
    assert table.methods == ("CoOp/vit_b16", "CoOp/vit_b16_ctx4", "MedPromptCLIP")
    assert table.get("Knee", 16, "CoOp/vit_b16_ctx4").mean == 10.0
    assert table.get("Knee", 16, "CoOp/vit_b16_ctx4").flags == {"m"}


@pytest.fixture
def wide_base_to_new(tmp_path):
    """Five methods on one dataset of 5 classes (3 base, 2 new), two seeds: far wider than 120 columns."""
    methods = ["ZeroshotCLIP", "ZeroshotDescriptions", "MedPromptCLIP", "CoOp", "MedPromptCLIP_CoOp"]
    for i, trainer in enumerate(methods):
        for seed in (1, 2):
            write_run(tmp_path, "base2new/train_base", "Knee", 16, trainer, seed, {"accuracy": 50.0 + i + seed},
                      num_classes=3)
            write_run(tmp_path, "base2new/test_new", "Knee", 16, trainer, seed, {"accuracy": 60.0 + i + seed},
                      eval_only=True, num_classes=2)
    return tmp_path, methods


def test_wide_terminal_table_gets_one_method_per_row_and_a_legend(wide_base_to_new):
    root, methods = wide_base_to_new
    (table,) = build_tables(read_tree(root))
    full = render([table]).splitlines()
    assert max(map(len, full)) > 120 and "MedPromptCLIP_CoOp HM" in full[1]  # the full grid, unchanged
    short = render([table], width=120).splitlines()
    assert max(map(len, short)) <= 120
    assert short[1].split() == ["Dataset", "Method", "base", "new", "HM"]
    rows = [line for line in short[3:] if line.strip() and not line.startswith("Cells")]
    assert len(rows) == 2 * len(methods)  # Knee and Average, a row per method
    assert rows[0].split()[:5] == ["Knee", "CoOp", "54.50", "±", "0.50"] and "(n=2)" in rows[0]
    assert rows[0].split()[-1] == f"{2 * 54.5 * 64.5 / 119:.2f}"  # HM of the mean base and new
    assert short[-1] == ("Cells: mean ± std over seeds (n=seeds); Average rows: mean over datasets; "
                         "HM = 2·base·new/(base+new) of the means.")
    assert render([table], width=400) == render([table])  # a table that fits keeps its grid


def test_chance_levels_come_from_the_logs(wide_base_to_new):
    (table,) = build_tables(read_tree(wide_base_to_new[0]))
    assert table.chance[("Knee", 16, "base")] == pytest.approx(100 / 3)
    assert table.chance[("Knee", 16, "new")] == pytest.approx(50.0)
    assert table.chance[("Knee", 16, "HM")] == pytest.approx(hand_hm(100 / 3, 50.0))
    assert table.chance[("Average", 16, "new")] == pytest.approx(50.0)


def test_paths_to_a_seeds_own_runs_may_differ_between_seeds():
    # a stacked method's source run is the same seed's run: its path differs per seed like OUTPUT_DIR's
    for key in ("SEED", "OUTPUT_DIR", "DATASET.ROOT", "MODEL_DIR", "TRAINER.STACKING.INIT_FROM"):
        assert is_ignored(key), key
    assert not is_ignored("OPTIM.LR") and not is_ignored("TRAINER.STACKING.TEXT_LOSS")
