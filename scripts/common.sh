# Shared by the protocol scripts (sourced, not run). Every protocol script takes
#   METHOD CONFIG DATASET [KEY VALUE ...]
# METHOD is a registered trainer, CONFIG a config name of it (<backbone> or <variant>_<backbone>: the layers
# of configs/backbones/ and configs/methods/, see medprompt/config_layers.py), DATASET names
# configs/datasets/DATASET.yaml; trailing KEY VALUE pairs go to every train.py call.
# Environment: DATA (data root, required), OUTPUT (default: output), SEEDS (default: 1 2 3),
# PYTHON (default: python), DRY_RUN=1 (print the train.py commands instead of running them),
# STACK_ON (a trainer whose run of the same protocol, dataset, shots, seed and CONFIG is made first and
# passed as TRAINER.STACKING.INIT_FROM; the MedPromptCLIP_* wrappers set it).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python}"
OUTPUT="${OUTPUT:-output}"
SEEDS="${SEEDS:-1 2 3}"

usage() {
    echo "usage: $(basename "$0") METHOD CONFIG DATASET [KEY VALUE ...]  (environment: DATA, OUTPUT, SEEDS, ...)" >&2
    exit 2
}

# parse_args METHOD CONFIG DATASET [opts...]: sets METHOD CONFIG DATASET OPTS and checks the inputs
parse_args() {
    [ "$#" -ge 3 ] || usage
    METHOD="$1"; CONFIG="$2"; DATASET="$3"; shift 3
    OPTS=("$@")
    if [ -z "${DATA:-}" ]; then
        echo "Set DATA to the folder that holds the datasets (e.g. DATA=/data/medical $0 ...)" >&2; exit 2
    fi
    [ -d "$DATA" ] || { echo "DATA=$DATA is not a folder" >&2; exit 2; }
    check_config "$METHOD"
    [ -f "$REPO/configs/datasets/$DATASET.yaml" ] || {
        echo "No dataset config configs/datasets/$DATASET.yaml" >&2; exit 2; }
    if [ -n "${STACK_ON:-}" ]; then check_config "$STACK_ON"; fi
}

check_config() {  # check_config TRAINER: CONFIG is a config name of that trainer (else the names it takes)
    PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m medprompt.config_layers "$1" "$CONFIG" >/dev/null || exit 2
}

# run_dir PROTOCOL DATASET SHOTS TRAINER SEED -> the seed folder of the output tree
run_dir() {
    echo "$OUTPUT/$1/$2/shots_$3/$4/$CONFIG/seed$5"
}

# train TRAINER DATASET SEED OUTDIR [train.py flags and opts...]: run once; skip when finished
train() {
    local trainer="$1" dataset="$2" seed="$3" outdir="$4"; shift 4
    local cmd=("$PYTHON" "$REPO/train.py" --root "$DATA" --seed "$seed" --trainer "$trainer"
        --dataset-config-file "$REPO/configs/datasets/$dataset.yaml" --config "$CONFIG"
        --output-dir "$outdir" "$@")
    if "$PYTHON" "$REPO/scripts/run_state.py" finished "$outdir"; then
        echo "Skipping $outdir: finished"; return 0
    fi
    if [ "${DRY_RUN:-0}" = 1 ]; then echo "Would run: ${cmd[*]}"; return 0; fi
    "$PYTHON" "$REPO/scripts/run_state.py" prepare "$outdir"
    "${cmd[@]}"
}

# stacked_train PROTOCOL DATASET SHOTS SEED OUTDIR [flags and opts...]: METHOD, first making the
# STACK_ON run it starts from when STACK_ON is set
stacked_train() {
    local protocol="$1" dataset="$2" shots="$3" seed="$4" outdir="$5"; shift 5
    local init=()
    if [ -n "${STACK_ON:-}" ]; then
        local base
        base="$(run_dir "$protocol" "$dataset" "$shots" "$STACK_ON" "$seed")"
        train "$STACK_ON" "$dataset" "$seed" "$base" "$@"
        init=(TRAINER.STACKING.INIT_FROM "$base")
    fi
    train "$METHOD" "$dataset" "$seed" "$outdir" "$@" "${init[@]}"
}
