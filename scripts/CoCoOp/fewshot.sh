#!/usr/bin/env bash
# CoCoOp under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/CoCoOp/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" CoCoOp "$@"
