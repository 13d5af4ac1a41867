#!/usr/bin/env bash
# CoCoOp under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/CoCoOp/fewshot.sh --help.   DATA=/data scripts/CoCoOp/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method CoCoOp fewshot "$@"
