"""The contract every report reader follows.

A reader gets a `SourceFile` (one table file, on disk or inside a zip), appends rows to the
`stage_*` tables through the given DuckDB connection, and records what it did in a `FileResult`:
rows read, loaded, repaired and skipped, each repair or skip counted by reason with one example.
The ingest orchestrator (adrlens.store.ingest) writes `ingest_log` / `ingest_issue`, skips files whose
sha256 is already logged, rebuilds drug_map and the deduplicated tables, all inside one atomic build.
A zip member carries the sizes its zip declares; `ZipLimits` refuses one that would expand too far before a
byte of it is read (docs/reliability-ingest.md).
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from adrlens.errors import IngestError

# What reading a damaged file can raise: a truncated or damaged zip (bad CRC, broken deflate stream, cut
# short) surfaces as any of these, never as an IngestError. The ingest reports them as that file's failure.
READ_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, zipfile.BadZipFile, zlib.error)

# Zip members are checked against these limits before a byte is decompressed: a zip of a few hundred KB
# can hold gigabytes of repeated bytes. A real FAERS quarter's biggest member is a few hundred MB,
# compressed about 5-10:1, so the defaults stop only what no release holds.
MAX_MEMBER_MB = 4096
MAX_RATIO = 100
# Members smaller than this are never refused for their ratio (a tiny, very repetitive table is harmless).
RATIO_FLOOR_MB = 1
MAX_MEMBER_ENV = "ADRLENS_MAX_MEMBER_MB"
MAX_RATIO_ENV = "ADRLENS_MAX_RATIO"
_MB = 1 << 20
# A table saved as "Unicode text" by a spreadsheet: UTF-16 with its byte-order mark. Every reader reads it,
# and counts the file once under this repair reason.
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
UTF16_REPAIR = "UTF-16 file read as UTF-16 and stored as UTF-8"


@dataclass(frozen=True)
class SourceFile:
    """One table file: a plain path, or a member of a zip (`member` set, with the sizes its zip declares).

    Reading a member never yields more than `size` bytes: zipfile stops at the declared size (and then
    fails the CRC check if the stream had more), so checking `size` before reading bounds the work."""

    path: Path
    member: str | None = None
    size: int | None = None  # a member's declared uncompressed size
    compressed_size: int | None = None

    @property
    def name(self) -> str:
        return Path(self.member).name if self.member else self.path.name

    @property
    def display(self) -> str:
        return f"{self.path}::{self.member}" if self.member else str(self.path)

    def read_bytes(self) -> bytes:
        if self.member is None:
            return self.path.read_bytes()
        with zipfile.ZipFile(self.path) as zf:
            return zf.read(self.member)

    def open(self) -> io.BufferedIOBase:
        if self.member is None:
            return open(self.path, "rb")
        zf = zipfile.ZipFile(self.path)
        return zf.open(self.member)  # type: ignore[return-value]

    def sha256(self) -> str:
        h = hashlib.sha256()
        with self.open() as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()


@dataclass
class FileResult:
    """What a reader did with one file."""

    source: str  # the reader's SOURCE: a key of adrlens.sources.registry
    layout: str  # the file layout: aers, faers, diana, vaers, the PS extract, or a DELETE list
    table_name: str  # DEMO, DRUG, ... DELETE, VAERSDATA, VAERSVAX, VAERSSYMPTOMS, CASES_PS
    quarter: str | None = None
    encoding: str = "utf-8"
    rows_read: int = 0
    rows_loaded: int = 0
    repaired: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    def repair(self, reason: str, line_no: int = 0, example: str = "") -> None:
        self.repaired[reason] += 1
        self.examples.setdefault(("repaired", reason), (line_no, example[:300]))

    def skip(self, reason: str, line_no: int = 0, example: str = "", n: int = 1) -> None:
        self.skipped[reason] += n
        self.examples.setdefault(("skipped", reason), (line_no, example[:300]))

    @property
    def rows_repaired(self) -> int:
        return sum(self.repaired.values())

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())


def _env_number(var: str, default: float) -> float:
    value = os.environ.get(var)
    if not value:
        return default
    try:
        n = float(value)
    except ValueError:
        n = 0.0
    if not n > 0:
        raise IngestError(f"{var}={value!r} is not a positive number. Set it to a number, e.g. {var}={default:g}.")
    return n


@dataclass(frozen=True)
class ZipLimits:
    """How much a zip member may expand; `adrlens ingest --max-member-mb/--max-ratio` (or the env) raise them."""

    member_mb: float = MAX_MEMBER_MB
    ratio: float = MAX_RATIO

    @classmethod
    def from_env(cls) -> ZipLimits:
        return cls(_env_number(MAX_MEMBER_ENV, MAX_MEMBER_MB), _env_number(MAX_RATIO_ENV, MAX_RATIO))

    def refusal(self, f: SourceFile) -> str | None:
        """Why a zip member is refused before it is read (from the sizes its zip declares), or None."""
        if f.size is None:
            return None
        if f.size > self.member_mb * _MB:
            return (
                f"{f.size / _MB:,.0f} MB uncompressed, above the limit of {self.member_mb:g} MB per zip member. "
                f"If the file is genuine, raise the limit: adrlens ingest --max-member-mb N (or {MAX_MEMBER_ENV}=N)."
            )
        ratio = f.size / max(f.compressed_size or 0, 1)
        if f.size > RATIO_FLOOR_MB * _MB and ratio > self.ratio:
            return (
                f"compressed {ratio:,.0f}:1 ({f.compressed_size:,} bytes expand to {f.size:,}), above the limit "
                f"of {self.ratio:g}:1 (a zip bomb?). If the file is genuine, raise the limit: "
                f"adrlens ingest --max-ratio N (or {MAX_RATIO_ENV}=N)."
            )
        return None


def set_zip_limits(max_member_mb: float | None, max_ratio: float | None) -> None:
    """The `adrlens ingest` options: the limits for every ingest of this process (they are read from the env)."""
    for option, var, value in (
        ("--max-member-mb", MAX_MEMBER_ENV, max_member_mb),
        ("--max-ratio", MAX_RATIO_ENV, max_ratio),
    ):
        if value is not None:
            if not value > 0:
                raise IngestError(f"{option} {value:g}: give a positive number.")
            os.environ[var] = str(value)


class BoundedGunzip(io.RawIOBase):
    """A gzip stream that stops, with the limit and how to raise it, once it has expanded past the zip limits.

    gzip declares no trustworthy size up front (its trailer holds the size mod 4 GiB, at the end), so the
    bytes are counted as they come: at most `ZipLimits.member_mb`, and (past `RATIO_FLOOR_MB`) at most
    `ZipLimits.ratio` times the compressed size. A gzip bomb is refused after reading the limit, not the bomb."""

    def __init__(self, stream: io.BufferedIOBase, compressed_size: int, display: str) -> None:
        import gzip

        self._gz = gzip.GzipFile(fileobj=stream)  # type: ignore[arg-type]
        self._compressed = max(compressed_size, 1)
        self._display = display
        self._limits = ZipLimits.from_env()
        self._out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self._gz.read(len(buffer))
        self._out += len(data)
        if self._out > self._limits.member_mb * _MB:
            raise IngestError(
                f"{self._display} expands past the limit of {self._limits.member_mb:g} MB. If the file is genuine, "
                f"raise the limit: adrlens ingest --max-member-mb N (or {MAX_MEMBER_ENV}=N)."
            )
        if self._out > RATIO_FLOOR_MB * _MB and self._out / self._compressed > self._limits.ratio:
            raise IngestError(
                f"{self._display} expands more than {self._limits.ratio:g}:1 ({self._compressed:,} compressed bytes "
                f"gave {self._out:,} so far; a gzip bomb?). If the file is genuine, raise the limit: adrlens ingest "
                f"--max-ratio N (or {MAX_RATIO_ENV}=N)."
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._gz.close()
        super().close()

