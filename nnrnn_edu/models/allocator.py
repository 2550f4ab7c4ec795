"""Keep freed memory in the process so large training buffers are not page-faulted again.

glibc ``malloc`` serves blocks over its mmap threshold (at most 32 MB) with a
fresh ``mmap`` and returns them to the kernel on ``free``. A training step
allocates its [T, B, N] state and gradient buffers (25-40 MB at the paper's
sizes) every iteration, so each iteration pays for re-faulting them (about
60 ms per 100 MB on the 2-core machine we measured; see
``benchmarks/bench_training.py``). :func:`tune_cpu_allocator` switches that off
with ``mallopt``; preloading tcmalloc or jemalloc has the same effect.
Nothing happens at import: a script or the training loop calls it explicitly.
See chapter 3.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_applied = False


def tune_cpu_allocator() -> bool:
    """Tell glibc malloc to keep freed memory for reuse (process-wide, idempotent).

    Sets ``M_MMAP_MAX = 0`` (big blocks come from the heap, not fresh mmaps)
    and ``M_TRIM_THRESHOLD = 1 GiB`` (the heap top is not handed back after
    every free). Peak memory is unchanged; memory is simply not returned to
    the kernel between iterations.

    Returns
    -------
    bool
        True if glibc accepted the settings (now or earlier), False on other
        platforms or C libraries, where nothing is changed.

    See chapter 3.
    """
    global _applied
    if _applied:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_MAX, 0) == 1 and mallopt(_M_TRIM_THRESHOLD, 1 << 30) == 1
    _applied = bool(ok)
    return _applied


__all__ = ["tune_cpu_allocator"]
