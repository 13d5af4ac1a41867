"""Every key of every trainer is range- or form-checked at start, before any data is read
(medprompt/run/config_checks.py through trainers/config.check_config and Dassl's check_cfg hook)."""

from __future__ import annotations

import pytest

pytest.importorskip("dassl.engine")

from dassl.config import get_cfg_default  # noqa: E402
from dassl.engine import TRAINER_REGISTRY, build_trainer  # noqa: E402

import datasets  # noqa: E402
import trainers  # noqa: E402
from medprompt.utils.errors import ConfigError  # noqa: E402
from medprompt.run.config_checks import TRAINERS, check_protocol, check_trainer_config, check_transfer  # noqa: E402
from trainers.base import PromptTrainerBase  # noqa: E402
from trainers.config import check_config  # noqa: E402

PROJECT_TRAINERS = sorted(name for name in TRAINER_REGISTRY.registered_names()
                          if issubclass(TRAINER_REGISTRY.get(name), PromptTrainerBase))


def make_cfg(trainer: str, root: str = "/nonexistent/data"):
    cfg = get_cfg_default()
    trainers.add_config(cfg)
    datasets.add_dataset_config(cfg)
    cfg.TRAINER.NAME = trainer
    cfg.DATASET.NAME = "SynthDerm"
    cfg.DATASET.ROOT = root
    return cfg


def set_key(cfg, key: str, value) -> None:
    *path, last = key.split(".")
    node = cfg
    for part in path:
        node = node[part]
    node[last] = value


def test_every_project_trainer_declares_its_checks():
    assert len(PROJECT_TRAINERS) >= 17
    assert [name for name in PROJECT_TRAINERS if name not in TRAINERS] == []
    assert [name for name in TRAINERS if name not in PROJECT_TRAINERS] == []


def test_every_trainer_key_has_a_rule():
    """Each key under a trainer's own TRAINER.<NODE> is declared by some trainer's rules."""
    cfg = make_cfg("CoOp")
    declared = {rule.key for checks in TRAINERS.values() for rule in checks.rules}
    ours = {"MEDPROMPTCLIP", "ZEROSHOT", "VIP", "COOP", "COCOOP", "MAPLE", "KGCOOP", "PROGRAD", "BIOMEDCOOP",
            "CLIP_ADAPTER", "LINEAR_PROBE", "TEXT_PROBE", "TIP_ADAPTER", "STACKING", "MEDPROMPTCLIP_FEWSHOT"}
    keys = {f"TRAINER.{node}.{key}" for node in ours for key in cfg.TRAINER[node]}
    assert sorted(keys - declared) == []


@pytest.mark.parametrize("trainer", PROJECT_TRAINERS)
def test_defaults_pass_and_each_bad_value_is_refused_naming_key_and_value(trainer):
    check_trainer_config(make_cfg(trainer), trainer)
    for rule in TRAINERS[trainer].rules:
        assert rule.bad, rule.key
        for bad in rule.bad:
            cfg = make_cfg(trainer)
            set_key(cfg, rule.key, bad)
            with pytest.raises(ConfigError) as err:
                check_trainer_config(cfg, trainer)
            message = str(err.value)
            assert message.startswith(f"{rule.key} = {bad!r} is not allowed") and "allowed:" in message, message


@pytest.mark.parametrize("trainer", PROJECT_TRAINERS)
def test_dassl_hook_refuses_each_key_before_reading_data(trainer):
    """build_trainer with a data root that does not exist: each key's message comes first, not a data error."""
    for rule in TRAINERS[trainer].rules:
        if rule.key == "DATASET.ROOT":
            continue
        cfg = make_cfg(trainer)
        set_key(cfg, rule.key, rule.bad[0])
        cfg.freeze()
        with pytest.raises(ConfigError, match=rule.key.replace(".", r"\.")):
            build_trainer(cfg)


