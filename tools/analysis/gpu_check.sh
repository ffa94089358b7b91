#!/usr/bin/env bash
# The GPU check (tools/analysis/gpu_check.py): CUDA-vs-CPU float64 parity of
# every loss, host syncs per loss call, mmcv ops on CUDA, both benchmarks and
# a short AMP training run of a CIFAR-sized pair; one summary table at the
# end, exit status 1 if a check failed. At most 8 minutes.
#
#   bash tools/analysis/gpu_check.sh [--wheels DIR] [gpu_check.py options]
#
# Runs from a clean checkout where only PyTorch (and numpy) is installed: the
# loss core needs mmengine, which is installed from DIR with pip --no-index
# (prepare DIR on any machine with internet access and the same Python:
# `pip download -d DIR mmengine==0.10.7`; add wheels of mmcv, mmpretrain,
# mmdet or torchsort to DIR to enable the parts that use them). Nothing is
# downloaded, and the installed torch is pinned. Optional packages missing
# from the environment and from DIR only skip the parts that need them.
#
# Python: $MMLOGITKD_PYTHON, else .venv/bin/python if present, else python3.
# Options after --wheels go to gpu_check.py (--device cpu --quick is the
# CPU smoke test). The log is written to work_dirs/gpu_check/ (or
# $GPU_CHECK_LOG_DIR).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LIMIT=480  # seconds for everything, installs included

WHEELS=""
ARGS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --wheels) WHEELS="$2"; shift 2 ;;
        --wheels=*) WHEELS="${1#*=}"; shift ;;
        *) ARGS+=("$1"); shift ;;
    esac
done

if [[ -n "${MMLOGITKD_PYTHON:-}" ]]; then
    PY="$MMLOGITKD_PYTHON"
elif [[ -x "$ROOT/.venv/bin/python" ]]; then
    PY="$ROOT/.venv/bin/python"
else
    PY="$(command -v python3)"
fi
if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "gpu_check: $PY cannot import torch; install PyTorch first" >&2
    exit 2
fi
echo "gpu_check: python $PY, torch $("$PY" -c 'import torch; print(torch.__version__)')"

has() { "$PY" -c "import $1" 2>/dev/null; }

if [[ -n "$WHEELS" ]]; then
    [[ -d "$WHEELS" ]] || { echo "gpu_check: no folder $WHEELS" >&2; exit 2; }
    PIN="$(mktemp)"
    trap 'rm -f "$PIN"' EXIT
    # the torch in place must stay, whatever DIR holds
    "$PY" -c 'import torch; print("torch==" + torch.__version__)' > "$PIN"
    pip_install() {
        "$PY" -m pip install --quiet --disable-pip-version-check --no-index \
            --find-links "$WHEELS" -c "$PIN" "$@"
    }
    if ! has mmengine; then
        pip_install "mmengine==0.10.7" || {
            echo "gpu_check: mmengine 0.10.7 (and its dependencies) must be in $WHEELS" >&2
            exit 2
        }
    fi
    # optional: whatever of these DIR holds (mmcv as a prebuilt wheel with
    # its CUDA ops; build one with tools/install.sh on a GPU machine)
    for pkg in torchsort mmcv mmpretrain mmdet; do
        if ! has "$pkg" && ls "$WHEELS" | grep -qi "^${pkg}-"; then
            pip_install --no-deps "$pkg" || echo "gpu_check: $pkg from $WHEELS failed; its parts are skipped"
        fi
    done
fi
if ! has mmengine; then
    echo "gpu_check: mmengine is not installed; pass --wheels DIR holding" \
        "mmengine==0.10.7 and its dependencies (pip download -d DIR mmengine==0.10.7)" >&2
    exit 2
fi

LOG_DIR="${GPU_CHECK_LOG_DIR:-$ROOT/work_dirs/gpu_check}"
mkdir -p "$LOG_DIR"
LOG="$LOG_DIR/$(date +%Y%m%d_%H%M%S).log"
BUDGET=$((LIMIT - SECONDS - 40))
cd "$ROOT"
set +e
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" timeout --kill-after=10 \
    $((LIMIT - SECONDS)) "$PY" tools/analysis/gpu_check.py \
    --budget "$BUDGET" ${ARGS[@]+"${ARGS[@]}"} 2>&1 | tee "$LOG"
STATUS=${PIPESTATUS[0]}
set -e
[[ $STATUS -eq 124 ]] && echo "gpu_check: stopped at the ${LIMIT} s limit"
echo "gpu_check: log in $LOG (exit $STATUS, ${SECONDS} s)"
exit "$STATUS"
