#!/usr/bin/env bash
# CLIPAdapter under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/CLIPAdapter/fewshot.sh --help.   DATA=/data scripts/CLIPAdapter/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method CLIPAdapter fewshot "$@"
