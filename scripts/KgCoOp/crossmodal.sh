#!/usr/bin/env bash
# KgCoOp under the crossmodal protocol: see scripts/crossmodal.sh.   DATA=/data scripts/KgCoOp/crossmodal.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../crossmodal.sh" KgCoOp "$@"
