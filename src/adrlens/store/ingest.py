"""Ingest report files into a store: discover, read, log, normalise drugs, deduplicate.

`ingest(paths, store)` is the whole job behind `adrlens ingest`. It runs inside one atomic store
build (adrlens.store.build): either every file given is ingested and the deduplicated tables are
rebuilt, or (on a crash or kill) the previous store file is left exactly as it was. A file whose
sha256 is already in `ingest_log` is skipped, so re-running an ingest never double-counts.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType

import duckdb

from adrlens.errors import IngestError
from adrlens.sources import registry
from adrlens.sources.base import FileResult, SourceFile
from adrlens.store import db


@dataclass
class FileOutcome:
    file: str
    status: str  # 'ingested' | 'already ingested' | 'failed' | 'ignored'
    result: FileResult | None = None
    error: str | None = None


@dataclass
class IngestSummary:
    store: Path
    files: list[FileOutcome] = field(default_factory=list)
    cases: dict[str, int] = field(default_factory=dict)  # deduplicated cases per source
    unmapped_drug_names: int = 0

    @property
    def ingested(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "ingested"]

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "failed"]

    def totals(self) -> dict[str, int]:
        rs = [f.result for f in self.ingested if f.result]
        return {
            "files_ingested": len(rs),
            "files_already_ingested": sum(f.status == "already ingested" for f in self.files),
            "files_failed": len(self.failed),
            "files_ignored": sum(f.status == "ignored" for f in self.files),
            "rows_read": sum(r.rows_read for r in rs),
            "rows_loaded": sum(r.rows_loaded for r in rs),
            "rows_repaired": sum(r.rows_repaired for r in rs),
            "rows_skipped": sum(r.rows_skipped for r in rs),
        }

    def to_dict(self) -> dict:
        return {
            "store": str(self.store),
            "totals": self.totals(),
            "cases": self.cases,
            "files": [
                {
                    "file": f.file,
                    "status": f.status,
                    "error": f.error,
                    **(
                        {
                            "table": f.result.table_name,
                            "quarter": f.result.quarter,
                            "rows_read": f.result.rows_read,
                            "rows_loaded": f.result.rows_loaded,
                            "repaired": dict(f.result.repaired),
                            "skipped": dict(f.result.skipped),
                        }
                        if f.result
                        else {}
                    ),
                }
                for f in self.files
            ],
        }


def discover(paths: Iterable[str | Path]) -> Iterator[SourceFile]:
    """Every table file under the given paths: folders are walked, zips opened (members in order)."""
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise IngestError(f"{p} does not exist. Give a FAERS/VAERS zip, a folder, or a table file.")
        if p.is_dir():
            for child in sorted(x for x in p.rglob("*") if x.is_file()):
                yield from _expand(child)
        else:
            yield from _expand(p)


def _expand(p: Path) -> Iterator[SourceFile]:
    if p.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(p) as zf:
                members = [i.filename for i in zf.infolist() if not i.is_dir()]
        except (zipfile.BadZipFile, OSError) as e:
            # Surfaced as a failed file by the caller, not a crash.
            yield SourceFile(p, member=f"<unreadable zip: {e}>")
            return
        for m in sorted(members):
            yield SourceFile(p, m)
    else:
        yield SourceFile(p)


def _reader_for(file: SourceFile, readers: list[ModuleType]) -> ModuleType | None:
    for r in readers:
        if r.detect(file):
            return r
    return None


ProgressFn = Callable[[str, int, int], None]


def ingest_files(
    con: duckdb.DuckDBPyConnection, paths: Iterable[str | Path], store_path: Path, progress: ProgressFn | None = None
) -> IngestSummary:
    """Stage every report file under `paths` into the store being built on `con`, then rebuild the drug map
    and the deduplicated report tables (all sources)."""
    files = list(discover(paths))
    readers = registry.readers()
    summary = IngestSummary(store=store_path)
    seen = {r[0] for r in con.execute("SELECT sha256 FROM ingest_log").fetchall()}
    next_id = con.execute("SELECT coalesce(max(file_id), 0) + 1 FROM ingest_log").fetchall()[0][0]
    for i, f in enumerate(files):
        if progress:
            progress(f.display, i, len(files))
        if f.member and f.member.startswith("<unreadable zip"):
            summary.files.append(FileOutcome(str(f.path), "failed", error=f.member.strip("<>")))
            continue
        reader = _reader_for(f, readers)
        if reader is None:
            summary.files.append(FileOutcome(f.display, "ignored"))
            continue
        try:
            sha = f.sha256()
        except (OSError, EOFError, zipfile.BadZipFile, ValueError) as e:
            summary.files.append(FileOutcome(f.display, "failed", error=f"cannot read: {e}"))
            continue
        if sha in seen:
            summary.files.append(FileOutcome(f.display, "already ingested"))
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            result = reader.read(con, f, next_id)
        except IngestError as e:
            con.execute("ROLLBACK")
            summary.files.append(FileOutcome(f.display, "failed", error=str(e)))
            continue
        _log(con, next_id, sha, f, result)
        con.execute("COMMIT")
        seen.add(sha)
        next_id += 1
        summary.files.append(FileOutcome(f.display, "ingested", result))
    if progress:
        progress("normalising drug names", len(files), len(files))
    summary.unmapped_drug_names = update_drug_map(con)
    if progress:
        progress("deduplicating", len(files), len(files))
    db.rebuild_derived(con)
    summary.cases = dict(con.execute("SELECT source, count(*) FROM report GROUP BY 1 ORDER BY 1").fetchall())
    return summary


def logged_inputs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every report file in the store with its sha256 (the reports part of the build marker)."""
    return [
        {"path": p, "sha256": h, "source": s}
        for p, h, s in con.execute("SELECT path, sha256, source FROM ingest_log ORDER BY file_id").fetchall()
    ]


