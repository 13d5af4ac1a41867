"""benchmarks/gpu.sh: without a CUDA device it says so and exits 0; its code runs on the CPU (tiny model,
fp32) so that it is ready when a GPU is there."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
from e2e import REPO, needs_dassl


def test_without_cuda_it_says_so_and_exits_0():
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: the no-GPU branch cannot be taken here")
    # the interpreter running the tests, not whichever `python` is first on PATH
    proc = subprocess.run(["bash", "benchmarks/gpu.sh"], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stderr
    assert "No CUDA device here" in proc.stdout


def test_the_benchmark_code_runs_on_cpu(native_dir, tmp_path):
    needs_dassl()
    out = tmp_path / "gpu.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.gpu", "--device", "cpu", "--trainers", "MedPromptCLIP", "MedPromptCLIP_CoOp",
         "--backbones", f"local-dir:{native_dir}", "--steps", "2", "--images", "4", "--batch", "4", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    text = out.read_text()
    assert "| MedPromptCLIP " in text and "| MedPromptCLIP_CoOp " in text  # the stacked run found its init
    speed = [line for line in text.splitlines() if line.startswith(f"| local-dir:{native_dir}")]
    assert len(speed) == 1 and speed[0].split("|")[2].strip() == "fp32"
    assert float(speed[0].split("|")[3]) > 0 and float(speed[0].split("|")[4]) > 0  # steps/s, images/s
