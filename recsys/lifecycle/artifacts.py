"""Versioned model artifacts in one folder that every app process can read.

Layout of the models folder (``Settings.models_dir``, a shared folder in a cluster)::

    models/
      CURRENT                 the name of the version being served (one line)
      v-<time>-<random>/      engine.pkl + manifest.json, written whole before CURRENT names it
      .tmp-<random>/          a version being written (never read)

A version is written into a temporary folder, renamed into place (``os.replace``: atomic on
one file system) and only then named in ``CURRENT``, itself replaced atomically. A reader
follows ``CURRENT`` and therefore never sees a half-written artifact, and a process can tell
whether a newer model exists by reading one small file (:func:`current_version`). Folders
written by older releases (``engine.pkl`` directly in ``models/``) are still read while no
``CURRENT`` exists.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from recsys.lifecycle.manifest import ARTIFACT, MANIFEST

POINTER = "CURRENT"
#: Versions kept besides the current one (a process may still be reading one of them).
KEEP_OLD = 2
LEGACY = "legacy"


def current_version(models: Path) -> str | None:
    """The served version's name, ``"legacy"`` for an old flat folder, None when empty."""
    try:
        name = (models / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        name = ""
    if name:
        return name
    if (models / ARTIFACT).exists() or (models / MANIFEST).exists():
        return LEGACY
    return None


def version_dir(models: Path, version: str | None = None) -> Path:
    """The folder holding ``version`` (default: the current one)."""
    version = current_version(models) if version is None else version
    if version is None or version == LEGACY:
        return models
    return models / version


def new_version_name() -> str:
    """Sortable by time, unique across processes and machines."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"v-{stamp}-{uuid.uuid4().hex[:8]}"


def publish(models: Path, write: Callable[[Path], None]) -> str:
    """Write a new version with ``write(folder)`` and make it current; returns its name.

    ``write`` fills an empty temporary folder; the folder is renamed into place and the
    pointer replaced only when it returned, so a failure leaves the current version served.
    """
    models.mkdir(parents=True, exist_ok=True)
    tmp = models / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        write(tmp)
        name = new_version_name()
        os.replace(tmp, models / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pointer_tmp = models / f".{POINTER}.{uuid.uuid4().hex}"
    pointer_tmp.write_text(name + "\n", encoding="utf-8")
    try:
        os.replace(pointer_tmp, models / POINTER)
    except BaseException:
        pointer_tmp.unlink(missing_ok=True)
        raise
    prune(models)
    return name


def prune(models: Path, keep_old: int = KEEP_OLD) -> None:
    """Remove versions older than the current one and the ``keep_old`` before it."""
    current = current_version(models)
    versions = sorted(p.name for p in models.glob("v-*") if p.is_dir())
    if current not in versions:
        return
    older = versions[: versions.index(current)]
    for name in older[: max(0, len(older) - keep_old)]:
        shutil.rmtree(models / name, ignore_errors=True)
