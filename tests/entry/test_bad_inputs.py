"""Bad inputs through the real entry points: one clear message, a non-zero exit, no traceback; plus the
warnings for settings that run but were probably not meant, a killed run that resumes, and cache keys
that see a changed split file.

Every case runs the entry-point script as __main__ in its own forked process (tests/entry_cases.py), so
the whole file pays the imports of torch, open_clip and Dassl once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tiny_data
import tiny_models
from e2e import REPO, TINY_OPTS, metrics, needs_dassl

needs_dassl()

DATASET = "BTMRI"  # 4 classes
CLASSES = ["glioma tumor", "meningioma tumor", "pituitary tumor", "normal brain"]


def train_args(w: dict, name: str, trainer: str = "CoOp", config: str = "vit_b16") -> list[str]:
    return ["--root", w["data"], "--seed", "1", "--trainer", trainer,
            "--dataset-config-file", f"configs/datasets/{DATASET}.yaml",
            "--config-file", f"configs/trainers/{trainer}/{config}.yaml",
            "--backbone", f"local-dir:{w['model']}", "--output-dir", w["out"] / name]


def opts(*extra) -> list[str]:
    return [*TINY_OPTS, "MODEL.CACHE_DIR", "none", "OPTIM.MAX_EPOCH", "1", "OPTIM.WARMUP_EPOCH", "0", *extra]


def mpc(w, name, *extra):
    return [*train_args(w, name, "MedPromptCLIP"), *opts(*extra)]


def descriptions(w, name, data) -> list[str]:
    path = w["root"] / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return ["TRAINER.MEDPROMPTCLIP.DESCRIPTIONS", str(path)]


# id -> (script, args(world), words the message must name, environment)
BAD = {
    "unknown-key-option": ("train.py", lambda w: [*train_args(w, "a"), *opts("TRAINER.COOP.NCTX", "4")],
                           ["TRAINER.COOP.NCTX"], {}),
    "wrong-type-option": ("train.py", lambda w: [*train_args(w, "a"), *opts("OPTIM.MAX_EPOCH", "ten")],
                          ["OPTIM.MAX_EPOCH", "ten"], {}),
    "odd-trailing-options": ("train.py", lambda w: [*train_args(w, "a"), *opts("OPTIM.LR")], ["KEY VALUE"], {}),
    "unknown-trainer": ("train.py", lambda w: [*train_args(w, "a", config="vit_b16"), "--trainer", "CoOpp", *opts()],
                        ["CoOpp", "CoOp"], {}),
    "unknown-dataset": ("train.py", lambda w: [*train_args(w, "a"), *opts("DATASET.NAME", "BTMRl")], ["BTMRl"], {}),
    "missing-config-file": ("train.py", lambda w: [*train_args(w, "a"), "--config-file", "configs/nope.yaml", *opts()],
                            ["configs/nope.yaml"], {}),
    "unknown-key-in-config-file": ("train.py", lambda w: [*train_args(w, "a"), "--config-file", w["bad_key_yaml"],
                                                          *opts()], ["OPTIM.LEARNING_RATE", "bad_key.yaml"], {}),
    "malformed-config-file": ("train.py", lambda w: [*train_args(w, "a"), "--config-file", w["broken_yaml"], *opts()],
                              ["broken.yaml"], {}),
    "precision": ("train.py", lambda w: [*train_args(w, "a"), *opts("MODEL.PRECISION", "fp64")],
                  ["MODEL.PRECISION", "fp64"], {}),
    "num-shots-zero": ("train.py", lambda w: [*train_args(w, "a"), *opts("DATASET.NUM_SHOTS", "0")],
                       ["DATASET.NUM_SHOTS"], {}),
    "subsample-value": ("train.py", lambda w: [*train_args(w, "a"), *opts("DATASET.SUBSAMPLE_CLASSES", "half")],
                        ["SUBSAMPLE_CLASSES", "half"], {}),
    "lr-scheduler": ("train.py", lambda w: [*train_args(w, "a"), *opts("OPTIM.LR_SCHEDULER", "wavy")],
                     ["LR_SCHEDULER", "wavy"], {}),
    "cocoop-class-specific": ("train.py", lambda w: [*train_args(w, "a", "CoCoOp"),
                                                     *opts("TRAINER.COCOOP.CSC", "True")],
                              ["TRAINER.COCOOP.CSC"], {}),
    "missing-dataset-root": ("train.py", lambda w: [*train_args(w, "a"), "--root", w["root"] / "no-data", *opts()],
                             ["no-data"], {}),
    "missing-images": ("train.py", lambda w: [*train_args(w, "a"), "--root", w["no_images"], *opts()],
                       ["test_0.png"], {}),
    "corrupt-image": ("train.py", lambda w: [*train_args(w, "a"), "--root", w["corrupt"], *opts()],
                      ["test_1.png"], {}),
    "unknown-backbone": ("train.py", lambda w: [*train_args(w, "a"), "--backbone", "vit-b61", *opts()],
                         ["vit-b61"], {}),
    "offline-hub-name": ("train.py", lambda w: [*train_args(w, "a"), "--backbone", "hf-hub:nobody/no-clip", *opts()],
                         ["nobody/no-clip", "local-dir:"], {"HF_HUB_OFFLINE": "1"}),
    "garbage-backbone-weights": ("train.py", lambda w: [*train_args(w, "a"), "--backbone", "ViT-B-16",
                                                        *opts("MODEL.BACKBONE.WEIGHTS", w["garbage"])],
                                 ["garbage.bin", "MODEL.BACKBONE.WEIGHTS"], {}),
    "descriptions-missing": ("train.py", lambda w: mpc(w, "a", "TRAINER.MEDPROMPTCLIP.DESCRIPTIONS",
                                                       w["root"] / "nowhere.json"), ["nowhere.json"], {}),
    "descriptions-broken-json": ("train.py", lambda w: mpc(w, "a", *descriptions(w, "broken.json", '{"glioma')),
                                 ["broken.json"], {}),
    "descriptions-empty": ("train.py", lambda w: mpc(w, "a", *descriptions(w, "empty.json", {})), ["empty.json"], {}),
    "descriptions-misspelled-class": (
        "train.py",
        lambda w: mpc(w, "a", *descriptions(w, "typo.json", {**{c: [f"an image of {c}"] for c in CLASSES[1:]},
                                                             "gliomma tumor": ["a bright mass"]})),
        ["gliomma tumor", "typo.json"], {}),
    "loss-name": ("train.py", lambda w: mpc(w, "a", "TRAINER.MEDPROMPTCLIP.LOSS", "l3"), ["l3"], {}),
    "stacking-init-missing": ("train.py", lambda w: [*train_args(w, "a", "MedPromptCLIP_CoOp"),
                                                     *opts("TRAINER.STACKING.INIT_FROM", w["root"] / "no-run")],
                              ["INIT_FROM", "no-run"], {}),
    "vip-symptoms-missing": ("train.py", lambda w: [*train_args(w, "a", "ViP"),
                                                    *opts("TRAINER.VIP.SYMPTOMS", w["root"] / "no-symptoms.json")],
                             ["no-symptoms.json"], {}),
    "eval-missing-model-dir": ("train.py", lambda w: [*train_args(w, "a"), "--eval-only", "--model-dir",
                                                      w["root"] / "never-trained", *opts()], ["never-trained"], {}),
    "eval-garbage-checkpoint": ("train.py", lambda w: [*train_args(w, "a"), "--eval-only", "--model-dir",
                                                       w["garbage_run"], *opts()], ["model-best.pth.tar"], {}),
    "eval-checkpoint-other-n-ctx": ("train.py", lambda w: [*train_args(w, "a"), "--eval-only", "--model-dir",
                                                           w["out"] / "trained", *opts("TRAINER.COOP.N_CTX", "8")],
                                    ["n_ctx", "model.pth.tar-1"], {}),
    "eval-checkpoint-other-backbone": ("train.py", lambda w: [*train_args(w, "a"), "--eval-only", "--model-dir",
                                                              w["out"] / "trained", "--backbone",
                                                              f"local-dir:{w['model2']}", *opts()],
                                       ["backbone", "model.pth.tar-1"], {}),
    "rerun-with-other-settings": ("train.py", lambda w: [*train_args(w, "trained"), *opts("OPTIM.LR", "0.5")],
                                  ["OPTIM.LR: 0.002 -> 0.5", "--overwrite"], {}),
    "results-missing-folder": ("parse_results.py", lambda w: [w["root"] / "no-output"], ["no-output"], {}),
    "results-no-layout": ("parse_results.py", lambda w: [w["out"]], ["seed<S>"], {}),
    "coop-parser-missing-folder": ("parse_test_res.py", lambda w: [w["root"] / "no-output"], ["no-output"], {}),
    "generate-unknown-dataset": ("generate_descriptions.py", lambda w: ["--dataset", "BTMRl", "--print-prompts"],
                                 ["BTMRl"], {}),
    "generate-unknown-question-set": ("generate_descriptions.py",
                                      lambda w: ["--dataset", DATASET, "--question-set", "no_such_set"],
                                      ["no_such_set"], {}),
    "generate-no-api-key": ("generate_descriptions.py", lambda w: ["--dataset", DATASET, "--model", "m",
                                                                   "--output-dir", w["root"] / "gen"],
                            ["OPENAI_API_KEY"], {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}),
    "explain-not-vip": ("explain_vip.py", lambda w: [*train_args(w, "a"), "--model-dir", w["out"] / "trained", *opts()],
                        ["ViP"], {}),
    "sweep-unknown-trainer": ("sweep.py", lambda w: ["fewshot", "--methods", "CoOpp", "--configs", "vit_b16",
                                                     "--datasets", DATASET, "--data", w["data"], "--dry-run"],
                              ["CoOpp"], {}),
    "sweep-unknown-config": ("sweep.py", lambda w: ["fewshot", "--methods", "CoOp", "--configs", "vit_b61",
                                                    "--datasets", DATASET, "--data", w["data"], "--dry-run"],
                             ["vit_b61", "vit_b16"], {}),
}

# settings that run, but not as written: the run finishes and says what it did instead
WARNED = ["CTX_INIT 'a photo' takes 2 tokens, not N_CTX=16", "TRAINER.COOP.DEPTH=9 but this text tower has 3 layers",
          "OPTIM.MAX_EPOCH (1) <= OPTIM.WARMUP_EPOCH (1)", "DATASET.NUM_SHOTS is 5", "glioma tumor (3)"]


def _world(root: Path) -> dict:
    w = {"root": root, "out": root / "out", "data": root / "data", "model": tiny_models.write_local_dir(root / "m1"),
         "model2": tiny_models.write_local_dir(root / "m2", seed=1)}
    tiny_data.write_tiny_dataset(w["data"], DATASET, per_class=3)
    no_images = tiny_data.write_tiny_dataset(root / "no_images", DATASET, per_class=3)
    for png in no_images.rglob("test_0.png"):
        png.unlink()
    corrupt = tiny_data.write_tiny_dataset(root / "corrupt", DATASET, per_class=3)
    next(corrupt.rglob("test_1.png")).write_bytes(b"not a png")
    w["no_images"], w["corrupt"] = root / "no_images", root / "corrupt"
    (root / "bad_key.yaml").write_text("OPTIM:\n  LEARNING_RATE: 0.1\n")
    (root / "broken.yaml").write_text("OPTIM: [LR: 0.1\n")
    (root / "garbage.bin").write_bytes(os.urandom(256))
    (root / "garbage_run" / "prompt_learner").mkdir(parents=True)
    (root / "garbage_run" / "prompt_learner" / "model-best.pth.tar").write_bytes(b"\x00garbage" * 32)
    w.update(bad_key_yaml=root / "bad_key.yaml", broken_yaml=root / "broken.yaml", garbage=root / "garbage.bin",
             garbage_run=root / "garbage_run")
    return w


def _resume_cases(w: dict) -> list[dict]:
    three = opts("OPTIM.MAX_EPOCH", "3", "DATALOADER.TRAIN_X.BATCH_SIZE", "4")
    return [
        {"id": "resume-full", "script": "train.py", "args": [*train_args(w, "full"), *three]},
        {"id": "resume-killed", "script": "tests/kill_after_epoch.py",
         "args": ["2", *train_args(w, "killed"), *three]},
        {"id": "resume-again", "script": "train.py", "args": [*train_args(w, "killed"), *three]},
    ]


def _cache_cases(w: dict) -> list[dict]:
    cache = ["MODEL.CACHE_DIR", w["root"] / "cache"]
    args = [*train_args(w, "zs1", "ZeroshotCLIP"), *TINY_OPTS, *cache]
    return [{"id": "cache-first", "script": "train.py", "args": args},
            {"id": "cache-relabelled", "script": "train.py", "args": [*train_args(w, "zs2", "ZeroshotCLIP"),
                                                                      *TINY_OPTS, *cache]}]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("bad_inputs")
    w = _world(root)
    setup = [
        {"id": "trained", "script": "train.py", "args": [*train_args(w, "trained"), *opts()]},
        {"id": "warned", "script": "train.py", "args": [
            *train_args(w, "warned"), *opts("TRAINER.COOP.CTX_INIT", "a photo", "TRAINER.COOP.DEPTH", "9",
                                            "OPTIM.WARMUP_EPOCH", "1", "DATASET.NUM_SHOTS", "5",
                                            "PUBLISHED_SETTINGS", "False")]},  # CoOp's generic N_CTX 16
    ]
    bad = [{"id": key, "script": script, "args": make(w), "env": env} for key, (script, make, _, env) in BAD.items()]
    batches = [setup + bad + _resume_cases(w) + _cache_cases(w)[:1], _cache_cases(w)[1:]]
    out = {}
    for number, cases in enumerate(batches):
        if number == 1:  # a corrected split file: the same test images, two of them now in each other's class
            split = next(w["data"].rglob("split_*.json"))
            data = json.loads(split.read_text())
            first = {lab: i for i, (_, lab, _) in reversed(list(enumerate(data["test"])))}
            a, b = data["test"][first[0]], data["test"][first[1]]
            a[1:], b[1:] = b[1:], a[1:]
            split.write_text(json.dumps(data))
        cases_file, results_file = root / f"cases{number}.json", root / f"results{number}.json"
        cases_file.write_text(json.dumps(cases, default=str))
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        subprocess.run([sys.executable, "-m", "tests.entry_cases", str(cases_file), str(results_file)],
                       cwd=REPO, env=env, check=True, timeout=900)
        out.update({r["id"]: r for r in json.loads(results_file.read_text())})
    out["world"] = w
    return out


def test_setup_run_finishes(results):
    assert results["trained"]["status"] == 0, results["trained"]["output"][-3000:]


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_gives_one_clear_error(results, case):
    result = results[case]
    output = result["output"]
    assert result["status"] != 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    for word in BAD[case][2]:
        assert word in output, f"{word!r} not in:\n{output[-3000:]}"


def test_settings_that_run_not_as_written_are_reported(results):
    result = results["warned"]
    assert result["status"] == 0, result["output"][-3000:]
    for warning in WARNED:
        assert warning in result["output"]
    log = (results["world"]["out"] / "warned" / "log.txt").read_text()
    assert "OPTIM.MAX_EPOCH (1) <= OPTIM.WARMUP_EPOCH (1)" in log and "CTX_INIT 'a photo'" in log


def test_killed_run_resumes_losing_at_most_one_epoch(results):
    killed, again = results["resume-killed"], results["resume-again"]
    assert killed["status"] == -9 and "Finish training" not in killed["output"]
    assert killed["output"].count("resume.pth.tar") == 2  # saved after epochs 1 and 2
    assert again["status"] == 0, again["output"][-3000:]
    assert "Resuming from" in again["output"] and "2 of 3 epochs done, continuing with epoch 3" in again["output"]
    assert "epoch [1/3]" not in again["output"] and "epoch [3/3]" in again["output"]
    out = results["world"]["out"]
    assert not (out / "killed" / "prompt_learner" / "resume.pth.tar").exists()  # replaced by the final checkpoint
    assert metrics(out / "killed") == metrics(out / "full")  # RNG, optimiser and schedule restored exactly


def test_image_cache_sees_relabelled_split_file(results):
    first, second = results["cache-first"], results["cache-relabelled"]
    assert first["status"] == 0 and second["status"] == 0, second["output"][-3000:]
    # the cache holds features only; labels come from the split file of each run (tests/run/test_cache_keys.py
    # shows the relabelled split's labels reach the evaluation), so the corrected file costs no encoding
    assert "Cached 12 test image features at" in first["output"]
    assert "Reused 12 cached test image features from" in second["output"]


def test_debug_variable_shows_the_traceback_of_a_user_mistake(tmp_path):
    """In a fresh interpreter, as users run it; the same mistake without the variable is the case
    'unknown-key-option' above (one line, status 2, no traceback)."""
    cmd = [sys.executable, "train.py", "--trainer", "CoOp", "--output-dir", str(tmp_path), "OPTIM.NO_SUCH_KEY", "1"]
    loud = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env={**os.environ, "MEDPROMPT_DEBUG": "1"})
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "OPTIM.NO_SUCH_KEY" in loud.stderr
