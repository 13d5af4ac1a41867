#!/usr/bin/env bash
# MedPromptCLIP under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/MedPromptCLIP/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" MedPromptCLIP "$@"
