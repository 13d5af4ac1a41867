#!/usr/bin/env bash
# TextLinearProbe under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/TextLinearProbe/fewshot.sh --help.   DATA=/data scripts/TextLinearProbe/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method TextLinearProbe fewshot "$@"
