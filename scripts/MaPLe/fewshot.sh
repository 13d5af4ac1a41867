#!/usr/bin/env bash
# MaPLe under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/MaPLe/fewshot.sh --help.   DATA=/data scripts/MaPLe/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method MaPLe fewshot "$@"
