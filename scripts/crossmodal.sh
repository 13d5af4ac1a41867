#!/usr/bin/env bash
# Cross-modal protocol: train once on DATASET (for MedPromptCLIP: on the description file its config
# names, e.g. llm_descriptions/multimodal_eye.json), then evaluate the same model with no further
# training on every dataset of TARGETS (default: f1000images OCT_C8 OCTDL ODIR_3x200 FFA SLO).
# SHOTS (default 0 = no images for text-only methods, all images otherwise). Output:
# $OUTPUT/crossmodal/<dataset>/shots_<K>/METHOD/CONFIG/seed<S>/ for DATASET and every target.
#   DATA=/data scripts/crossmodal.sh MedPromptCLIP crossmodal_pmc_vit_l14 FFA [KEY VALUE ...]
source "$(dirname "$0")/common.sh"
parse_args "$@"
shots="${SHOTS:-0}"
num_shots="$shots"; [ "$shots" = 0 ] && num_shots=-1
targets="${TARGETS:-f1000images OCT_C8 OCTDL ODIR_3x200 FFA SLO}"
for target in $targets; do
    [ -f "$REPO/configs/datasets/$target.yaml" ] || { echo "No dataset config configs/datasets/$target.yaml" >&2; exit 2; }
done
for seed in $SEEDS; do
    source_dir="$(run_dir crossmodal "$DATASET" "$shots" "$METHOD" "$seed")"
    train "$METHOD" "$DATASET" "$seed" "$source_dir" "${OPTS[@]}" DATASET.NUM_SHOTS "$num_shots"
    for target in $targets; do
        [ "$target" = "$DATASET" ] && continue  # the training run already evaluated its own dataset
        train "$METHOD" "$target" "$seed" "$(run_dir crossmodal "$target" "$shots" "$METHOD" "$seed")" \
            --eval-only --model-dir "$source_dir" "${OPTS[@]}" DATASET.NUM_SHOTS -1
    done
done
