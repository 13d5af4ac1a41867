#!/usr/bin/env bash
# CLIPAdapter under the base2new protocol (scripts/base2new.sh). Usage, with the publisher's own positional form where it
# has one: scripts/CLIPAdapter/base2new.sh --help.   DATA=/data scripts/CLIPAdapter/base2new.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method CLIPAdapter base2new "$@"
