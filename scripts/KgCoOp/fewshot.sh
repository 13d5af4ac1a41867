#!/usr/bin/env bash
# KgCoOp under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/KgCoOp/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" KgCoOp "$@"
