"""Config layers without Dassl: which files a config name means, in which order, and `_BASE_` merging."""

from __future__ import annotations

import subprocess
import sys

import pytest
from e2e import REPO
from yacs.config import CfgNode

from medprompt.run.config_layers import (
    ConfigLayerError,
    Layer,
    config_layers,
    merge_layer,
    resolve_layers,
    split_config_name,
)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def root(tmp_path):
    """A configs/ tree: backbones b and pmc_b (a base each), method M with an overlay for b and a variant."""
    c = tmp_path / "configs"
    write(c / "backbones" / "_base.yaml", "A:\n  X: 1\n  Y: 1\n")
    write(c / "backbones" / "b.yaml", "_BASE_: _base.yaml\nA:\n  Y: 2\n")
    write(c / "backbones" / "pmc_b.yaml", "A:\n  X: 5\n")
    write(c / "methods" / "M.yaml", "A:\n  Y: 3\n  Z: 3\n")
    write(c / "methods" / "M" / "b.yaml", "A:\n  Z: 4\n")
    write(c / "methods" / "M" / "wide.yaml", "A:\n  W: 6\n")
    return c


def cfg_from(layers):
    cfg = CfgNode({"A": {"W": 0, "X": 0, "Y": 0, "Z": 0}})
    for layer in layers:
        merge_layer(cfg, layer.path)
    return cfg


def test_config_name_means_backbone_method_and_overlays_in_order(root):
    layers = config_layers("M", "wide_b", root)
    assert layers == [Layer("backbone", root / "backbones/b.yaml"), Layer("method", root / "methods/M.yaml"),
                      Layer("overlay", root / "methods/M/b.yaml"), Layer("overlay", root / "methods/M/wide.yaml")]
    assert cfg_from(layers).A == {"W": 6, "X": 1, "Y": 3, "Z": 4}  # base, backbone, method, overlays: later wins
    assert split_config_name("M", "pmc_b", root) == ("", "pmc_b")  # the longer backbone name, not variant "pmc"
    assert split_config_name("M", "wide_pmc_b", root) == ("wide", "pmc_b")


def test_resolve_puts_dataset_first_and_an_own_file_last(root, tmp_path):
    own = write(tmp_path / "own.yaml", "A:\n  Z: 9\n")
    layers = resolve_layers(trainer="M", backbone="b", config_file=str(own), dataset_config_file="d.yaml",
                            root=root)
    assert [layer.role for layer in layers] == ["dataset", "backbone", "method", "overlay", "config file"]
    assert [layer.role for layer in resolve_layers(trainer="M", backbone="hf-hub:x/y", root=root)] == ["method"]


def test_unknown_names_and_keys_are_clear_errors(root):
    with pytest.raises(ConfigLayerError, match="accepts: b, pmc_b, wide_b, wide_pmc_b"):
        config_layers("M", "tall_b", root)
    with pytest.raises(ConfigLayerError, match="needs --trainer"):
        resolve_layers(config="b", root=root)
    bad = write(root / "methods" / "Bad.yaml", "A:\n  NOPE: 1\n")
    with pytest.raises(ConfigLayerError, match=f"{bad}.*NOPE"):
        cfg_from([Layer("method", bad)])
    loop = write(root / "methods" / "_loop.yaml", "_BASE_: _loop.yaml\n")
    with pytest.raises(ConfigLayerError, match="loops"):
        cfg_from([Layer("method", loop)])


def test_command_line_lists_layers_or_fails_with_exit_2():
    run = [sys.executable, "-m", "medprompt.run.config_layers"]
    ok = subprocess.run([*run, "MedPromptCLIP", "crossmodal_pmc_vit_l14"], cwd=REPO, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.index("backbones/pmc_vit_l14.yaml") < ok.stdout.index("crossmodal.yaml")
    bad = subprocess.run([*run, "CoOp", "no_such"], cwd=REPO, capture_output=True, text=True)
    assert bad.returncode == 2 and "Unknown config 'no_such' for CoOp" in bad.stderr
