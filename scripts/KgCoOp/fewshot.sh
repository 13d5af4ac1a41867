#!/usr/bin/env bash
# KgCoOp under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/KgCoOp/fewshot.sh --help.   DATA=/data scripts/KgCoOp/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method KgCoOp fewshot "$@"
