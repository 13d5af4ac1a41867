#!/usr/bin/env bash
# LinearProbe under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/LinearProbe/fewshot.sh --help.   DATA=/data scripts/LinearProbe/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method LinearProbe fewshot "$@"
