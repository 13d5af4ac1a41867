"""Every shipped config merges over Dassl's defaults and the project's keys, and names a registered trainer
or dataset: a typo in a yaml key fails here, not hours into a run. The layered configs give every former
(method, config) file's settings exactly (tests/legacy_configs.json)."""

from __future__ import annotations

import json

import pytest
from e2e import REPO

pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

from dassl.data.datasets import DATASET_REGISTRY  # noqa: E402
from dassl.engine import TRAINER_REGISTRY  # noqa: E402

from medprompt.run.config_layers import (  # noqa: E402
    ConfigLayerError,
    backbone_names,
    config_names,
    method_names,
    variant_names,
)
from medprompt.run.train_args import build_parser  # noqa: E402
from trainers.launch import print_args, setup_cfg  # noqa: E402

DATASET_CONFIGS = sorted((REPO / "configs" / "datasets").glob("*.yaml"))
COMBINATIONS = [(m, c) for m in method_names() for c in config_names(m)]
# Made once from the 45 full files configs/trainers/<Method>/<name>.yaml of commit 521130b, merged by that
# commit's train.py without a dataset yaml: {"<Method>/<name>": {key: value where it differs from the defaults}};
# since then only CTX_INIT of the seven N_CTX 6 configs changed ("a photo of a" fell back to random init).
LEGACY = json.loads((REPO / "tests" / "legacy_configs.json").read_text())


def merged(*argv: str):
    return setup_cfg(build_parser().parse_args(list(argv)))


def flat(node, prefix: str = "") -> dict:
    out = {}
    for key, value in node.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = list(value) if isinstance(value, (tuple, list)) else value
    return out


@pytest.fixture(scope="module")
def defaults():
    return flat(merged())


def test_every_method_runs_on_every_backbone_and_variant():
    assert len(backbone_names()) >= 4 and {"vit_b16", "biomedclip", "pmc_vit_l14", "synth"} <= set(backbone_names())
    assert len(COMBINATIONS) == sum(len(backbone_names()) * (1 + len(variant_names(m))) for m in method_names())


@pytest.mark.parametrize("method,config", COMBINATIONS, ids=[f"{m}/{c}" for m, c in COMBINATIONS])
def test_method_config_merges_and_names_a_registered_trainer(method, config):
    cfg = merged("--trainer", method, "--config", config, "--dataset-config-file", str(DATASET_CONFIGS[0]))
    assert cfg.TRAINER.NAME == method and method in TRAINER_REGISTRY.registered_names()


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_former_full_files_are_given_exactly_by_the_layers(name, defaults):
    method, config = name.split("/")
    for argv in (["--config", config], ["--config-file", f"configs/trainers/{method}/{config}.yaml"]):
        cfg = flat(merged("--trainer", method, *argv))
        assert {k: v for k, v in cfg.items() if v != defaults[k]} == LEGACY[name], argv


def test_merge_order_dataset_backbone_method_overlay_command_line(tmp_path, capsys):
    dataset = tmp_path / "dataset.yaml"  # sets keys that every later layer sets again
    dataset.write_text("INPUT:\n  SIZE: (99, 99)\nOPTIM:\n  MAX_EPOCH: 3\n  LR: 0.5\nTRAINER:\n  COOP:\n"
                       "    N_CTX: 9\n")
    argv = ["--trainer", "CoOp", "--config", "synth", "--dataset-config-file", str(dataset)]
    cfg = merged(*argv)
    assert cfg.INPUT.SIZE == (48, 48)  # backbone over dataset
    assert cfg.OPTIM.LR == 0.002  # method over dataset
    assert cfg.OPTIM.MAX_EPOCH == 50 and cfg.TRAINER.COOP.N_CTX == 4  # overlay (CoOp/synth) over method (200, 16)
    assert cfg.MODEL.PRECISION == "fp32"  # overlay over method (fp16)
    assert merged(*argv, "OPTIM.MAX_EPOCH", "7").OPTIM.MAX_EPOCH == 7  # command line over overlay
    args = build_parser().parse_args(argv)
    print_args(args, setup_cfg(args))
    log = capsys.readouterr().out
    roles = [line.split()[0] for line in log.split("** Config layers **")[1].split("** Config **")[0].splitlines()
             if line.startswith("  ")]
    assert roles == ["defaults", "dataset", "backbone", "method", "overlay", "command"]
    assert "configs/backbones/synth.yaml" in log and "configs/methods/CoOp/synth.yaml" in log


