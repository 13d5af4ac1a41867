#!/usr/bin/env bash
# Few-shot protocol: K shots per class (SHOTS, default 1 2 4 8 16) x seeds (SEEDS, default 1 2 3); the
# K-shot sample of a seed is the same for every method. Output:
# $OUTPUT/fewshot/DATASET/shots_<K>/METHOD/CONFIG/seed<S>/
#   DATA=/data scripts/fewshot.sh METHOD CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/common.sh"
run_protocol fewshot "$@"
