#!/usr/bin/env bash
# ZeroshotDescriptions under the zeroshot protocol: see scripts/zeroshot.sh.   DATA=/data scripts/ZeroshotDescriptions/zeroshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../zeroshot.sh" ZeroshotDescriptions "$@"
