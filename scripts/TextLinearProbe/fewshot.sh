#!/usr/bin/env bash
# TextLinearProbe under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/TextLinearProbe/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" TextLinearProbe "$@"
