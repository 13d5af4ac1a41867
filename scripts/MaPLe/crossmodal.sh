#!/usr/bin/env bash
# MaPLe under the crossmodal protocol (scripts/crossmodal.sh). Usage, with the publisher's own positional form where it
# has one: scripts/MaPLe/crossmodal.sh --help.   DATA=/data scripts/MaPLe/crossmodal.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method MaPLe crossmodal "$@"
