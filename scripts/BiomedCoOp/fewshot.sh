#!/usr/bin/env bash
# BiomedCoOp under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/BiomedCoOp/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" BiomedCoOp "$@"
