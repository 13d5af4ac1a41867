"""Through the real train.py: a held output folder, an unfinished run as --model-dir or INIT_FROM, a
class-bound head asked for base-to-new with equal base and new class counts, a file as --output-dir, and
an unchecked key: each one message, before any data is read."""

from __future__ import annotations

import pytest

import tiny_data
import tiny_models
from e2e import TINY_OPTS, needs_dassl, run_script

from medprompt.utils import folder_lock

needs_dassl()

DATASET = "BTMRI"  # 4 classes: 2 base, 2 new


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("run_inputs")
    w = {"root": root, "data": root / "data", "out": root / "out", "model": tiny_models.write_local_dir(root / "m")}
    tiny_data.write_tiny_dataset(w["data"], DATASET, per_class=3)
    return w


def args(w, name, trainer="CoOp", *extra, flags=()):
    return ["--root", w["data"], "--seed", "1", "--trainer", trainer, "--config", "vit_b16",
            "--dataset-config-file", f"configs/datasets/{DATASET}.yaml", "--backbone", f"local-dir:{w['model']}",
            "--output-dir", w["out"] / name if isinstance(name, str) else name, *flags, *TINY_OPTS,
            "MODEL.CACHE_DIR", "none", "OPTIM.WARMUP_EPOCH", "0", *extra]


def refused(result, *words):
    status, out = result
    assert status != 0 and "Traceback" not in out, out[-3000:]
    for word in words:
        assert word in out, f"{word!r} not in:\n{out[-3000:]}"
    assert "Loading backbone" not in out and "Loading dataset" not in out  # refused before any of it
    return out


def test_unfinished_runs_are_refused_as_inputs(world):
    killed = run_script("tests/kill_after_epoch.py", ["1", *args(world, "killed", "CoOp", "OPTIM.MAX_EPOCH", "3")])
    assert killed[0] == -9, killed[1][-2000:]
    folder = world["out"] / "killed"
    refused(run_script("train.py", args(world, "eval", flags=("--eval-only", "--model-dir", folder))),
            f"--model-dir {folder} is not a finished run", "training did not finish")
    refused(run_script("train.py", args(world, "stack", "MedPromptCLIP_CoOp", "TRAINER.STACKING.INIT_FROM", folder)),
            f"TRAINER.STACKING.INIT_FROM {folder} is not a finished run")


def test_a_class_bound_head_refuses_base_to_new_with_equal_counts(world):
    base = world["out"] / "tip_base"
    status, out = run_script("train.py", args(world, "tip_base", "TipAdapter", "DATASET.SUBSAMPLE_CLASSES", "base",
                                              "TRAINER.TIP_ADAPTER.SEARCH_STEP", "[2, 2]"))
    assert status == 0, out[-3000:]
    refused(run_script("train.py", args(world, "tip_new", "TipAdapter", "DATASET.SUBSAMPLE_CLASSES", "new",
                                        flags=("--eval-only", "--model-dir", base))),
            "TipAdapter cannot evaluate a model trained on BTMRI, base classes on BTMRI, new classes")


def test_a_held_output_folder_and_a_file_as_output_folder(world):
    held = world["out"] / "held"
    with folder_lock.holding(held, "another train.py"):
        refused(run_script("train.py", args(world, held)), f"{held} is in use by another train.py")
    afile = world["root"] / "afile"
    afile.write_text("x")
    refused(run_script("train.py", args(world, afile)), f"OUTPUT_DIR = '{afile}' is not allowed", "is a file")


def test_an_unchecked_key_is_refused_at_start(world):
    refused(run_script("train.py", args(world, "mpc", "MedPromptCLIP", "TRAINER.MEDPROMPTCLIP.LOSS_SCALE", "-1000.0")),
            "TRAINER.MEDPROMPTCLIP.LOSS_SCALE = -1000.0 is not allowed", "> 0")
