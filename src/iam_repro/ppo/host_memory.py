"""Keep freed host memory in the process instead of handing it back to the OS.

Each minibatch allocates the same few activation and gradient buffers of hundreds of kilobytes
(256 x 640 floats is 655 KB) and frees them again. glibc serves blocks of that size with fresh
``mmap`` pages, or gives the top of its heap back once more than a threshold is free, so every
minibatch pays one page fault per 4 KB touched. Measured 2026-12-02 on a warehouse FNN1
minibatch (forward and backward, one thread, a throwaway loop read with getrusage): about 90
faults fewer per minibatch and 6.0-6.2 ms of CPU time down to 5.7-5.8 ms. Raising glibc's mmap and
trim thresholds keeps those pages in the heap for the next minibatch. Only where blocks come
from changes, never a value; other C libraries are left alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

# mallopt parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit: 32 MiB
_TRIM_THRESHOLD = 256 << 20  # keep up to 256 MiB of freed heap


@functools.cache
def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds once per process; True when glibc took them."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    )
