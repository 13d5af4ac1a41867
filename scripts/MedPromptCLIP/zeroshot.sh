#!/usr/bin/env bash
# MedPromptCLIP under the zeroshot protocol (scripts/zeroshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/MedPromptCLIP/zeroshot.sh --help.   DATA=/data scripts/MedPromptCLIP/zeroshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method MedPromptCLIP zeroshot "$@"
