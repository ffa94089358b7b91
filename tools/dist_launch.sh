#!/usr/bin/env bash
# bash tools/dist_launch.sh SCRIPT NUM_PROCS [script args...]
# torchrun of one of the tools on NUM_PROCS processes per node (one per GPU,
# or CPU processes with the gloo backend); shared by dist_train.sh,
# dist_test.sh and dist_cache_teacher_logits.sh.
# One node by default; set NNODES/NODE_RANK/MASTER_ADDR/PORT for several.
SCRIPT=$1
PROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
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
    "$SCRIPT" "${@:3}"
