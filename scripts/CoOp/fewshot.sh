#!/usr/bin/env bash
# CoOp under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/CoOp/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" CoOp "$@"
