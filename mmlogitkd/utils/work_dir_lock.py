# Copyright (c) mmlogitkd contributors. All rights reserved.
"""One training run per work dir: an exclusive lock held for the life of
the run's process."""
import datetime
import json
import os
import os.path as osp
import socket
import sys
from typing import Dict

__all__ = ['LOCK_FILE', 'WorkDirLockedError', 'lock_work_dir',
           'unlock_work_dir']

#: the lock file of a training run, in its work dir
LOCK_FILE = '.mmlogitkd.lock'
_HELD_LOCKS: Dict[str, object] = {}


class WorkDirLockedError(RuntimeError):
    """Another training run holds the work dir."""


def _launcher_rank(launcher: str) -> int:
    """The global rank of this process as its launcher set it (before any
    process group exists), 0 without a launcher."""
    if launcher in (None, 'none'):
        return 0
    names = {
        'pytorch': ('RANK', ),
        'slurm': ('SLURM_PROCID', ),
        'mpi': ('OMPI_COMM_WORLD_RANK', 'PMI_RANK'),
    }.get(launcher, ('RANK', ))
    for name in names:
        if name in os.environ:
            return int(os.environ[name])
    return 0


def lock_work_dir(work_dir: str, launcher: str = 'none'):
    """Hold ``<work_dir>/.mmlogitkd.lock`` for the life of this process, or
    fail at once when another run holds it.

    Two runs in one work dir would interleave their logs, overwrite each
    other's checkpoints and ``last_checkpoint``, and ``--resume`` would pick
    either. The lock is an exclusive POSIX record lock (``fcntl.lockf``) on
    the whole file, taken by the global rank 0 only: the ranks of one
    ``torchrun`` / slurm / mpi job share the work dir, and a second job
    fails on its rank 0, which stops its launcher. A record lock belongs to
    the process that took it: forked children (the DataLoader workers)
    inherit the open file but not the lock, and the system releases it when
    that process ends, a SIGKILL included, so an immediate ``--resume``
    after a killed run finds the work dir free even while the run's
    orphaned workers are still exiting (an ``flock`` lock is shared through
    the inherited file and lived on in them). The file records the holder's
    PID, host, start time and command, for the message. The lock is
    advisory; on network file systems it holds across hosts only where the
    file system supports POSIX locks (NFS with lockd). Without ``fcntl``
    (Windows) nothing is locked. Closing any other handle of the lock file
    in the holding process would release a record lock, so nothing else
    opens it.

    Args:
        work_dir (str): The run's work dir (created if needed).
        launcher (str): ``cfg.launcher``; ranks other than 0 lock nothing.

    Returns:
        The open lock file (keep a reference while the run lives), or None
        when this process takes no lock.

    Raises:
        WorkDirLockedError: Another process holds the lock; the message
            names the work dir and that process.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    if _launcher_rank(launcher) != 0:
        return None
    work_dir = osp.abspath(work_dir)
    if work_dir in _HELD_LOCKS:
        return _HELD_LOCKS[work_dir]
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK_FILE)
    handle = open(path, 'a+', encoding='utf-8')
    try:
        # length 0 from offset 0: the whole file, however long it grows
        fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0,
                    os.SEEK_SET)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        try:
            info = json.loads(holder)
            who = (f'PID {info.get("pid")} on {info.get("host")}, running '
                   f'since {info.get("started")}: {info.get("command")}')
        except ValueError:
            who = 'a process that has not written its PID yet'
        raise WorkDirLockedError(
            f'The work dir "{work_dir}" is in use by another training run '
            f'({who}); its lock is {path}. Two runs in one work dir would '
            'interleave their logs and overwrite each other\'s checkpoints. '
            'Wait for that run to end (or stop it), or give this one another '
            '--work-dir.') from None
    handle.seek(0)
    handle.truncate()
    handle.write(
        json.dumps(
            dict(
                pid=os.getpid(),
                host=socket.gethostname(),
                started=datetime.datetime.now().isoformat(timespec='seconds'),
                command=' '.join(sys.argv))) + '\n')
    handle.flush()
    _HELD_LOCKS[work_dir] = handle
    return handle


def unlock_work_dir(work_dir: str) -> None:
    """Release the lock :func:`lock_work_dir` took in this process (the end
    of the process releases it too)."""
    handle = _HELD_LOCKS.pop(osp.abspath(work_dir), None)
    if handle is not None:
        handle.close()
