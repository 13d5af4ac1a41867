"""`train.py <flags> --print-config` prints the merged config as YAML, its layers as comments, and exits 0
without reading data, building a backbone or making the output folder."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from e2e import REPO

pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")


def test_print_config_is_yaml_with_layer_comments_and_touches_nothing(tmp_path):
    out = tmp_path / "run"
    argv = [sys.executable, str(REPO / "train.py"), "--root", str(tmp_path / "no-data-here"), "--trainer", "CoOp",
            "--config", "vit_b16", "--dataset-config-file", str(REPO / "configs/datasets/FFA.yaml"),
            "--output-dir", str(out), "--print-config",
            # a backbone that cannot be built offline: printing must not try
            "MODEL.BACKBONE.NAME", "hf-hub:nobody/not-a-model", "DATASET.NUM_SHOTS", "4", "OPTIM.LR", "0.123"]
    run = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, timeout=120,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr
    comments = [line for line in run.stdout.splitlines() if line.startswith("#")]
    assert any("dataset" in c and "FFA.yaml" in c for c in comments)
    assert any("method" in c and "CoOp.yaml" in c for c in comments)
    assert any("command line" in c for c in comments)
    cfg = yaml.safe_load(run.stdout)
    assert cfg["OPTIM"]["LR"] == 0.123 and cfg["DATASET"]["NAME"] == "FFA" and cfg["DATASET"]["NUM_SHOTS"] == 4
    assert cfg["MODEL"]["BACKBONE"]["NAME"] == "hf-hub:nobody/not-a-model"
    assert not out.exists()


def test_print_config_reports_a_bad_key_as_an_error(tmp_path):
    argv = [sys.executable, str(REPO / "train.py"), "--trainer", "CoOp", "--config", "vit_b16", "--print-config",
            "OPTIM.NOT_A_KEY", "1"]
    run = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, timeout=120,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode != 0 and "NOT_A_KEY" in run.stderr
