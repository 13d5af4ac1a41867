#!/usr/bin/env bash
# BiomedCoOp under the base2new protocol (scripts/base2new.sh). Usage, with the publisher's own positional form where it
# has one: scripts/BiomedCoOp/base2new.sh --help.   DATA=/data scripts/BiomedCoOp/base2new.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method BiomedCoOp base2new "$@"
