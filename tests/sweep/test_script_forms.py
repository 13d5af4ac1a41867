"""The per-method scripts take this project's `CONFIG DATASET [KEY VALUE ...]` and the publisher's own
positional form, and print their own usage when called wrongly (dry runs: DRY_RUN=1 prints the commands)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from medprompt.utils.paths import REPO


from medprompt.sweep.script_forms import FORMS, shell  # noqa: E402

SCRIPTS = sorted(p for p in (REPO / "scripts").glob("*/*.sh") if p.parent.name != "slurm")


def run(script: str, *args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    full = {k: v for k, v in os.environ.items() if k not in ("CONFIG", "SEEDS", "SHOTS", "TARGETS")}
    full.update(DATA=str(data), OUTPUT=str(tmp_path / "out"), DRY_RUN="1", PYTHON=sys.executable, **env)
    return subprocess.run(["bash", str(REPO / script), *args], capture_output=True, text=True, env=full, timeout=120)


def commands(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line.startswith("Would run: ")]


def test_coop_main_sh_form_runs_with_its_class_token_position(tmp_path):
    """CoOp's scripts/coop/main.sh: DATASET CFG CTP NCTX SHOTS CSC, seeds 1 2 3."""
    lines = commands(run("scripts/CoOp/fewshot.sh", "BTMRI", "rn50", "middle", "8", "2", "True", tmp_path=tmp_path))
    assert len(lines) == 3 and all("--config rn50" in line and "shots_2/CoOp/rn50/seed" in line for line in lines)
    for words in ("TRAINER.COOP.CLASS_TOKEN_POSITION middle", "TRAINER.COOP.N_CTX 8", "TRAINER.COOP.CSC True",
                  "DATASET.NUM_SHOTS 2"):
        assert all(words in line for line in lines), words


def test_own_form_still_runs(tmp_path):
    lines = commands(run("scripts/CoOp/fewshot.sh", "vit_b16", "BTMRI", "OPTIM.MAX_EPOCH", "5", tmp_path=tmp_path,
                         SEEDS="1", SHOTS="4"))
    assert len(lines) == 1 and "OPTIM.MAX_EPOCH 5" in lines[0] and "shots_4/CoOp/vit_b16/seed1" in lines[0]


@pytest.mark.parametrize("script,args,words", [
    ("scripts/MaPLe/base2new.sh", ["BTMRI", "2"], ["--seed 2", "shots_16/MaPLe/vit_b16/seed2", "SUBSAMPLE_CLASSES base"]),
    ("scripts/CoCoOp/base2new.sh", ["BTMRI", "3"], ["--seed 3", "shots_16/CoCoOp/vit_b16/seed3"]),
    ("scripts/KgCoOp/base2new.sh", ["BTMRI", "4.0"], ["TRAINER.KGCOOP.LAMBDA 4.0", "TRAINER.KGCOOP.N_CTX 4"]),
])
def test_dataset_seed_forms_run(tmp_path, script, args, words):
    """MaPLe's and CoCoOp's DATASET SEED, KgCoOp's DATASET WEIGHT; CONFIG replaces the config they fix."""
    lines = commands(run(script, *args, tmp_path=tmp_path, CONFIG="vit_b16"))
    assert lines and all(w in lines[0] for w in words), lines[0]


@pytest.mark.parametrize("key", sorted(FORMS), ids=lambda k: "/".join(k))
def test_fixed_config_is_the_publishers(key):
    form = FORMS[key]
    argv = {"DATASET": "BTMRI", "SEED": "1", "WEIGHT": "8.0", "CFG": "rn50_ep50", "CTP": "end", "NCTX": "16",
            "SHOTS": "16", "CSC": "False"}
    code = shell(*key, [argv[a] for a in form.args], {})
    expected = form.config or "rn50_ep50"
    assert code.splitlines()[0].startswith(f"set -- {expected} BTMRI"), code
    assert ("export SEEDS=1" in code) == ("SEED" in form.args)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_wrong_call_prints_the_scripts_own_usage(script, tmp_path):
    rel = str(script.relative_to(REPO))
    result = run(rel, "BTMRI", tmp_path=tmp_path)  # one argument: no form takes it
    assert result.returncode == 2
    assert f"usage: {REPO / rel} CONFIG DATASET" in result.stderr
    assert "METHOD" not in result.stderr  # not the generic protocol script's usage
    form = FORMS.get((script.parent.name, script.stem))
    if form:
        assert " ".join(form.args) in result.stderr and form.source in result.stderr


def test_bad_positional_value_names_the_argument_and_the_closest_word(tmp_path):
    result = run("scripts/CoOp/fewshot.sh", "BTMRI", "rn50", "midle", "16", "1", "False", tmp_path=tmp_path)
    assert result.returncode == 2 and "CTP 'midle'" in result.stderr and "did you mean 'middle'" in result.stderr


def test_help_exits_0(tmp_path):
    result = run("scripts/MaPLe/base2new.sh", "--help", tmp_path=tmp_path)
    assert result.returncode == 0 and "DATASET SEED" in result.stdout
