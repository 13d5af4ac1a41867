#!/usr/bin/env bash
# TipAdapterF under the fewshot protocol (scripts/fewshot.sh). Usage, with the publisher's own positional form where it
# has one: scripts/TipAdapterF/fewshot.sh --help.   DATA=/data scripts/TipAdapterF/fewshot.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method TipAdapterF fewshot "$@"
