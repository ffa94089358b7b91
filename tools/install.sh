#!/usr/bin/env bash
# Install mmlogitkd and its pinned OpenMMLab stack; skips what is installed.
#
#   bash tools/install.sh                  # into .venv/ of this checkout
#   MMLOGITKD_PYTHON=/path/to/python bash tools/install.sh   # your own env
#   MMLOGITKD_INSTALL_DRY_RUN=1 bash tools/install.sh        # say, do nothing
#
# Prints the python it installed into as its last line (the other scripts
# read it). Safe to run again: a stamp records what was installed, and each
# step checks before it installs.
#
# mmcv's ops are built with CUDA when torch sees a GPU and nvcc is on PATH
# (FORCE_CUDA=1 / FORCE_CUDA=0 decide instead); the CUDA build's settings
# (TORCH_CUDA_ARCH_LIST from the GPUs, MAX_JOBS, C++17, one source fix) come
# from tools/mmcv_cuda_plan.py and are printed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TORCH_VERSION=2.13.0
TORCHVISION_VERSION=0.28.0
MMCV_VERSION=2.1.0

DRY_RUN="${MMLOGITKD_INSTALL_DRY_RUN:-0}"

log() { echo "[mmlogitkd install] $*" >&2; }

if [[ -n "${MMLOGITKD_PYTHON:-}" ]]; then
    PY="$MMLOGITKD_PYTHON"
    "$PY" -c 'import sys' || { log "MMLOGITKD_PYTHON=$PY does not run"; exit 1; }
else
    if [[ ! -x "$ROOT/.venv/bin/python" ]]; then
        if [[ "$DRY_RUN" == 1 ]]; then
            log "dry run: would create $ROOT/.venv and install torch==$TORCH_VERSION first"
            exit 0
        fi
        log "creating virtual environment $ROOT/.venv"
        python3 -m venv "$ROOT/.venv"
    fi
    PY="$ROOT/.venv/bin/python"
fi
PIP=("$PY" -m pip --disable-pip-version-check)

# Which mmcv ops build: "cuda" or "cpu" (FORCE_CUDA decides if set).
mmcv_build_kind() {
    if [[ -n "${FORCE_CUDA:-}" ]]; then
        if [[ "$FORCE_CUDA" == 1 ]]; then echo cuda; else echo cpu; fi
    elif "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' \
            && command -v nvcc >/dev/null 2>&1; then
        echo cuda
    else
        echo cpu
    fi
}

# mmcv 2.1.0 with CUDA ops against this torch: the settings of
# tools/mmcv_cuda_plan.py (printed), then a wheel built from the sdist with
# its source fix, kept per torch / CUDA / architectures so that a second
# install takes seconds. pip's own wheel cache cannot hold it (a patched
# local tree is never cached).
build_mmcv_cuda() {
    local settings cache src start=$SECONDS
    settings="$("$PY" "$ROOT/tools/mmcv_cuda_plan.py")" || exit 1
    eval "$settings"
    export TORCH_CUDA_ARCH_LIST MAX_JOBS
    log "mmcv $MMCV_VERSION with CUDA ops: TORCH_CUDA_ARCH_LIST='$TORCH_CUDA_ARCH_LIST' MAX_JOBS=$MAX_JOBS, -std=c++17, THC/THCAtomics.cuh -> ATen/cuda/Atomic.cuh"
    if [[ "$DRY_RUN" == 1 ]]; then
        return 0
    fi
    cache="${MMLOGITKD_WHEEL_CACHE:-$HOME/.cache/mmlogitkd/wheels}/mmcv-$MMCV_VERSION-$("$PY" -c 'import torch; print(f"torch{torch.__version__}-cu{torch.version.cuda}")')-sm${TORCH_CUDA_ARCH_LIST//[^0-9A-Za-z]/_}"
    if ! compgen -G "$cache/mmcv-$MMCV_VERSION-*.whl" >/dev/null; then
        src="$(mktemp -d)"
        "${PIP[@]}" download -q --no-deps --no-binary :all: -d "$src" "mmcv==$MMCV_VERSION"
        tar xzf "$src/mmcv-$MMCV_VERSION.tar.gz" -C "$src"
        "$PY" "$ROOT/tools/mmcv_cuda_plan.py" --fix-sources "$src/mmcv-$MMCV_VERSION"
        MMCV_WITH_OPS=1 FORCE_CUDA=1 "${PIP[@]}" wheel --no-deps \
            --no-build-isolation -w "$cache" "$src/mmcv-$MMCV_VERSION"
        rm -rf "$src"
        log "mmcv CUDA build took $((SECONDS - start)) s (wheel kept in $cache)"
    fi
    pip_c "$cache"/mmcv-"$MMCV_VERSION"-*.whl
}

