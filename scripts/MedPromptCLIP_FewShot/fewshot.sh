#!/usr/bin/env bash
# MedPromptCLIP_FewShot (MedPromptCLIP's published few-shot stage) under the fewshot protocol (scripts/fewshot.sh),
# stacked on a MedPromptCLIP run of the same config. Usage: scripts/MedPromptCLIP_FewShot/fewshot.sh --help.
#   DATA=/data scripts/MedPromptCLIP_FewShot/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
STACK_ON=${STACK_ON:-MedPromptCLIP} run_method MedPromptCLIP_FewShot fewshot "$@"
