#!/usr/bin/env bash
# MedPromptCLIP_CoOp under the base2new protocol: see scripts/base2new.sh.   DATA=/data scripts/MedPromptCLIP_CoOp/base2new.sh CONFIG DATASET [KEY VALUE ...]
STACK_ON=${STACK_ON:-MedPromptCLIP} exec "$(dirname "$0")/../base2new.sh" MedPromptCLIP_CoOp "$@"
