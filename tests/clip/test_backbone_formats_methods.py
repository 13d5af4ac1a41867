"""The methods on the towers the publishers' formats bring: FLAIR's two-tower model (torchvision ResNet-50,
BERT pooled over layers) and PMC-CLIP RN50 (open_clip ModifiedResNet, BERT pooler output) run every
text-prompt method, the zero-shot trainers and the feature heads through train.py; MaPLe refuses their CNN
and MedCLIP's Swin image towers at start; on a transformers CLIP folder (a ViT) MaPLe trains."""

from __future__ import annotations

import pytest

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

import publisher_files  # noqa: E402
import tiny_data  # noqa: E402
from medprompt.utils.errors import UserError  # noqa: E402
from medprompt.results import read_run  # noqa: E402
from baseline_runs import build, run_train_py, train_args  # noqa: E402

ALL_METHODS = ["CoOp", "CoCoOp", "KgCoOp", "ProGrad", "BiomedCoOp", "MedPromptCLIP", "LinearProbe", "CLIPAdapter",
               "TipAdapter", "TipAdapterF", "TextLinearProbe"]
ZERO_SHOT = ["ZeroshotCLIP", "ZeroshotDescriptions"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    tiny_data.write_tiny_dataset(root / "data", "BTMRI", per_class=2)
    tiny_data.write_tiny_dataset(root / "pneumonia", "Pneumonia", per_class=2)
    return {"root": root, "flair": publisher_files.write_flair(root / "flair"),
            "pmc-clip-rn50": publisher_files.write_pmc_clip_rn50(root / "pmc"),
            "medclip": publisher_files.write_medclip(root / "medclip"),
            "hf-clip": publisher_files.write_hf_clip(root / "hf-clip")}


def _run(folders, backbone, trainer, tmp_path, *opts, dataset="BTMRI", data="data", flags=()):
    argv = train_args(trainer, folders[backbone], folders["root"] / data, tmp_path / "out", tmp_path / "cache",
                      "DATASET.NUM_SHOTS", "2", "TRAINER.TIP_ADAPTER.SEARCH_STEP", "[20, 20]",
                      "TRAINER.MEDPROMPTCLIP.DEPTH", "3", *opts, dataset=dataset, flags=flags)
    run_train_py(argv)
    run = read_run(tmp_path / "out")
    assert run.finished, run.reason
    assert 0 <= run.metrics["accuracy"] <= 100 and "macro_f1" in run.metrics


RUNS = [("flair", m) for m in ALL_METHODS + ZERO_SHOT] + [("pmc-clip-rn50", m) for m in ["CoOp", "CoCoOp", "BiomedCoOp"]]


@pytest.mark.parametrize("backbone,trainer", RUNS)
def test_methods_train_and_evaluate(folders, backbone, trainer, tmp_path):
    flags = ("--eval-only",) if trainer in ZERO_SHOT else ()
    _run(folders, backbone, trainer, tmp_path, flags=flags)


def test_vip_trains_on_a_two_tower_backbone(folders, tmp_path):
    _run(folders, "flair", "ViP", tmp_path, dataset="Pneumonia", data="pneumonia")


@pytest.mark.parametrize("backbone,tower", [("flair", "CNNImageTower"), ("pmc-clip-rn50", "ModifiedResNet"),
                                            ("medclip", "SwinImageTower")])
def test_maple_refuses_image_towers_without_a_token_sequence(folders, backbone, tower, tmp_path):
    argv = train_args("MaPLe", folders[backbone], folders["root"] / "data", tmp_path / "out", tmp_path / "cache")
    with pytest.raises(UserError, match=f"Vision prompts need a ViT image tower.*{tower}"):
        build(argv)


def test_maple_trains_on_a_transformers_clip_folder(folders, tmp_path):
    _run(folders, "hf-clip", "MaPLe", tmp_path, "TRAINER.MAPLE.DEPTH", "2")


def test_the_gpu_benchmark_times_publisher_backbones_by_short_name(folders, tmp_path):
    """python -m benchmarks.gpu on the CPU: FLAIR by its short name from the download folder; --published lists
    the others, whose files are not here, as not found."""
    import os
    import shutil
    import subprocess
    import sys

    from e2e import REPO

    shutil.copytree(folders["flair"], tmp_path / "cache" / "backbones" / "flair")
    publisher_files.fill_hub_cache(tmp_path / "hf", "emilyalsentzer/Bio_ClinicalBERT", folders["flair"])
    out = tmp_path / "gpu.md"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "MEDPROMPT_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "benchmarks.gpu", "--device", "cpu", "--skip-precisions", "--backbones",
                           "flair", "--published", "--steps", "1", "--images", "2", "--batch", "2", "--out", str(out)],
                          check=False, cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    rows = {line.split("|")[1].strip(): line for line in out.read_text().splitlines() if line.startswith("| ")}
    assert float(rows["flair"].split("|")[3]) > 0 and float(rows["flair"].split("|")[4]) > 0
    assert "not found" in rows["plip"] and "not found" in rows["quiltnet"]
