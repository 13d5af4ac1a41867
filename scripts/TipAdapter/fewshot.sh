#!/usr/bin/env bash
# TipAdapter under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/TipAdapter/fewshot.sh --help.   DATA=/data scripts/TipAdapter/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method TipAdapter fewshot "$@"
