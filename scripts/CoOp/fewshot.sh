#!/usr/bin/env bash
# CoOp under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/CoOp/fewshot.sh --help.   DATA=/data scripts/CoOp/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method CoOp fewshot "$@"
