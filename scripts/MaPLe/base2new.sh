#!/usr/bin/env bash
# MaPLe under the base2new protocol (scripts/base2new.sh). Usage, with the publisher's own positional form where it
# has one: scripts/MaPLe/base2new.sh --help.   DATA=/data scripts/MaPLe/base2new.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method MaPLe base2new "$@"
