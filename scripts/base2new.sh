#!/usr/bin/env bash
# Base-to-new protocol: train on the base classes (first half of the labels, SHOTS shots, default 16),
# then evaluate the same model on the new classes with no further training. Output:
# $OUTPUT/base2new/train_base/DATASET/shots_<K>/METHOD/CONFIG/seed<S>/ and .../test_new/... (eval-only).
#   DATA=/data scripts/base2new.sh METHOD CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/common.sh"
run_protocol base2new "$@"