def test_backbone_flag_picks_the_backbone_layer_or_stays_a_raw_name():
    assert merged("--trainer", "MedPromptCLIP", "--backbone", "pmc_vit_l14") == \
        merged("--trainer", "MedPromptCLIP", "--config", "pmc_vit_l14")
    raw = merged("--trainer", "CoOp", "--config", "vit_b16", "--backbone", "hf-hub:org/model")
    assert raw.MODEL.BACKBONE.NAME == "hf-hub:org/model" and raw.INPUT.INTERPOLATION == "bicubic"
    with pytest.raises(ConfigLayerError, match="disagree"):
        merged("--trainer", "CoOp", "--config", "vit_b16", "--backbone", "biomedclip")


def test_unknown_former_path_names_the_new_layout():
    with pytest.raises(ConfigLayerError) as err:
        merged("--trainer", "CoOp", "--config-file", "configs/trainers/CoOp/no_such.yaml")
    assert "configs/backbones/" in str(err.value) and "configs/methods/" in str(err.value)
    assert "vit_b16" in str(err.value)  # the names CoOp accepts


def test_own_full_file_alone_stands_for_the_method_layer(tmp_path):
    own = tmp_path / "mine.yaml"
    own.write_text("OPTIM:\n  MAX_EPOCH: 3\n")
    cfg = merged("--trainer", "CoOp", "--config-file", str(own))
    assert cfg.OPTIM.MAX_EPOCH == 3 and cfg.MODEL.PRECISION == "fp32"  # CoOp.yaml's fp16 not added
    on_layers = merged("--trainer", "CoOp", "--config", "vit_b16", "--config-file", str(own))
    assert on_layers.OPTIM.MAX_EPOCH == 3 and on_layers.MODEL.PRECISION == "fp16"


@pytest.mark.parametrize("path", DATASET_CONFIGS, ids=lambda p: p.stem)
def test_dataset_config_merges_and_names_a_registered_dataset(path):
    cfg = merged("--dataset-config-file", str(path))
    assert cfg.DATASET.NAME in DATASET_REGISTRY.registered_names()


def test_every_registered_project_trainer_has_a_method_config():
    import trainers

    ours = {cls.__name__ for module in trainers.TRAINER_MODULES for cls in vars(module).values()
            if isinstance(cls, type) and cls.__name__ in TRAINER_REGISTRY.registered_names()}
    assert ours and ours <= set(method_names()), ours - set(method_names())


@pytest.mark.parametrize("method,config", COMBINATIONS, ids=[f"{m}/{c}" for m, c in COMBINATIONS])
def test_config_passes_the_start_checks_and_its_context_init_fits(method, config):
    """No shipped config relies on a fallback: CTX_INIT takes exactly N_CTX tokens (CLIP's tokenizer)."""
    import open_clip

    from trainers.config import check_config

    cfg = merged("--trainer", method, "--config", config, "--dataset-config-file", str(DATASET_CONFIGS[0]))
    assert check_config(cfg) == []
    tokenize = open_clip.get_tokenizer("ViT-B-16")
    for node in cfg.TRAINER.values():
        if hasattr(node, "get") and node.get("CTX_INIT"):
            words = int((tokenize([node.CTX_INIT])[0] != 0).sum()) - 2
            assert words == node.N_CTX, f"{method}/{config}: CTX_INIT {node.CTX_INIT!r} has {words} tokens, " \
                                        f"N_CTX {node.N_CTX}"
