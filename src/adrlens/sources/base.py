"""The contract every report reader follows.

A reader gets a `SourceFile` (one table file, on disk or inside a zip), appends rows to the
`stage_*` tables through the given DuckDB connection, and records what it did in a `FileResult`:
rows read, loaded, repaired and skipped, each repair or skip counted by reason with one example.
The ingest orchestrator (adrlens.store.ingest) writes `ingest_log` / `ingest_issue`, skips files whose
sha256 is already logged, rebuilds drug_map and the deduplicated tables, all inside one atomic build.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SourceFile:
    """One table file: a plain path, or a member of a zip (`member` set)."""

    path: Path
    member: str | None = None

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
