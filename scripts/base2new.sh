#!/usr/bin/env bash
# Base-to-new protocol: train on the base classes (first half of the labels, SHOTS shots, default 16),
# then evaluate the same model on the new classes with no further training. Output:
# $OUTPUT/base2new/train_base/DATASET/shots_<K>/METHOD/CONFIG/seed<S>/ and .../test_new/... (eval-only).
#   DATA=/data scripts/base2new.sh METHOD CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/common.sh"
parse_args "$@"
shots="${SHOTS:-16}"
for seed in $SEEDS; do
    base="$(run_dir base2new/train_base "$DATASET" "$shots" "$METHOD" "$seed")"
    stacked_train base2new/train_base "$DATASET" "$shots" "$seed" "$base" \
        "${OPTS[@]}" DATASET.NUM_SHOTS "$shots" DATASET.SUBSAMPLE_CLASSES base
    train "$METHOD" "$DATASET" "$seed" "$(run_dir base2new/test_new "$DATASET" "$shots" "$METHOD" "$seed")" \
        --eval-only --model-dir "$base" "${OPTS[@]}" DATASET.NUM_SHOTS "$shots" DATASET.SUBSAMPLE_CLASSES new
done
