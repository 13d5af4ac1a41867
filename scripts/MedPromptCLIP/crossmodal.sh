#!/usr/bin/env bash
# MedPromptCLIP under the crossmodal protocol (scripts/crossmodal.sh). Usage, with the publisher's own positional form where it
# has one: scripts/MedPromptCLIP/crossmodal.sh --help.   DATA=/data scripts/MedPromptCLIP/crossmodal.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method MedPromptCLIP crossmodal "$@"
