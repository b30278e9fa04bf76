"""CPU affinity: each serving process kept on one CPU (``server.cpu_affinity``).

Only one thread of a process runs Python at a time (the GIL), and under load the
request threads hand it over after every request. When the kernel spreads those
threads, and the server's own I/O thread, over several CPUs, each handover moves
the app's objects from one CPU's cache to another's and wakes a thread across
CPUs. Kept on one CPU, a worker stops paying for that (docs/servers.md has the
figures and the command that measures them).

The price: a process no longer moves to an idle CPU when its own is busy, and
work that runs outside the GIL (zlib, bcrypt, a driver's socket reads) shares
that CPU with Python. So it is off by default: it is for machines given to the
site, whose workers leave CPUs for everything else the machine runs.
"""

from __future__ import annotations

import os
from contextlib import suppress

__all__ = ["affinity_supported", "pin_worker", "worker_cpu"]


def affinity_supported() -> bool:
    """Whether this platform lets a process choose its CPUs (Linux does; macOS, Windows don't)."""
    return hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity")


def worker_cpu(worker: int) -> int:
    """The CPU of worker number ``worker`` (from 1): the N-th of those this process may use.

    Round robin when there are more workers than CPUs; ``taskset -c 2,3 pegboard
    serve ...`` keeps a site's workers on CPUs 2 and 3.
    """
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[(worker - 1) % len(cpus)]


def pin_worker(worker: int, *, every_thread: bool = False) -> int:
    """Keep this thread, and the threads it starts from now on, on its worker's CPU.

    Linux applies an affinity to one thread; threads created afterwards inherit it,
    so this runs before the server starts its threads. ``every_thread`` also moves
    the threads the process already has (a granian worker's signal thread, started
    at fork): for a process that only serves, not for one that serves beside a
    program's own threads.
    """
    cpu = worker_cpu(worker)
    os.sched_setaffinity(0, {cpu})
    if every_thread:
        for thread_id in _thread_ids():
            with suppress(ProcessLookupError):  # a thread that ended in the meantime
                os.sched_setaffinity(thread_id, {cpu})
    return cpu


def _thread_ids() -> list[int]:
    """The kernel's ids of this process's threads (none where /proc is missing)."""
    try:
        return [int(name) for name in os.listdir("/proc/self/task")]
    except OSError:
        return []
