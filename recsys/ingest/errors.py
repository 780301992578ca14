"""Errors raised by ingestion.

Every error names the file it is about and says what is wrong with it, because the person who
sees it is usually running ``python -m recsys ingest`` against a download or a folder they chose,
and the fix (re-download, point the source elsewhere) depends on which file broke.
"""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """Base class: ingestion stopped and nothing was written.

    Attributes
    ----------
    file:
        The file (path, URL or bare name) the problem is about, or ``None``.
    """

    def __init__(self, message: str, *, file: str | Path | None = None) -> None:
        super().__init__(message)
        self.file = None if file is None else str(file)


class SourceNotFoundError(IngestError):
    """A required file is not in the local folder or zip that was named as the source."""


class DownloadError(IngestError):
    """A download failed after all retries (network down, server error, timeout)."""


class CorruptFileError(IngestError):
    """A compressed file is truncated or damaged (gzip/zip does not read through to the end)."""


class FormatError(IngestError):
    """A file is readable but mis-shaped: empty, wrong delimiter, missing column, bad value."""


__all__ = [
    "CorruptFileError",
    "DownloadError",
    "FormatError",
    "IngestError",
    "SourceNotFoundError",
]
