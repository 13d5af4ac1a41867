#!/usr/bin/env bash
# CLIPAdapter under the base2new protocol: see scripts/base2new.sh.   DATA=/data scripts/CLIPAdapter/base2new.sh CONFIG DATASET [KEY VALUE ...]
exec "$(dirname "$0")/../base2new.sh" CLIPAdapter "$@"
