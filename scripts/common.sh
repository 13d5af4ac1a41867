# Shared by the protocol scripts (sourced, not run): each is a thin wrapper over sweep.py, which holds the
# grid, the output layout and the skip/redo rules. Every protocol script takes
#   METHOD CONFIG DATASET [KEY VALUE ...]
# METHOD is a registered trainer, CONFIG a config name of it (<backbone> or <variant>_<backbone>: the layers
# of configs/backbones/ and configs/methods/, see medprompt/run/config_layers.py), DATASET names
# configs/datasets/DATASET.yaml; trailing KEY VALUE pairs go to every train.py call.
# Environment: DATA (data root, required), OUTPUT (default: output), SEEDS (default: 1 2 3), SHOTS,
# TARGETS, PYTHON (default: python), DRY_RUN=1 (print the train.py commands instead of running them),
# STACK_ON (a trainer whose run of the same protocol, dataset, shots, seed and CONFIG is made first and
# passed as TRAINER.STACKING.INIT_FROM; the MedPromptCLIP_* wrappers set it), SWEEP_ARGS (more sweep.py
# flags, e.g. "--jobs 4" or "--executor slurm --partition gpu").
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python}"

# run_method METHOD PROTOCOL ARG ...: a per-method script (scripts/<Method>/<protocol>.sh). It also takes the
# positional arguments of the publisher's own script (medprompt/sweep/script_forms.py turns them into the form
# above) and prints its own usage when called wrongly, or with --help.
run_method() {
    local method="$1" protocol="$2"; shift 2
    local code
    code="$(SCRIPT="$0" PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m medprompt.sweep.script_forms \
        "$method" "$protocol" "$@")" || exit $?
    case "${1:-}" in -h|--help) echo "$code"; exit 0 ;; esac
    eval "$code"
    run_protocol "$protocol" "$method" "$@"
}

usage() {
    echo "usage: $(basename "$0") METHOD CONFIG DATASET [KEY VALUE ...]  (environment: DATA, OUTPUT, SEEDS, ...)" >&2
    exit 2
}

# run_protocol PROTOCOL METHOD CONFIG DATASET [KEY VALUE ...]: the protocol's sweep of one method, config, dataset
run_protocol() {
    local protocol="$1"; shift
    [ "$#" -ge 3 ] || usage
    local method="$1" config="$2" dataset="$3"; shift 3
    local args=("$protocol" --methods "$method" --configs "$config" --datasets "$dataset" --output "${OUTPUT:-output}")
    # shellcheck disable=SC2206  # SEEDS, SHOTS, TARGETS and SWEEP_ARGS are word lists
    [ -z "${SEEDS:-}" ] || args+=(--seeds $SEEDS)
    [ -z "${SHOTS:-}" ] || args+=(--shots $SHOTS)
    [ -z "${TARGETS:-}" ] || args+=(--targets $TARGETS)
    [ -z "${STACK_ON:-}" ] || args+=(--stack-on "$STACK_ON")
    [ "${DRY_RUN:-0}" != 1 ] || args+=(--dry-run)
    exec "$PYTHON" "$REPO/sweep.py" "${args[@]}" ${SWEEP_ARGS:-} -- "$@"
}
