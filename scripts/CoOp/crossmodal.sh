#!/usr/bin/env bash
# CoOp under the crossmodal protocol: see scripts/crossmodal.sh.   DATA=/data scripts/CoOp/crossmodal.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../crossmodal.sh" CoOp "$@"
