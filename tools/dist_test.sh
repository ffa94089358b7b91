#!/usr/bin/env bash
# bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py args...]
# One node by default; set NNODES/NODE_RANK/MASTER_ADDR/PORT for several.
# Without GPUs the processes run on CPU with the gloo backend.
TOOLS="$(cd "$(dirname "$0")" && pwd)"
exec bash "$TOOLS/dist_launch.sh" "$TOOLS/test.py" "$3" "$1" "$2" \
    --launcher pytorch "${@:4}"
