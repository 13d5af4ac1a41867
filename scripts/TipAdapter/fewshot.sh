#!/usr/bin/env bash
# TipAdapter under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/TipAdapter/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" TipAdapter "$@"
