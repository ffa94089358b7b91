#!/usr/bin/env bash
# bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# One node by default; set NNODES/NODE_RANK/MASTER_ADDR/PORT for several.
# Without GPUs the processes run on CPU with the gloo backend.
TOOLS="$(cd "$(dirname "$0")" && pwd)"
exec bash "$TOOLS/dist_launch.sh" "$TOOLS/train.py" "$2" "$1" \
    --launcher pytorch "${@:3}"
