#!/usr/bin/env bash
# BiomedCoOp under the base2new protocol: see scripts/base2new.sh.   DATA=/data scripts/BiomedCoOp/base2new.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../base2new.sh" BiomedCoOp "$@"
