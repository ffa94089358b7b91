#!/usr/bin/env bash
# Install mmlogitkd (tools/install.sh; skips what is installed) and run the
# quick start: teacher, student alone and each distillation method on
# scikit-learn's digits, then a table and a bar plot of their test accuracy
# (work_dirs/quickstart/ under the current directory by default).
#
#   bash tools/quickstart.sh [--methods kd,dkd] [--epochs N] [--work-dir DIR]
#   bash tools/quickstart.sh --seeds 0,1,2,3,4 # mean +- SE and paired gains
#   bash tools/quickstart.sh --task det        # detection
#   bash tools/quickstart.sh --teacher-cache   # students from cached logits
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=$(bash "$ROOT/tools/install.sh" | tail -1) && exec "$PY" "$ROOT/tools/quickstart.py" "$@"
