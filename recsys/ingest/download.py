"""Find or download the source files that ingestion reads.

A source is either a local path (a folder, or for MovieLens a zip file) or a URL. Downloads
stream into ``<name>.part`` next to the destination, resume with a ``Range`` request after a
cut-off when the server allows it (else start over), retry with exponential backoff, and are
read through to the end (gzip) or tested (zip) before an atomic rename. A half-written or
corrupt download is never left under the real name, so a later run can trust what it finds.
"""

from __future__ import annotations

import gzip
import os
import time
import zipfile
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import requests

from recsys.config import is_url
from recsys.ingest.errors import CorruptFileError, DownloadError, SourceNotFoundError
from recsys.progress import CountCallback

_CHUNK = 1 << 16
_ARCHIVE_SUFFIXES = (".gz", ".zip", ".tsv", ".csv")


class _Retryable(Exception):
    """A failure worth another attempt (5xx, short body, damaged transfer)."""


def download_step(name: str) -> str:
    """The progress step of downloading ``name``: what the app's bar and the CLI line say."""
    return f"Downloading {name}"


def local_candidates(folder: Path, name: str) -> list[Path]:
    """The paths under which ``name`` may sit in a folder: as named, and with/without ``.gz``."""
    alternative = name[:-3] if name.endswith(".gz") else name + ".gz"
    return [folder / name, folder / alternative]


def find_local(source: str | Path, name: str) -> Path | None:
    """``name`` (``.tsv`` or ``.tsv.gz``) inside a local folder, or ``None`` when absent."""
    folder = Path(source).expanduser()
    if folder.is_file():  # a source naming the file itself
        wanted = {p.name for p in local_candidates(folder.parent, name)}
        return folder if folder.name in wanted else None
    for candidate in local_candidates(folder, name):
        if candidate.is_file():
            return candidate
    return None


def resolve_url(source: str, name: str) -> str:
    """The URL of ``name``: the source itself when it names a file, else ``source/name``."""
    last = urlsplit(source).path.rsplit("/", 1)[-1]
    if last.endswith(_ARCHIVE_SUFFIXES):
        return source
    return source.rstrip("/") + "/" + name


def fetch(
    source: str,
    name: str,
    dest_dir: Path,
    *,
    progress: CountCallback | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    setting: str | None = None,
    optional: bool = False,
    session: requests.Session | None = None,
) -> Path | None:
    """Return a local, verified path for ``name`` from ``source``.

    Parameters
    ----------
    source:
        A base URL (``https://datasets.imdbws.com/``), a URL of the file itself (a MovieLens
        zip), a local folder, or a local file.
    name:
        The published file name, e.g. ``title.basics.tsv.gz``. In a local folder the plain
        ``.tsv`` is accepted too.
    dest_dir:
        Where downloads go (created if needed). Unused for local sources.
    progress:
        Called with (bytes done, total bytes or ``None``) while downloading; called often, so
        it must be cheap. Callers label it with :func:`recsys.progress.counter`.
    timeout, retries, backoff:
        Per-request timeout in seconds; extra attempts after the first; first back-off in
        seconds (doubling each time).
    setting:
        The environment variable the user can set to a local folder instead; named in the
        message when the network is unreachable. Default: ``MARQUEE_MOVIELENS_SOURCE`` for a
        ``.zip``, else ``MARQUEE_IMDB_SOURCE``.
    optional:
        Return ``None`` instead of raising when the file does not exist (HTTP 404 or not in the
        folder). Used for crew, principals and names, which enrich but are not required.
    """
    if setting is None:
        setting = "MARQUEE_MOVIELENS_SOURCE" if name.endswith(".zip") else "MARQUEE_IMDB_SOURCE"
    if not is_url(source):
        found = find_local(source, name)
        if found is None:
            if optional:
                return None
            tried = ", ".join(str(p) for p in local_candidates(Path(source), name))
            raise SourceNotFoundError(
                f"{name}: not found in {source} (looked for {tried}). Point {setting} at a "
                "folder that holds it, or at a URL.",
                file=name,
            )
        return found
    url = resolve_url(source, name)
    filename = urlsplit(url).path.rsplit("/", 1)[-1] or name
    return _download(
        url,
        Path(dest_dir) / filename,
        progress=progress,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        setting=setting,
        optional=optional,
        session=session or requests.Session(),
    )


def verify(path: Path, *, label: str | None = None) -> None:
    """Raise :class:`CorruptFileError` unless a ``.gz`` reads to its end / a ``.zip`` tests OK."""
    label = label or path.name
    # A download is verified as ``<name>.part``, before the rename: judge it by its real name.
    suffix = Path(path.name.removesuffix(".part")).suffix.lower()
    try:
        if suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                while fh.read(1 << 23):
                    pass
        elif suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
            if bad is not None:
                raise CorruptFileError(f"{label}: zip member {bad} is damaged", file=label)
    except (EOFError, OSError, zlib.error, zipfile.BadZipFile) as exc:
        kind = "gzip" if suffix == ".gz" else "zip"
        raise CorruptFileError(
            f"{label}: the {kind} file is truncated or damaged ({exc})", file=label
        ) from exc


