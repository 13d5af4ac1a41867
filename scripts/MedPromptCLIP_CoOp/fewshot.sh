#!/usr/bin/env bash
# MedPromptCLIP_CoOp under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/MedPromptCLIP_CoOp/fewshot.sh --help.   DATA=/data scripts/MedPromptCLIP_CoOp/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
STACK_ON=${STACK_ON:-MedPromptCLIP} run_method MedPromptCLIP_CoOp fewshot "$@"
