#!/usr/bin/env bash
# CoCoOp under the base2new protocol (scripts/base2new.sh). Usage, with the publisher's own positional form where it
# has one: scripts/CoCoOp/base2new.sh --help.   DATA=/data scripts/CoCoOp/base2new.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method CoCoOp base2new "$@"
