#!/usr/bin/env bash
# ProGrad under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/ProGrad/fewshot.sh --help.   DATA=/data scripts/ProGrad/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method ProGrad fewshot "$@"
