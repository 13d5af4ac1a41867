#!/usr/bin/env bash
# LinearProbe under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/LinearProbe/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" LinearProbe "$@"
