# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Build settings for mmcv 2.1.0's CUDA ops against this torch.

Run by ``tools/install.sh`` when it builds mmcv with CUDA ops
(``python tools/mmcv_cuda_plan.py``, or ``--fix-sources SDIST_DIR`` to patch
the unpacked sdist): prints shell assignments (``TORCH_CUDA_ARCH_LIST=...``,
``MAX_JOBS=...``) on stdout and what it chose, and why, on stderr; exits 1
with a message when the build cannot work (CPU build of torch, no ``nvcc``,
a CUDA major version other than torch's, no GPU and no
``TORCH_CUDA_ARCH_LIST``), before minutes of compiling.

What mmcv 2.1.0 needs against a torch far newer than it was released for
(read from its ``setup.py`` and ``torch.utils.cpp_extension``):

- C++ standard: mmcv's ``setup.py`` passes ``-std=c++17`` to the C++
  compiler and to nvcc for any torch > 1.12.1 (the ``-std=c++14`` in it is
  the parrots branch, never used with PyTorch). torch's extension builder
  adds its own ``-std=c++20`` only when no ``-std`` is given, so C++17 it
  is; torch 2.13's headers require C++17 or later. Nothing to change (nvcc
  refuses a second ``-std``, so ``MMCV_CUDA_ARGS`` could not override it).
- Source fix: ``THC/THCAtomics.cuh``, which ``pytorch_cuda_helper.hpp`` (in
  every CUDA op) and ``ms_deform_attn_cuda.cu`` include, is gone from torch
  (a shim for ``ATen/cuda/Atomic.cuh``); ``install.sh`` builds from the sdist
  with that include replaced (:data:`SOURCE_FIXES`).
- ``TORCH_CUDA_ARCH_LIST``: without it torch compiles for every visible GPU,
  or, with none visible, for a long default list that new toolkits reject
  (CUDA 13 has no sm_50 ... sm_72). Here: the architectures of the visible
  GPUs, each checked against ``nvcc --list-gpu-arch``; one newer than the
  toolkit is replaced by the newest it knows plus PTX (JIT-compiled by the
  driver). A ``TORCH_CUDA_ARCH_LIST`` set by the user is kept, but refused
  if nvcc cannot build one of its architectures.
- ``MAX_JOBS``: parallel nvcc jobs take ~2.5 GB each on mmcv's larger
  kernels: ``min(cores, available memory / 2.5 GB)`` unless set.
