"""Giving freed memory back to the system, so a 1 GB host holds the app and its jobs.

The deployment target (Streamlit Community Cloud, about 1 GB for the app and its children)
counts resident memory, not what Python considers free. glibc keeps freed heap and, after the
first large array is freed, raises its mmap threshold so later large arrays come from the heap
too and stay resident once freed (measured, issue 19: the evaluation child's peak 751 -> 673 MB
with a fixed threshold). Both calls are no-ops where glibc is not the C library. The heap
freezer keeps the garbage collector from walking the served engine on every full collection.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import threading

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


class HeapFreezer:
    """Moves the long-lived heap (modules, catalog, fitted engine) out of the collector's way.

    A full collection walks every tracked object: with the engine loaded that is about 130 ms
    on this machine (75k-title catalog: more), and any click that triggers one waits for it.
    Streamlit's own collection after every run is off (``runner.postScriptGC`` in
    ``.streamlit/config.toml``); this makes the collector's own full collections cheap as well:
    after each engine load, one collection, then ``gc.freeze()`` (the objects alive then are
    never scanned again). A swapped-in engine unfreezes first, so the old one can be collected.
    Measured with ``benchmarks/like_latency.py``: a like visible in 163 ms median, 60 ms after.
    """

    def __init__(self) -> None:
        self._frozen_for: int | None = None
        self._lock = threading.Lock()

    def after_load(self, engine: object) -> None:
        with self._lock:
            if self._frozen_for == id(engine):
                return
            if self._frozen_for is not None:
                gc.unfreeze()
            release_memory()  # collects, and returns the old engine's memory
            gc.freeze()
            self._frozen_for = id(engine)


@functools.cache
def heap_freezer() -> HeapFreezer:
    """The process's freezer (the frozen heap is the whole process's)."""
    return HeapFreezer()
