#!/usr/bin/env bash
# MedPromptCLIP under the zeroshot protocol: see scripts/zeroshot.sh.   DATA=/data scripts/MedPromptCLIP/zeroshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../zeroshot.sh" MedPromptCLIP "$@"
