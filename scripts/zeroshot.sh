#!/usr/bin/env bash
# Zero-shot protocol: no training image is used. Training-free methods evaluate at once; text-only
# methods (MedPromptCLIP) train on text alone. Output: $OUTPUT/zeroshot/DATASET/shots_0/METHOD/CONFIG/seed<S>/
#   DATA=/data scripts/zeroshot.sh METHOD CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/common.sh"
parse_args "$@"
if [ "${DRY_RUN:-0}" != 1 ] && ! "$PYTHON" "$REPO/scripts/run_state.py" text-only "$METHOD"; then
    echo "$METHOD trains on images: it has no zero-shot protocol (use fewshot.sh)" >&2; exit 2
fi
for seed in $SEEDS; do
    train "$METHOD" "$DATASET" "$seed" "$(run_dir zeroshot "$DATASET" 0 "$METHOD" "$seed")" \
        "${OPTS[@]}" DATASET.NUM_SHOTS -1
done
