#!/usr/bin/env bash
# ProGrad under the base2new protocol (scripts/base2new.sh). Usage, with the publisher's own positional form where it
# has one: scripts/ProGrad/base2new.sh --help.   DATA=/data scripts/ProGrad/base2new.sh CONFIG DATASET [KEY VALUE ...]
source "$(dirname "$0")/../common.sh"
run_method ProGrad base2new "$@"
