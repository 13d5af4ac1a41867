#!/usr/bin/env bash
# ZeroshotCLIP under the zeroshot protocol: see scripts/zeroshot.sh.   DATA=/data scripts/ZeroshotCLIP/zeroshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../zeroshot.sh" ZeroshotCLIP "$@"
