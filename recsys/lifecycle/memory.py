"""Giving freed memory back to the system, so a 1 GB host holds the app and its jobs.

The deployment target (Streamlit Community Cloud, about 1 GB for the app and its children)
counts resident memory, not what Python considers free. glibc keeps freed heap and, after the
first large array is freed, raises its mmap threshold so later large arrays come from the heap
too and stay resident once freed (measured, issue 19: the evaluation child's peak 751 -> 673 MB
with a fixed threshold). Both calls are no-ops where glibc is not the C library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging

log = logging.getLogger(__name__)

#: glibc's ``mallopt`` parameter number of ``M_MMAP_THRESHOLD``.
_M_MMAP_THRESHOLD = -3
#: Allocations from this size on get their own mapping, returned to the system when freed
#: (glibc's own starting value, kept fixed instead of growing).
MMAP_THRESHOLD = 128 * 1024


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if libc is None or not hasattr(libc, "malloc_trim") or not hasattr(libc, "mallopt"):
        return None
    return libc


def fix_mmap_threshold() -> bool:
    """Keep large allocations (NumPy arrays, model matrices) in their own mappings for the rest
    of the process, so freeing them returns the memory; True when glibc took it."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def release_memory() -> None:
    """Collect unreachable objects and return the allocator's free memory to the system (after
    a training, or when a replaced engine is let go)."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
