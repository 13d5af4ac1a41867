"""Entry points refuse a misspelt name, a key, an enumerated value or a path before importing torch, Dassl
or open_clip, naming the closest valid choice (medprompt/run/precheck.py). Each refusal runs in its own
process (python -m benchmarks.refusal's cases), which reports what it had imported when it stopped."""

from pathlib import Path

import pytest

from benchmarks.refusal import Case, cases, run_case, scratch
from medprompt.run import choices, key_cache, precheck

CASES = cases(Path("scratch"))  # for the names; the files are written under a temporary folder


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    root = tmp_path_factory.mktemp("refusals")
    scratch(root)
    return root, {c.name: c for c in cases(root)}


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_refused_before_the_heavy_imports_naming_the_closest_choice(refusals, name):
    root, by_name = refusals
    outcome = run_case(by_name[name], {"MEDPROMPT_CACHE": str(root / "cache")})
    assert outcome.status == 2, outcome.output[-2000:]
    assert by_name[name].expected in outcome.output, outcome.output[-2000:]
    assert outcome.imported == (), f"imported {outcome.imported} before refusing"


def test_a_misspelt_key_is_refused_early_once_a_run_wrote_the_key_list(tmp_path, monkeypatch):
    pytest.importorskip("dassl")
    from medprompt.run.train_args import build_parser
    from trainers.launch import setup_cfg

    monkeypatch.setenv("MEDPROMPT_CACHE", str(tmp_path))
    case = Case("key", "train.py", ("--trainer", "CoOp", "--config", "vit_b16", "OPTIM.MAX_EPOH", "5"),
                "did you mean 'OPTIM.MAX_EPOCH'?")
    assert precheck.known_keys() is None  # no run yet: key names are left to yacs after the imports
    key_cache.remember_keys(setup_cfg(build_parser().parse_args(["--trainer", "CoOp", "--config", "vit_b16"])))
    assert "TRAINER.COOP.CLASS_TOKEN_POSITION" in precheck.known_keys()
    outcome = run_case(case, {"MEDPROMPT_CACHE": str(tmp_path)})
    assert outcome.status == 2 and case.expected in outcome.output and outcome.imported == ()
    # a whole node given as a key is not a misspelling; an unknown leaf is
    assert key_cache.unknown_keys(["OPTIM", "OPTIM.LR", "OPTIM.LRR"], precheck.known_keys()) == ["OPTIM.LRR"]


def test_the_key_list_belongs_to_the_sources_that_declare_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDPROMPT_CACHE", str(tmp_path))
    key_cache.remember_keys({"OPTIM": {"LR": 0.1}})
    assert key_cache.known_keys() == {"OPTIM.LR"}
    monkeypatch.setattr(key_cache, "source_digest", lambda: "another-version")
    assert key_cache.known_keys() is None


def test_names_read_as_text_are_the_registries_names():
    pytest.importorskip("dassl")
    from dassl.data.datasets import DATASET_REGISTRY
    from dassl.engine import TRAINER_REGISTRY

    import datasets  # noqa: F401
    import trainers  # noqa: F401

    assert set(precheck.trainer_names()) == set(TRAINER_REGISTRY.registered_names())
    assert set(precheck.dataset_names()) == set(DATASET_REGISTRY.registered_names())


def test_enumerations_are_those_the_code_accepts():
    pytest.importorskip("dassl")
    from dassl.optim.lr_scheduler import AVAI_SCHEDS
    from dassl.optim.optimizer import AVAI_OPTIMS

    from medprompt.run import schedule

    assert set(choices.OPTIMIZERS) == set(AVAI_OPTIMS)
    assert set(choices.SCHEDULES) == set(AVAI_SCHEDS) == set(schedule.SCHEDULES)
    assert choices.choices_of("TRAINER.KGCOOP.CLASS_TOKEN_POSITION") == choices.CLASS_TOKEN_POSITIONS
    assert choices.choices_of("OPTIM.LR") is None


def test_model_dir_of_another_trainer_is_named(tmp_path):
    run = tmp_path / "seed1"
    (run / "prompt_learner").mkdir(parents=True)
    (run / "prompt_learner" / "checkpoint").write_text("model.pth.tar-1\n")
    (run / "log.txt").write_text("***************\n** Arguments **\n***************\ntrainer: CoOp\n")
    assert precheck.check_model_dir(str(run), "CoOp") == ""
    assert "was trained by CoOp, and this run is MedPromptCLIP" in precheck.check_model_dir(str(run), "MedPromptCLIP")
    with pytest.raises(precheck.InputFileError, match="give the run folder"):
        precheck.check_model_dir(str(run / "prompt_learner"), "CoOp")
    zero_shot = tmp_path / "zs" / "seed1"  # a training-free run: a log, no checkpoint, and none needed
    zero_shot.mkdir(parents=True)
    (zero_shot / "log.txt").write_text("***************\n** Arguments **\n***************\ntrainer: ZeroshotCLIP\n")
    assert precheck.check_model_dir(str(zero_shot), "ZeroshotCLIP") == ""
    with pytest.raises(precheck.InputFileError, match=f"e.g. --model-dir {zero_shot}"):
        precheck.check_model_dir(str(zero_shot.parent), "ZeroshotCLIP")
    with pytest.raises(precheck.InputFileError, match="no such folder"):
        precheck.check_model_dir(str(tmp_path / "nope"), "CoOp")


def test_a_checkpoint_of_another_trainer_says_so_when_it_does_not_fit(tmp_path, monkeypatch):
    pytest.importorskip("dassl")
    from types import SimpleNamespace

    from medprompt.run.checkpoints import save_checkpoint
    from trainers import checkpointing
    from trainers.checkpointing import CheckpointMismatchError, CheckpointMixin

    path = save_checkpoint({"state_dict": {}, "meta": {"trainer": "CoOp"}, "epoch": 1}, tmp_path, "model-best.pth.tar")

    def shapes(*_args):
        raise CheckpointMismatchError("ctx: checkpoint (16, 512) vs model (6, 512)")

    monkeypatch.setattr(checkpointing, "check_shapes", shapes)
    fake = SimpleNamespace(cfg=SimpleNamespace(TRAINER=SimpleNamespace(NAME="MedPromptCLIP")), device="cpu",
                           _models={"prompt_learner": None}, _check_meta=lambda *_a: None)
    with pytest.raises(CheckpointMismatchError, match="made by the trainer CoOp, not MedPromptCLIP"):
        CheckpointMixin._read_fitting_checkpoint(fake, "prompt_learner", path)
