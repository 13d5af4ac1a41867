#!/usr/bin/env bash
# ProGrad under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/ProGrad/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" ProGrad "$@"
