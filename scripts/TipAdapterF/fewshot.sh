#!/usr/bin/env bash
# TipAdapterF under the fewshot protocol: see scripts/fewshot.sh.   DATA=/data scripts/TipAdapterF/fewshot.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../fewshot.sh" TipAdapterF "$@"
