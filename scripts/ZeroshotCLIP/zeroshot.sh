#!/usr/bin/env bash
# ZeroshotCLIP under the zeroshot protocol (scripts/zeroshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/ZeroshotCLIP/zeroshot.sh --help.   DATA=/data scripts/ZeroshotCLIP/zeroshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method ZeroshotCLIP zeroshot "$@"
