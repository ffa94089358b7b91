#!/usr/bin/env bash
# bash tools/dist_cache_teacher_logits.sh CONFIG NUM_PROCS --epochs E [args...]
# tools/cache_teacher_logits.py on NUM_PROCS processes (one per GPU, or CPU
# processes): each takes every NUM_PROCS-th batch and writes its own rows.
# One node by default; set NNODES/NODE_RANK/MASTER_ADDR/PORT for several.
TOOLS="$(cd "$(dirname "$0")" && pwd)"
PORT=${PORT:-29501} exec bash "$TOOLS/dist_launch.sh" \
    "$TOOLS/cache_teacher_logits.py" "$2" "$1" "${@:3}"
