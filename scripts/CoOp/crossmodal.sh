#!/usr/bin/env bash
# CoOp under the crossmodal protocol (scripts/crossmodal.sh). Usage, with the publisher's own positional form where it
# has one: scripts/CoOp/crossmodal.sh --help.   DATA=/data scripts/CoOp/crossmodal.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method CoOp crossmodal "$@"
