#!/usr/bin/env bash
# MaPLe under the crossmodal protocol: see scripts/crossmodal.sh.   DATA=/data scripts/MaPLe/crossmodal.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../crossmodal.sh" MaPLe "$@"
