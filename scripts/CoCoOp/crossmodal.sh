#!/usr/bin/env bash
# CoCoOp under the crossmodal protocol (scripts/crossmodal.sh). Usage, with the publisher's own positional form where it
# has one: scripts/CoCoOp/crossmodal.sh --help.   DATA=/data scripts/CoCoOp/crossmodal.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method CoCoOp crossmodal "$@"
