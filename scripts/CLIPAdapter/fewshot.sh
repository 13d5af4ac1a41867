#!/usr/bin/env bash
# CLIPAdapter under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/CLIPAdapter/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" CLIPAdapter "$@"
