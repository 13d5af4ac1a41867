#!/usr/bin/env bash
# CoOp under the base2new protocol (scripts/base2new.sh). Usage, with the publisher's own positional form where it
# has one: scripts/CoOp/base2new.sh --help.   DATA=/data scripts/CoOp/base2new.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method CoOp base2new "$@"
