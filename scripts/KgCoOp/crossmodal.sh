#!/usr/bin/env bash
# KgCoOp under the crossmodal protocol (scripts/crossmodal.sh). Usage, with the publisher's own positional form where it
# has one: scripts/KgCoOp/crossmodal.sh --help.   DATA=/data scripts/KgCoOp/crossmodal.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method KgCoOp crossmodal "$@"