"""
import os
import re
import shutil
import subprocess
import sys

#: (file in the mmcv 2.1.0 sdist, old text, new text)
SOURCE_FIXES = [
    ('mmcv/ops/csrc/common/pytorch_cuda_helper.hpp',
     '#include <THC/THCAtomics.cuh>', '#include <ATen/cuda/Atomic.cuh>'),
    ('mmcv/ops/csrc/pytorch/cuda/ms_deform_attn_cuda.cu',
     '#include <THC/THCAtomics.cuh>', '#include <ATen/cuda/Atomic.cuh>'),
]
GB_PER_JOB = 2.5


class PlanError(RuntimeError):
    """The CUDA build would fail; the message says why and what to do."""


def _arch(text):
    """'8.6' / '86' / 'sm_86' / 'compute_86' -> (8, 6)."""
    digits = re.sub(r'^(sm_|compute_)', '', text.strip()).rstrip('aAfF')
    if '.' in digits:
        major, minor = digits.split('.')
    else:
        major, minor = digits[:-1], digits[-1]
    return int(major), int(minor)


def _fmt(arch):
    return f'{arch[0]}.{arch[1]}'


def plan(capabilities, nvcc_version, nvcc_archs, torch_cuda, cpus, mem_gb,
         env):
    """Choose the build settings.

    Args:
        capabilities (list[tuple[int, int]]): compute capabilities of the
            visible GPUs.
        nvcc_version (tuple[int, int] | None): ``nvcc --version``'s release.
        nvcc_archs (list[tuple[int, int]] | None): what ``nvcc
            --list-gpu-arch`` lists; None if it cannot tell (old nvcc).
        torch_cuda (str | None): ``torch.version.cuda``.
        cpus (int): usable cores.
        mem_gb (float | None): available memory.
        env (dict): the environment (``TORCH_CUDA_ARCH_LIST``, ``MAX_JOBS``).

    Returns:
        tuple[dict, list[str]]: the variables to export and notes.
    """
    notes = []
    if not torch_cuda:
        raise PlanError('this torch is a CPU build (torch.version.cuda is '
                        'None): install the CUDA build of torch first, or '
                        'set FORCE_CUDA=0 to build the CPU ops')
    if nvcc_version is None:
        raise PlanError(f'nvcc not found: install the CUDA {torch_cuda} '
                        'toolkit (torch was built with it) and put its bin/ '
                        'on PATH, or set CUDA_HOME')
    torch_major, torch_minor = map(int, torch_cuda.split('.')[:2])
    if nvcc_version[0] != torch_major:
        raise PlanError(
            f'nvcc is CUDA {_fmt(nvcc_version)} but torch was built with '
            f'CUDA {torch_cuda}: torch refuses to build extensions across '
            f'CUDA major versions; use a CUDA {torch_major}.x toolkit')
    if nvcc_version[1] != torch_minor:
        notes.append(f'nvcc CUDA {_fmt(nvcc_version)}, torch CUDA '
                     f'{torch_cuda}: same major version, works (torch '
                     'warns)')
    known = sorted(set(nvcc_archs or []))

    user = env.get('TORCH_CUDA_ARCH_LIST', '').strip()
    if user:
        archs = [a for a in re.split(r'[;\s]+', user) if a]
        # numeric entries only ('8.6', '9.0+PTX'); names such as 'Hopper'
        # are torch's business
        bad = [a for a in archs if known and re.match(r'^\d+\.\d+', a)
               and _arch(a.split('+')[0]) not in known]
        if bad:
            raise PlanError(
                f'TORCH_CUDA_ARCH_LIST={user!r}: nvcc CUDA '
                f'{_fmt(nvcc_version)} cannot build {", ".join(bad)} (it '
                f'knows {", ".join(map(_fmt, known))})')
        arch_list = ';'.join(archs)
        notes.append(f'TORCH_CUDA_ARCH_LIST={arch_list} (yours)')
    else:
        if not capabilities:
            raise PlanError('no GPU is visible: set TORCH_CUDA_ARCH_LIST to '
                            "the GPUs to build for, e.g. '8.0;9.0'")
        wanted = sorted(set(capabilities))
        archs = []
        for cap in wanted:
            if not known or cap in known:
                archs.append(_fmt(cap))
            else:
                older = [k for k in known if k < cap]
                if not older:
                    raise PlanError(f'nvcc CUDA {_fmt(nvcc_version)} knows '
                                    f'no architecture up to sm_{cap[0]}'
                                    f'{cap[1]}')
                archs.append(_fmt(older[-1]) + '+PTX')
                notes.append(
                    f'nvcc CUDA {_fmt(nvcc_version)} cannot build sm_'
                    f'{cap[0]}{cap[1]}: building {_fmt(older[-1])}+PTX, '
                    'which the driver JIT-compiles for it (first use is '
                    'slow); a newer toolkit builds it natively')
        arch_list = ';'.join(dict.fromkeys(archs))
        notes.append(f'TORCH_CUDA_ARCH_LIST={arch_list} (the visible GPUs: '
                     f'{", ".join("sm_%d%d" % c for c in wanted)})')

    if env.get('MAX_JOBS'):
        max_jobs = int(env['MAX_JOBS'])
        notes.append(f'MAX_JOBS={max_jobs} (yours)')
    else:
        by_mem = cpus if mem_gb is None else int(mem_gb // GB_PER_JOB)
        max_jobs = max(1, min(cpus, by_mem))
        notes.append(f'MAX_JOBS={max_jobs} ({cpus} cores, '
                     + ('memory unknown' if mem_gb is None else
                        f'{mem_gb:.0f} GB available at {GB_PER_JOB} GB per '
                        'nvcc job') + ')')
    notes.append('C++17: mmcv 2.1.0 passes -std=c++17 itself (torch 2.13 '
                 'headers need >= C++17); source fix: THC/THCAtomics.cuh -> '
                 'ATen/cuda/Atomic.cuh')
    return dict(TORCH_CUDA_ARCH_LIST=arch_list, MAX_JOBS=max_jobs), notes


def _nvcc():
    cuda_home = os.environ.get('CUDA_HOME') or os.environ.get('CUDA_PATH')
    if cuda_home and os.path.exists(os.path.join(cuda_home, 'bin', 'nvcc')):
        return os.path.join(cuda_home, 'bin', 'nvcc')
    return shutil.which('nvcc')


def gather():
    """The facts :func:`plan` needs, from torch, nvcc and the OS."""
    import torch
    nvcc = _nvcc()
    version = archs = None
    if nvcc:
        out = subprocess.run([nvcc, '--version'], capture_output=True,
                             text=True).stdout
        match = re.search(r'release (\d+)\.(\d+)', out)
        version = (int(match[1]), int(match[2])) if match else None
        listed = subprocess.run([nvcc, '--list-gpu-arch'],
                                capture_output=True, text=True)
        if listed.returncode == 0:
            archs = [_arch(a) for a in listed.stdout.split()
                     if a.startswith('compute_')]
    caps = []
    if torch.cuda.is_available():
        caps = [torch.cuda.get_device_capability(i)
                for i in range(torch.cuda.device_count())]
    cpus = len(os.sched_getaffinity(0)) if hasattr(
        os, 'sched_getaffinity') else os.cpu_count() or 1
    mem_gb = None
    try:
        with open('/proc/meminfo') as f:
            for line in f:
                if line.startswith('MemAvailable:'):
                    mem_gb = int(line.split()[1]) / 2**20
    except OSError:
        pass
    return caps, version, archs, torch.version.cuda, cpus, mem_gb


def fix_sources(root):
    """Apply :data:`SOURCE_FIXES` to the unpacked sdist at ``root``;
    refuse a tree that does not have the expected text (another mmcv)."""
    for rel, old, new in SOURCE_FIXES:
        path = os.path.join(root, rel)
        with open(path) as f:
            text = f.read()
        if old not in text:
            if new in text:  # fixed already
                continue
            raise PlanError(f'{rel}: expected {old!r} (mmcv 2.1.0 sdist)')
        with open(path, 'w') as f:
            f.write(text.replace(old, new))
    left = []
    for folder, _, files in os.walk(os.path.join(root, 'mmcv', 'ops')):
        for name in files:
            with open(os.path.join(folder, name), errors='ignore') as f:
                if '<THC/' in f.read():
                    left.append(name)
    if left:
        raise PlanError(f'THC includes left in {left}')


def main():
    if sys.argv[1:2] == ['--fix-sources']:
        try:
            fix_sources(sys.argv[2])
        except (OSError, PlanError) as err:
            print(f'[mmlogitkd install] mmcv source fix failed: {err}',
                  file=sys.stderr)
            sys.exit(1)
        return
    try:
        variables, notes = plan(*gather(), env=os.environ)
    except PlanError as err:
        print(f'[mmlogitkd install] cannot build mmcv with CUDA ops: {err}',
              file=sys.stderr)
        sys.exit(1)
    for note in notes:
        print(f'[mmlogitkd install]   {note}', file=sys.stderr)
    for key, value in variables.items():
        print(f"{key}='{value}'")


if __name__ == '__main__':
    main()
