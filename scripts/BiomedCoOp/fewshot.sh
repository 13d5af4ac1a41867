#!/usr/bin/env bash
# BiomedCoOp under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/BiomedCoOp/fewshot.sh --help.   DATA=/data scripts/BiomedCoOp/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method BiomedCoOp fewshot "$@"
