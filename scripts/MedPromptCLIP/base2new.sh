#!/usr/bin/env bash
# MedPromptCLIP under the base2new protocol (scripts/base2new.sh). Usage, with the publisher's own positional form where it
# has one: scripts/MedPromptCLIP/base2new.sh --help.   DATA=/data scripts/MedPromptCLIP/base2new.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method MedPromptCLIP base2new "$@"
