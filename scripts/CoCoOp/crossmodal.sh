#!/usr/bin/env bash
# CoCoOp under the crossmodal protocol: see scripts/crossmodal.sh.   DATA=/data scripts/CoCoOp/crossmodal.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../crossmodal.sh" CoCoOp "$@"