def _log(con: duckdb.DuckDBPyConnection, file_id: int, sha: str, f: SourceFile, r: FileResult) -> None:
    con.execute(
        "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            file_id,
            sha,
            f.display,
            r.source,
            r.layout,
            r.table_name,
            r.quarter,
            r.encoding,
            r.rows_read,
            r.rows_loaded,
            r.rows_repaired,
            r.rows_skipped,
            datetime.now(),
        ],
    )
    for action, counter in (("repaired", r.repaired), ("skipped", r.skipped)):
        for reason, n in counter.items():
            line, example = r.examples.get((action, reason), (0, ""))
            con.execute(
                "INSERT INTO ingest_issue VALUES (?, ?, ?, ?, ?, ?)", [file_id, action, reason, n, line, example]
            )


def update_drug_map(con: duckdb.DuckDBPyConnection) -> int:
    """Map every new distinct (source, drugname, prod_ai) to ingredients; returns unmapped names added."""
    new = con.execute(
        """SELECT DISTINCT s.source, s.drugname, s.prod_ai FROM stage_drug s
           WHERE NOT EXISTS (SELECT 1 FROM drug_map m WHERE m.source = s.source
                 AND m.drugname IS NOT DISTINCT FROM s.drugname AND m.prod_ai IS NOT DISTINCT FROM s.prod_ai)"""
    ).fetchall()
    if not new:
        return 0
    import pyarrow as pa

    from adrlens.sources import registry
    from adrlens.vocab.names import normalise_products  # heavy vocabularies load only when needed

    rows = normalise_products(new, registry.of_kind("vaccine"))
    names = ["source", "drugname", "prod_ai", "ingredient", "mapped", "method"]
    types = [pa.string()] * 4 + [pa.bool_(), pa.string()]
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    con.register("_dm", pa.table({n: pa.array(c, t) for n, c, t in zip(names, cols, types, strict=True)}))
    con.execute("INSERT INTO drug_map SELECT * FROM _dm")
    n_unmapped = con.execute("SELECT count(DISTINCT (drugname, prod_ai)) FROM _dm WHERE NOT mapped").fetchall()[0][0]
    con.unregister("_dm")
    return int(n_unmapped)
