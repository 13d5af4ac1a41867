#!/usr/bin/env bash
# Zero-shot protocol: no training image is used. Training-free methods evaluate at once; text-only
# methods (MedPromptCLIP) train on text alone. Output: $OUTPUT/zeroshot/DATASET/shots_0/METHOD/CONFIG/seed<S>/
#   DATA=/data scripts/zeroshot.sh METHOD CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/common.sh"
run_protocol zeroshot "$@"
