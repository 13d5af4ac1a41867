#!/usr/bin/env bash
# MedPromptCLIP_CoOp under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/MedPromptCLIP_CoOp/fewshot.sh CONFIG DATASET [KEY VALUE ...]
STACK_ON=${STACK_ON:-MedPromptCLIP} exec "$(dirname "$0")/../fewshot.sh" MedPromptCLIP_CoOp "$@"
