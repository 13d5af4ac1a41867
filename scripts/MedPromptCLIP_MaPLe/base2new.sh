#!/usr/bin/env bash
# MedPromptCLIP_MaPLe under the base2new protocol (scripts/base2new.sh). Usage, with the publisher's own positional form where it
# has one: scripts/MedPromptCLIP_MaPLe/base2new.sh --help.   DATA=/data scripts/MedPromptCLIP_MaPLe/base2new.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
STACK_ON=${STACK_ON:-MedPromptCLIP} run_method MedPromptCLIP_MaPLe base2new "$@"