if [[ "$DRY_RUN" == 1 ]]; then
    if ! "$PY" -c 'import torch' >/dev/null 2>&1; then
        log "dry run: would install torch==$TORCH_VERSION first"
        exit 0
    fi
    log "dry run: torch $("$PY" -c 'import torch; print(torch.__version__)'), nothing is installed"
    if "$PY" -c 'import mmcv, mmcv._ext' >/dev/null 2>&1; then
        log "mmcv with ops present: kept (a build would use the settings below)"
    fi
    if [[ "$(mmcv_build_kind)" == cuda ]]; then
        build_mmcv_cuda
    else
        log "mmcv $MMCV_VERSION would be built with CPU ops: MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-$(nproc)}"
    fi
    echo "$PY"
    exit 0
fi

stamp_file="$("$PY" -c 'import sys; print(sys.prefix)')/.mmlogitkd-install-stamp"
stamp="$(cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" "$0" | sha256sum | cut -d' ' -f1)"
check_imports='import mmlogitkd, mmdet.models, mmpretrain.models, torchreid, torchvision; from mmcv.ops import RoIAlign, nms'
if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]] \
        && (cd "$ROOT" && "$PY" -c "$check_imports") >/dev/null 2>&1; then
    log "already installed in $("$PY" -c 'import sys; print(sys.prefix)')"
    echo "$PY"
    exit 0
fi

have_version() {  # have_version MODULE VERSION_PREFIX
    "$PY" - "$1" "$2" <<'EOF' >/dev/null 2>&1
import importlib, sys
mod = importlib.import_module(sys.argv[1])
sys.exit(0 if mod.__version__.startswith(sys.argv[2]) else 1)
EOF
}

# 1. torch: keep a torch==2.13.0 that is there (CPU or CUDA build); otherwise
#    pip's default build for this platform (CUDA on Linux x86-64 from PyPI,
#    the CPU wheel where pip is configured with a local one, as on CI).
if have_version torch "$TORCH_VERSION"; then
    log "torch $("$PY" -c 'import torch; print(torch.__version__)') present"
else
    log "installing torch==$TORCH_VERSION"
    "${PIP[@]}" install "torch==$TORCH_VERSION"
fi
# Every later step runs under this constraint, so nothing can replace torch.
constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
"$PY" -c 'import torch; print("torch==" + torch.__version__)' >"$constraints"

pip_c() { "${PIP[@]}" install -c "$constraints" "$@"; }

# 2. Build tools and the runtime needs of the OpenMMLab packages.
pip_c -q -r "$ROOT/requirements/build.txt" -r "$ROOT/requirements/deps.txt" \
    -r "$ROOT/requirements/tests.txt"

# 3. mmcv with compiled ops, built against the torch above. PyPI has only its
#    sdist; pip caches the built wheel, so only the first build is slow
#    (about 20 minutes on 2 cores without CUDA).
if "$PY" -c 'import mmcv, mmcv._ext' >/dev/null 2>&1 && have_version mmcv "$MMCV_VERSION"; then
    log "mmcv $MMCV_VERSION with ops present"
elif [[ "$(mmcv_build_kind)" == cuda ]]; then
    log "building mmcv $MMCV_VERSION with CUDA ops (GPU and nvcc found, or FORCE_CUDA=1)"
    build_mmcv_cuda
else
    log "building mmcv $MMCV_VERSION with CPU ops (no usable GPU/nvcc); this takes ~20 min the first time"
    jobs="${MAX_JOBS:-$(nproc)}"
    MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=$jobs \
        pip_c --no-build-isolation "mmcv==$MMCV_VERSION"
fi

# 4. The OpenMMLab packages and torchvision/torchreid, without their own
#    dependency resolution (they would pull another torch or mmcv-lite);
#    their real needs came with requirements/deps.txt.
pip_c -q --no-deps "torchvision==$TORCHVISION_VERSION" mmdet==3.3.0 \
    mmpretrain==1.2.0 torchreid==0.2.5

# 5. This package, editable.
pip_c -q --no-deps --no-build-isolation -e "$ROOT"

(cd "$ROOT" && "$PY" -c "$check_imports") || {
    log "install finished but the import check failed: $check_imports"
    exit 1
}
echo "$stamp" >"$stamp_file"
log "done: $PY"
echo "$PY"
