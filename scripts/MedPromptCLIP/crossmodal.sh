#!/usr/bin/env bash
# MedPromptCLIP under the crossmodal protocol: see scripts/crossmodal.sh.   DATA=/data scripts/MedPromptCLIP/crossmodal.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../crossmodal.sh" MedPromptCLIP "$@"
