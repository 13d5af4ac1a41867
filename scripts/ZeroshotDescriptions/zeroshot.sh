#!/usr/bin/env bash
# ZeroshotDescriptions under the zeroshot protocol (scripts/zeroshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/ZeroshotDescriptions/zeroshot.sh --help.   DATA=/data scripts/ZeroshotDescriptions/zeroshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method ZeroshotDescriptions zeroshot "$@"
