#!/usr/bin/env bash
# bash tools/dist_cache_teacher_logits.sh CONFIG NUM_PROCS --epochs E [args...]
# tools/cache_teacher_logits.py on NUM_PROCS processes (one per GPU, or CPU
# processes): each takes every NUM_PROCS-th batch and writes its own rows.
# One node by default; set NNODES/NODE_RANK/MASTER_ADDR/PORT for several.
CONFIG=$1
PROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29501}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON=${PYTHON:-$( [ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python)}

PYTHONPATH="$ROOT":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$PROCS \
    --master_port=$PORT \
    "$ROOT/tools/cache_teacher_logits.py" \
    $CONFIG ${@:3}
