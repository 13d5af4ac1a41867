"""One protocol for every method: the same few-shot sample, splits, transforms and evaluator for two
methods with the same seed; the protocol scripts' output tree, skipping of finished runs and redoing
of unfinished ones, and stacking order (the scripts wrap sweep.py; its own tests: tests/sweep/test_sweep.py)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest
import tiny_data
from baseline_runs import REPO, build, train_args

FINISHED_LOG = "** Arguments **\neval_only: False\n\nepoch [1/1] batch [1/1]\nFinish training\n" \
               "Evaluate on the *test* set\n=> result\n* total: 8\n* accuracy: 50.00%\n"
UNFINISHED_LOG = "** Arguments **\neval_only: False\n\nepoch [1/1] batch [1/1]\n"


def sample(trainer):
    ds = trainer.dm.dataset
    return {split: [(d.impath, d.label) for d in getattr(ds, split)] for split in ("train_x", "val", "test")}


def test_two_methods_with_the_same_seed_see_the_same_data(native_dir, tmp_path):
    pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")
    tiny_data.write_tiny_dataset(tmp_path / "data", "BTMRI", per_class=6)

    def make(name, seed, shots="2"):
        return build(train_args(name, native_dir, tmp_path / "data", tmp_path / f"{name}{seed}", tmp_path / "cache",
                                "DATASET.NUM_SHOTS", shots, "PUBLISHED_SETTINGS", "False", seed=seed))
    # generic settings: one transform for all; published layers give each method its publisher's (docs/PUBLISHED.md)

    coop, maple, probe = make("CoOp", 1), make("MaPLe", 1), make("LinearProbe", 1)
    assert sample(coop) == sample(maple) == sample(probe)
    assert len(sample(coop)["train_x"]) == 4 * 2
    for split in ("train_loader_x", "test_loader"):
        assert repr(getattr(coop, split).dataset.transform) == repr(getattr(maple, split).dataset.transform)
    assert type(coop.evaluator) is type(maple.evaluator) is type(probe.evaluator)
    assert sample(make("CoOp", 2))["train_x"] != sample(coop)["train_x"]  # the seed does pick the sample


def script(name, *args, env=None, check=True):
    full = {**os.environ, "PYTHON": sys.executable, "DRY_RUN": "1", **(env or {})}
    result = subprocess.run(["bash", str(REPO / "scripts" / name), *args], env=full, capture_output=True,
                            text=True, cwd=REPO)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def write_log(folder, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "log.txt").write_text(text)


def test_fewshot_script_tree_skips_finished_and_redoes_unfinished(tmp_path):
    out = tmp_path / "output"
    done = out / "fewshot" / "BTMRI" / "shots_1" / "CoOp" / "vit_b16" / "seed1"
    stale = out / "fewshot" / "BTMRI" / "shots_1" / "CoOp" / "vit_b16" / "seed2"
    write_log(done, FINISHED_LOG)
    write_log(stale, UNFINISHED_LOG)
    env = {"DATA": str(tmp_path), "OUTPUT": str(out), "SEEDS": "1 2", "SHOTS": "1 4"}
    lines = script("CoOp/fewshot.sh", "vit_b16", "BTMRI", "OPTIM.MAX_EPOCH", "1", env=env).stdout.splitlines()
    assert any(line.startswith("Skipping") and str(done) in line for line in lines)
    runs = [line for line in lines if line.startswith("Would run:")]
    assert len(runs) == 3  # 2 shots x 2 seeds, one finished
    assert any(f"--output-dir {stale} " in r and "DATASET.NUM_SHOTS 1" in r for r in runs)
    assert all("--trainer CoOp" in r and "--config vit_b16 " in r for r in runs)
    assert all(r.endswith(("DATASET.NUM_SHOTS 1", "DATASET.NUM_SHOTS 4")) and "OPTIM.MAX_EPOCH 1" in r for r in runs)


def test_unfinished_runs_keep_only_their_logs_and_resumable_checkpoints(tmp_path):
    from medprompt.results.runs import clear_unfinished, run_finished

    stale, done = tmp_path / "stale", tmp_path / "done"
    for folder, log in ((stale, UNFINISHED_LOG), (done, FINISHED_LOG)):
        write_log(folder, log)
        (folder / "prompt_learner").mkdir()
        (folder / "prompt_learner" / "checkpoint").write_text("model.pth.tar-1")
    (stale / "prompt_learner_2").mkdir()  # a learner whose latest checkpoint is on disk resumes
    (stale / "prompt_learner_2" / "checkpoint").write_text("resume.pth.tar\n")
    (stale / "prompt_learner_2" / "resume.pth.tar").write_bytes(b"PK")
    assert run_finished(done)[0] and not run_finished(stale)[0]
    for folder in (stale, done):
        clear_unfinished(folder)
    assert (stale / "log.txt").is_file() and not (stale / "prompt_learner").exists()
    assert (stale / "prompt_learner_2" / "resume.pth.tar").is_file()
    assert (done / "prompt_learner" / "checkpoint").is_file()


def test_base2new_script_stacks_and_evaluates_new_classes(tmp_path):
    out = tmp_path / "output"
    env = {"DATA": str(tmp_path), "OUTPUT": str(out), "SEEDS": "3"}
    runs = [line for line in script("MedPromptCLIP_CoOp/base2new.sh", "vit_b16", "BTMRI", env=env).stdout.splitlines()
            if line.startswith("Would run:")]
    assert len(runs) == 3
    mpc = out / "base2new" / "train_base" / "BTMRI" / "shots_16" / "MedPromptCLIP" / "vit_b16" / "seed3"
    base = out / "base2new" / "train_base" / "BTMRI" / "shots_16" / "MedPromptCLIP_CoOp" / "vit_b16" / "seed3"
    new = out / "base2new" / "test_new" / "BTMRI" / "shots_16" / "MedPromptCLIP_CoOp" / "vit_b16" / "seed3"
    assert f"--output-dir {mpc} " in runs[0] and "--trainer MedPromptCLIP " in runs[0]
    assert f"--output-dir {base} " in runs[1] and runs[1].endswith(f"TRAINER.STACKING.INIT_FROM {mpc}")
    assert f"--output-dir {new} " in runs[2] and f"--eval-only --model-dir {base}" in runs[2]
    assert "SUBSAMPLE_CLASSES base" in runs[1] and runs[2].endswith("DATASET.SUBSAMPLE_CLASSES new")


def test_crossmodal_script_trains_once_and_evaluates_every_target(tmp_path):
    out = tmp_path / "output"
    env = {"DATA": str(tmp_path), "OUTPUT": str(out), "SEEDS": "1"}
    runs = [line for line in script("MedPromptCLIP/crossmodal.sh", "crossmodal_pmc_vit_l14", "FFA", env=env)
            .stdout.splitlines() if line.startswith("Would run:")]
    targets = ["f1000images", "OCT_C8", "OCTDL", "ODIR_3x200", "SLO"]  # FFA is the training run itself
    assert len(runs) == 1 + len(targets)
    source = out / "crossmodal" / "FFA" / "shots_0" / "MedPromptCLIP" / "crossmodal_pmc_vit_l14" / "seed1"
    assert f"--output-dir {source} " in runs[0] and "--eval-only" not in runs[0]
    for target, run in zip(targets, runs[1:]):
        assert f"configs/datasets/{target}.yaml" in run and f"--eval-only --model-dir {source}" in run


def test_scripts_need_data_and_known_configs(tmp_path):
    missing = script("fewshot.sh", "CoOp", "vit_b16", "BTMRI", env={"DATA": ""}, check=False)
    assert missing.returncode == 2 and "Set DATA" in missing.stderr
    unknown = script("fewshot.sh", "CoOp", "no_such", "BTMRI", env={"DATA": str(tmp_path)}, check=False)
    assert unknown.returncode == 2 and "Unknown config 'no_such' for CoOp" in unknown.stderr



def readme_commands() -> list[list[str]]:
    """The hand-run train.py commands of the README's "Use it like CoOp" section, as argument lists."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands, current = [], None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("python train.py"):
            current = []
        if current is not None:
            current += line.rstrip("\\").split()
            if not line.endswith("\\"):
                commands.append(current[2:])  # drop "python train.py"
                current = None
    return commands


def test_readme_commands_are_what_the_protocol_script_runs(tmp_path):
    hand = readme_commands()
    assert len(hand) == 2
    env = {"DATA": "$DATA", "OUTPUT": "output", "SEEDS": "1"}
    (tmp_path / "$DATA").mkdir()
    result = subprocess.run(["bash", str(REPO / "scripts" / "base2new.sh"), "MedPromptCLIP", "pmc_vit_l14", "OCTDL"],
                            env={**os.environ, "PYTHON": sys.executable, "DRY_RUN": "1", **env},
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    runs = [shlex.split(line)[4:] for line in result.stdout.splitlines() if line.startswith("Would run:")]
    repo = f"{REPO}/"
    runs = [[arg.replace(repo, "") for arg in run] for run in runs]  # the script names files by full path
    assert runs == hand  # same flags, settings, order and output folders (shots_16 with NUM_SHOTS 16)
