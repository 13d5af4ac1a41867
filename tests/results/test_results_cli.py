"""The two commands: parse_results.py (whole tree, tables and plots) and parse_test_res.py (CoOp's
single-folder parser, same command line and output)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from medprompt.results import cli, coop_cli
from medprompt.utils.paths import REPO

try:
    from result_samples import write_run
except ImportError:  # tests/ imported as a package
    from tests.test_results_samples import write_run



def _experiment(root: Path, values, trainer="CoOp", **options) -> Path:
    for seed, acc in enumerate(values, start=1):
        write_run(root, "fewshot", "Knee", 16, trainer, seed, {"accuracy": acc, "macro_f1": acc / 2}, **options)
    return root / "fewshot/Knee/shots_16" / trainer / "vit_b16"


def test_coop_parser_prints_the_same_lines(tmp_path, capsys):
    folder = _experiment(tmp_path, [50.0, 60.0, 70.0])
    assert coop_cli.main([str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    std = math.sqrt((10**2 + 0 + 10**2) / 3)
    assert out == [
        f"Parsing files in {folder}",
        f"file: {folder / 'seed1' / 'log.txt'}. accuracy: 50.00%. ",
        f"file: {folder / 'seed2' / 'log.txt'}. accuracy: 60.00%. ",
        f"file: {folder / 'seed3' / 'log.txt'}. accuracy: 70.00%. ",
        "===",
        f"Summary of directory: {folder}",
        f"* accuracy: 60.00% +- {std:.2f}%",
        "===",
    ]
    assert coop_cli.main([str(folder), "--ci95", "--keyword", "macro_f1"]) == 0
    out = capsys.readouterr().out
    half = 1.96 * math.sqrt((5**2 + 0 + 5**2) / 3) / math.sqrt(3)
    assert f"* macro_f1: 30.00% +- {half:.2f}%" in out and "macro_f1: 25.00%. " in out


def test_coop_parser_test_log_and_skips(tmp_path, capsys):
    folder = _experiment(tmp_path, [40.0, 46.0], eval_only=True)
    assert coop_cli.main([str(folder)]) == 2  # eval-only results need --test-log, as in CoOp
    err = capsys.readouterr().err
    assert "Nothing found in" in err and "use --test-log" in err
    write_run(tmp_path, "fewshot", "Knee", 16, "CoOp", 3, {"accuracy": 99.0}, kind="crashed")
    assert coop_cli.main([str(folder), "--test-log"]) == 0
    captured = capsys.readouterr()
    assert "* accuracy: 43.00% +- 3.00%" in captured.out
    assert "seed3: training did not finish" in captured.err


def test_coop_parser_multi_exp(tmp_path, capsys):
    _experiment(tmp_path, [50.0, 60.0], config="vit_b16")
    _experiment(tmp_path, [70.0, 90.0], config="vit_b16_ctx4")
    top = tmp_path / "fewshot/Knee/shots_16/CoOp"
    assert coop_cli.main([str(top), "--multi-exp"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == ["Average performance", "* accuracy: 67.50%"]
    assert out.count("===") == 4


def test_tree_command_prints_every_format(tmp_path, capsys):
    _experiment(tmp_path, [50.0, 60.0, 70.0])
    _experiment(tmp_path, [55.0, 65.0], trainer="MedPromptCLIP")
    assert cli.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "60.00 ± 8.16 (n=3)" in out and "60.00 ± 5.00 (n=2) [m]" in out
    assert "[m] MedPromptCLIP on Knee: missing seed 3" in out
    assert cli.main([str(tmp_path), "--format", "markdown", "--metric", "macro_f1"]) == 0
    assert "| Knee " in capsys.readouterr().out
    target = tmp_path / "tables" / "acc.tex"
    assert cli.main([str(tmp_path), "--format", "latex", "--output", str(target)]) == 0
    assert "\\begin{tabular}" in target.read_text()
    assert cli.main([str(tmp_path), "--metric", "kappa"]) == 2
    assert "kappa in no finished run" in capsys.readouterr().err


def test_plots_are_written_and_not_empty(tmp_path):
    root = tmp_path / "output"
    for k in (1, 4, 16):
        for dataset in ("Knee", "SLO"):
            for trainer, base in (("CoOp", 40.0), ("ViP", 50.0)):
                for seed in (1, 2):
                    write_run(root, "fewshot", dataset, k, trainer, seed, {"accuracy": base + k + seed})
    stem = tmp_path / "figs" / "fewshot"
    assert cli.main([str(root), "--plot", str(stem)]) == 0
    for kind in ("bars", "curve"):
        png = Path(f"{stem}-fewshot-accuracy-{kind}.png")
        pdf = Path(f"{stem}-fewshot-accuracy-{kind}.pdf")
        assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 1000
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    assert not [p for p in stem.parent.iterdir() if p.name.startswith(".")]  # no temp files left
    one = tmp_path / "single"
    assert cli.main([str(root), "--protocol", "fewshot", "--methods", "ViP", "--plot", str(one)]) == 0
    assert Path(f"{one}-fewshot-accuracy-bars.png").stat().st_size > 0


def test_single_figure_goes_to_the_given_stem(tmp_path):
    _experiment(tmp_path / "out", [50.0, 60.0])
    stem = tmp_path / "plot"
    assert cli.main([str(tmp_path / "out"), "--plot", str(stem)]) == 0
    assert (tmp_path / "plot.png").stat().st_size > 0 and (tmp_path / "plot.pdf").stat().st_size > 0


@pytest.mark.parametrize("script", ["parse_results.py", "parse_test_res.py"])
def test_root_scripts_run(tmp_path, script):
    folder = _experiment(tmp_path, [50.0, 70.0])
    target = tmp_path if script == "parse_results.py" else folder
    done = subprocess.run([sys.executable, str(REPO / script), str(target)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "60.00" in done.stdout


def test_base_to_new_bars_show_base_new_hm_with_chance_and_percent(tmp_path):
    from medprompt.results import build_tables, read_tree
    from medprompt.results.plots import bars_figure

    for trainer, acc in (("CoOp", 60.0), ("MedPromptCLIP", 70.0)):
        write_run(tmp_path, "base2new/train_base", "Knee", 16, trainer, 1, {"accuracy": acc}, num_classes=4)
        write_run(tmp_path, "base2new/test_new", "Knee", 16, trainer, 1, {"accuracy": acc - 20}, eval_only=True,
                  num_classes=4)
    (table,) = build_tables(read_tree(tmp_path))
    fig = bars_figure(table)
    assert [ax.get_title() for ax in fig.axes][:2] == ["base classes", "new classes"] and len(fig.axes) == 3
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_yticklabels()][-1] == "100%"
        chance = [c for c in ax.collections if c.get_label() == "chance"]
        assert len(chance) == 1 and chance[0].get_segments()[0][0][1] == pytest.approx(25.0)  # 4 classes
    heights = sorted(round(p.get_height(), 2) for p in fig.axes[2].patches)
    assert heights == sorted([round(2 * 60 * 40 / 100, 2), round(2 * 70 * 50 / 120, 2)] * 2)  # HM, Knee and Average
    # the full table goes to a file while the screen gets the narrow one
    full = tmp_path / "full.txt"
    assert cli.main([str(tmp_path), "--full", str(full), "--width", "60"]) == 0
    assert "CoOp base" in full.read_text()