def _download(
    url: str,
    dest: Path,
    *,
    progress: CountCallback | None,
    timeout: float,
    retries: int,
    backoff: float,
    setting: str,
    optional: bool,
    session: requests.Session,
) -> Path | None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    etag_file = dest.with_name(dest.name + ".etag")
    part = dest.with_name(dest.name + ".part")
    if dest.exists() and _is_current(url, dest, etag_file, session=session, timeout=timeout):
        return dest
    part.unlink(missing_ok=True)  # never resume from a previous process's half file

    etag: str | None = None
    last_error: Exception | None = None
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            etag = _get_into(url, part, etag, progress=progress, timeout=timeout, session=session)
            verify(part, label=f"{dest.name} (downloaded from {url})")
        except SourceNotFoundError:
            part.unlink(missing_ok=True)
            if optional:
                return None
            raise
        except CorruptFileError as exc:
            part.unlink(missing_ok=True)  # a damaged whole file: start again from zero
            last_error = exc
            continue
        except (requests.ConnectionError, requests.Timeout, _Retryable) as exc:
            last_error = exc  # keep the part file: the next attempt resumes it if it can
            continue
        except OSError as exc:  # the disk, not the network: full, read-only, ...
            if isinstance(exc, requests.RequestException):
                raise
            part.unlink(missing_ok=True)
            raise DownloadError(
                f"{dest.name}: cannot write {part} ({exc.strerror or exc}). Free some space "
                f"or make {dest.parent} writable (it lives in MARQUEE_DATA_DIR), then retry.",
                file=dest.name,
            ) from exc
        os.replace(part, dest)
        if etag:
            etag_file.write_text(etag, encoding="utf-8")
        else:
            etag_file.unlink(missing_ok=True)
        return dest

    part.unlink(missing_ok=True)
    if isinstance(last_error, CorruptFileError):
        raise last_error
    if isinstance(last_error, requests.ConnectionError | requests.Timeout):
        raise DownloadError(
            f"{dest.name}: could not download {url} after {retries + 1} attempts "
            f"({type(last_error).__name__}: {last_error}). Without network, download the "
            f"files elsewhere and set {setting} to the local folder that holds them "
            f"(e.g. {setting}=/path/to/folder).",
            file=dest.name,
        ) from last_error
    raise DownloadError(
        f"{dest.name}: download from {url} failed after {retries + 1} attempts: {last_error}",
        file=dest.name,
    ) from last_error


def _is_current(
    url: str, dest: Path, etag_file: Path, *, session: requests.Session, timeout: float
) -> bool:
    """True when the verified file already at ``dest`` matches what the server offers.

    Offline, an existing file counts as current: it was verified before it was renamed into
    place, and using it beats failing.
    """
    try:
        head = session.head(url, timeout=timeout, allow_redirects=True)
    except (requests.ConnectionError, requests.Timeout):
        return True
    if not head.ok:
        return False
    etag = head.headers.get("ETag")
    if etag and etag_file.exists():
        return etag_file.read_text(encoding="utf-8") == etag
    length = head.headers.get("Content-Length")
    return length is not None and int(length) == dest.stat().st_size


def _get_into(
    url: str,
    part: Path,
    etag: str | None,
    *,
    progress: CountCallback | None,
    timeout: float,
    session: requests.Session,
) -> str | None:
    """One GET into ``part``, resuming it when it exists; returns the response's ETag."""
    done = part.stat().st_size if part.exists() else 0
    headers = {}
    if done:
        headers["Range"] = f"bytes={done}-"
        if etag:
            headers["If-Range"] = etag
    with session.get(url, stream=True, timeout=timeout, headers=headers) as response:
        status = response.status_code
        if status == 404:
            raise SourceNotFoundError(f"{part.name[:-5]}: not found at {url} (HTTP 404)")
        if status == 416:  # our range is past the end: the file changed, start over
            part.unlink(missing_ok=True)
            raise _Retryable(f"HTTP 416 for {url}")
        if status >= 500 or status == 429:
            raise _Retryable(f"HTTP {status} from {url}")
        if status >= 400:
            raise DownloadError(f"{part.name[:-5]}: HTTP {status} from {url}", file=url)
        length = response.headers.get("Content-Length")
        if status == 206:
            mode = "ab"
            total = done + int(length) if length is not None else None
        else:  # 200: the server ignored the range (or there was none): restart
            mode, done = "wb", 0
            total = int(length) if length is not None else None
        new_etag = response.headers.get("ETag") or etag
        try:
            with open(part, mode) as fh:
                for chunk in response.iter_content(_CHUNK):
                    fh.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
        except requests.exceptions.ChunkedEncodingError as exc:
            raise _Retryable(f"connection cut after {done} bytes: {exc}") from exc
        if total is not None and done != total:
            raise _Retryable(f"got {done} of {total} bytes")
        return new_etag


__all__ = [
    "download_step",
    "fetch",
    "find_local",
    "resolve_url",
    "verify",
]
