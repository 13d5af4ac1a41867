#!/usr/bin/env bash
# Cross-modal protocol: train once on DATASET (for MedPromptCLIP: on the description file its config
# names, e.g. llm_descriptions/multimodal_eye.json), then evaluate the same model with no further
# training on every dataset of TARGETS (default: f1000images OCT_C8 OCTDL ODIR_3x200 FFA SLO).
# SHOTS (default 0 = no images for text-only methods, all images otherwise). Output:
# $OUTPUT/crossmodal/<dataset>/shots_<K>/METHOD/CONFIG/seed<S>/ for DATASET and every target.
#   DATA=/data scripts/crossmodal.sh MedPromptCLIP crossmodal_pmc_vit_l14 FFA [KEY VALUE ...]
source "$(dirname "$0")/common.sh"
run_protocol crossmodal "$@"
