#!/usr/bin/env bash
# GPU check and benchmark (benchmarks/gpu.py): every trainer in fp32/fp16/bf16 on a tiny tree, then
# MedPromptCLIP training and image encoding speed for ViT-B-16 and ViT-L-14. Without a CUDA device it
# says so and exits 0. Arguments go to gpu.py (e.g. --out benchmarks/gpu_results.md).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python}" -m benchmarks.gpu "$@"
