#!/usr/bin/env bash
# MedPromptCLIP_MaPLe under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/MedPromptCLIP_MaPLe/fewshot.sh CONFIG DATASET [KEY VALUE ...]
STACK_ON=${STACK_ON:-MedPromptCLIP} exec "$(dirname "$0")/../fewshot.sh" MedPromptCLIP_MaPLe "$@"