@pytest.mark.parametrize("key, value", [
    ("TRAINER.MEDPROMPTCLIP.LOSS_SCALE", -1000.0),  # gradient ascent
    ("TRAINER.MEDPROMPTCLIP.LOSS_SCALE", 0.0),  # trains nothing
    ("TRAINER.MEDPROMPTCLIP.LOSS", "mes"),
    ("TRAINER.MEDPROMPTCLIP.TEST_TEMPLATES", ["a {modality} image."]),  # every class the same prompt
    ("TRAINER.MEDPROMPTCLIP.TEST_TEMPLATES", ["{}.", "a {modality of {}."]),  # unclosed
    ("TRAINER.MEDPROMPTCLIP.N_CTX", 0),
    ("TRAINER.MEDPROMPTCLIP.VAL_HELDOUT_CLASSES", 1.0),
])
def test_issue_cases_of_medpromptclip(key, value):
    cfg = make_cfg("MedPromptCLIP")
    set_key(cfg, key, value)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        check_config(cfg)  # what train.py calls right after the config merge


@pytest.mark.parametrize("trainer, key, value", [
    ("BiomedCoOp", "TRAINER.BIOMEDCOOP.N_PROMPTS", 0),
    ("BiomedCoOp", "TRAINER.BIOMEDCOOP.N_PROMPTS", -2),
    ("ProGrad", "TRAINER.PROGRAD.LAMBDA", -1.0),
    ("ZeroshotDescriptions", "TRAINER.ZEROSHOT.AGGREGATION", "mean"),
    ("ZeroshotCLIP", "TRAINER.ZEROSHOT.TEMPLATES", ["a photo."]),
    ("CoOp", "TRAINER.COOP.TEMPLATE", "{modality} {}."),  # CoOp's template has no modality field
    ("MedPromptCLIP_CoOp", "TRAINER.STACKING.TEXT_LOSS", "mes"),
    ("CoOp", "OPTIM.MAX_EPOCH", 0),
])
def test_issue_cases_of_other_trainers(trainer, key, value):
    cfg = make_cfg(trainer)
    set_key(cfg, key, value)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        check_config(cfg)


def test_minus_one_prompts_means_all():
    cfg = make_cfg("BiomedCoOp")
    cfg.TRAINER.BIOMEDCOOP.N_PROMPTS = -1
    check_config(cfg)


@pytest.mark.parametrize("key", ["OUTPUT_DIR", "MODEL.CACHE_DIR", "DATASET.ROOT", "RESUME"])
def test_a_file_where_a_folder_is_expected(tmp_path, key):
    afile = tmp_path / "a-file"
    afile.write_text("x")
    cfg = make_cfg("CoOp")
    set_key(cfg, key, str(afile))
    with pytest.raises(ConfigError, match=f"{key.replace('.', '.')} = .* is a file"):
        check_config(cfg)


def test_protocols_are_declared():
    for name in ("TipAdapter", "TipAdapterF", "TextLinearProbe", "LinearProbe", "ViP"):
        with pytest.raises(ConfigError, match="base2new"):
            check_protocol(name, "base2new")
        with pytest.raises(ConfigError, match="cannot evaluate"):
            check_transfer(name, "SynthDerm base classes", "SynthDerm new classes")
    check_protocol("CoOp", "base2new")
    check_transfer("CoOp", "SynthDerm base classes", "SynthDerm new classes")
    with pytest.raises(ConfigError, match="zeroshot"):
        check_protocol("CoOp", "zeroshot")


def test_the_former_loss_weight_key_is_refused_naming_its_new_name():
    """MEDPROMPTCLIP.LOSS_WEIGHT was a scale, and is now called one (LOSS_SCALE, as STACKING.TEXT_LOSS_SCALE)."""
    cfg = get_cfg_default()
    trainers.add_config(cfg)
    with pytest.raises(KeyError, match="renamed to TRAINER.MEDPROMPTCLIP.LOSS_SCALE"):
        cfg.merge_from_list(["TRAINER.MEDPROMPTCLIP.LOSS_WEIGHT", "1000.0"])
