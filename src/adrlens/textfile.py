"""Reading the small text files a user hands over (reference sets, expert panels).

Spreadsheets save CSV as UTF-8 (often with a byte-order mark) or, as "Unicode text", UTF-16 with one; both
are read. Anything else (a binary file, a zip, UTF-16 without its mark, a legacy code page with bytes that
are no UTF-8) is refused with one line naming the file and the encodings tried, never read as mojibake and
never left to fail inside the CSV reader.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from adrlens.errors import AdrlensError

ENCODINGS_TRIED = "UTF-8 (with or without a byte-order mark), UTF-16 (with a byte-order mark)"
# Bytes no text file holds: NUL, and the C0 controls other than tab, newline, form feed and carriage return.
_BINARY_BYTES = frozenset(range(0, 32)) - {9, 10, 12, 13}
# How much of the file is sniffed for binary bytes (enough for any header and many rows).
_SNIFF_BYTES = 64 * 1024


class TextFileError(AdrlensError):
    """A user's file is not text in an encoding adrlens reads."""


def _refuse(path: Path, what: str, why: str) -> TextFileError:
    return TextFileError(
        f"{path}: cannot read this {what}: {why}. Tried {ENCODINGS_TRIED}; save it as CSV UTF-8 and try again."
    )


def read_user_text(path: Path, what: str) -> str:
    """The text of a user's file, decoded as UTF-8 or UTF-16 by its byte-order mark; TextFileError else."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise TextFileError(f"{path}: cannot read this {what} ({e.strerror or e}).") from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as e:
            raise _refuse(path, what, f"it starts like UTF-16 but byte {e.start:,} is not UTF-16") from None
    else:
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        bad = next((i for i, b in enumerate(raw[:_SNIFF_BYTES]) if b in _BINARY_BYTES), None)
        if bad is not None:
            why = "it is a binary file" if raw[bad] else "it holds NUL bytes (binary, or UTF-16 without a mark)"
            raise _refuse(path, what, f"{why} (byte {bad:,})")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _refuse(path, what, f"byte {e.start:,} is not UTF-8") from None
    if any(ord(ch) in _BINARY_BYTES for ch in text[:_SNIFF_BYTES]):
        raise _refuse(path, what, "it holds control characters that no text file has")
    return text
