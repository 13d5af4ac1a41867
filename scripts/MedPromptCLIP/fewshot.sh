#!/usr/bin/env bash
# MedPromptCLIP under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/MedPromptCLIP/fewshot.sh --help.   DATA=/data scripts/MedPromptCLIP/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method MedPromptCLIP fewshot "$@"
