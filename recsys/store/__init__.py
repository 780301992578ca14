"""Persistence: the only package that talks to the database."""

from recsys.store.db import Database, StorageError

__all__ = ["Database", "StorageError"]
