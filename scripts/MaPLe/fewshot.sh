#!/usr/bin/env bash
# MaPLe under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/MaPLe/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" MaPLe "$@"
