#!/usr/bin/env bash
# MedPromptCLIP_FewShot (MedPromptCLIP's published few-shot stage) under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/MedPromptCLIP_FewShot/fewshot.sh CONFIG DATASET [KEY VALUE ...]
STACK_ON=${STACK_ON:-MedPromptCLIP} exec "$(dirname "$0")/../fewshot.sh" MedPromptCLIP_FewShot "$@"
