"""What an uploaded ratings file may be: its size, its rows, its text and its cells.

Every check raises :class:`ImportFileError` with one sentence a user can act on; a file that
fails any of them is refused whole, so nothing of it is stored.
"""

from __future__ import annotations

import unicodedata

#: Largest upload (and largest ``ratings.csv`` inside a zip) we read: a 20,000-row IMDb export
#: is about 3 MB, so this leaves room without letting a file tie up the server.
MAX_BYTES = 5 * 1024 * 1024
#: Most rating rows one file may hold (a keen rater has a few thousand).
MAX_ROWS = 20_000
#: Longest cell: titles, names and director lists stay far below this.
MAX_CELL_CHARS = 1_000
#: The control characters a text file may hold (between cells, not inside them).
_LINE_CONTROLS = {"\n", "\r", "\t"}


class ImportFileError(ValueError):
    """The file cannot be imported; ``message`` says why in words for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_size(data: bytes, what: str = "The file") -> None:
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"{what} is {len(data) / 1024 / 1024:.1f} MB; files up to "
            f"{MAX_BYTES // 1024 // 1024} MB can be imported."
        )
    if not data.strip():
        raise ImportFileError(f"{what} is empty.")


def decode_text(data: bytes, what: str = "The file") -> str:
    """UTF-8 text (a byte-order mark is dropped); binary data and other encodings are refused."""
    check_size(data, what)
    if b"\x00" in data:
        raise ImportFileError(f"{what} is not a text file (it holds binary data).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{what} is not UTF-8 text (byte {exc.start + 1} cannot be read); "
            "upload the export as it was downloaded."
        ) from exc
    if any(unicodedata.category(c) == "Cc" and c not in _LINE_CONTROLS for c in text):
        raise ImportFileError(f"{what} holds control characters; it is not a ratings export.")
    return text


def check_cell(value: str, line: int, column: str) -> str:
    """A cell as text, refused when it is too long or carries control characters."""
    if len(value) > MAX_CELL_CHARS:
        raise ImportFileError(
            f"Line {line}: the {column!r} cell is {len(value):,} characters long "
            f"(at most {MAX_CELL_CHARS:,}); this is not a ratings export."
        )
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ImportFileError(f"Line {line}: the {column!r} cell holds control characters.")
    return value.strip()
