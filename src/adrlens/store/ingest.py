"""Ingest report files into a store: discover, read, log, normalise drugs, deduplicate.

`ingest(paths, store)` is the whole job behind `adrlens ingest`. It runs inside one atomic store
build (adrlens.build): either every file given is ingested and the deduplicated tables are rebuilt,
or (a file that cannot be read, a crash or a kill) the previous store file is left exactly as it was.
A file whose sha256 is already in `ingest_log` is skipped, and the derived tables take each report
version's rows from one file only (derived.sql), so re-running an ingest, or ingesting a re-encoded,
renamed or re-zipped copy of a release, never double-counts. Zip members are size- and ratio-checked
before they are read, and only regular files are read (see docs/reliability-ingest.md).
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType

import duckdb

from adrlens.errors import IngestError, IngestFailed
from adrlens.sources import registry
from adrlens.sources.base import READ_ERRORS, FileResult, SourceFile, ZipLimits
from adrlens.store import db

# The names `adrlens ingest` reads (said when a command finds none of them).
EXPECTED_NAMES = (
    "FAERS/AERS quarterly tables named DEMOyyQq.txt, DRUGyyQq.txt, REACyyQq.txt, OUTCyyQq.txt, INDIyyQq.txt, "
    "THERyyQq.txt, RPSRyyQq.txt, DELETEyyQq.txt (in a faers_ascii_yyyyqq.zip or a folder), "
    "VAERS yearly tables yyyyVAERSDATA.csv, yyyyVAERSVAX.csv, yyyyVAERSSYMPTOMS.csv, "
    "or the FAERS primary-suspect extract cases_ps_drug_pt.csv(.gz)"
)
_NAMES_SHOWN = 5

_FILE, _DIR, _MISSING = "file", "folder", "missing"
_SPECIAL = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


@dataclass(frozen=True)
class Refused:
    """A file found by `discover` that cannot be read at all (a special file, an unreadable zip)."""

    display: str
    reason: str


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


def discover(paths: Iterable[str | Path]) -> Iterator[SourceFile | Refused]:
    """Every table file under the given paths: folders are walked, zips opened (members in order).

    Only regular files and folders are read: a device, pipe or socket given as an argument is refused at
    once (reading /dev/zero or a FIFO never ends); one met while walking a folder is a refused file."""
    for p in paths:
        p = Path(p)
        kind = _kind(p)
        if kind == _MISSING:
            raise IngestError(f"{p} does not exist. Give a FAERS/VAERS zip, a folder, or a table file.")
        if kind == _DIR:
            for child in sorted(p.rglob("*")):
                k = _kind(child)
                if k == _FILE:
                    yield from _expand(child)
                elif k != _DIR:
                    yield Refused(str(child), _not_regular(k))
        elif kind == _FILE:
            yield from _expand(p)
        else:
            raise IngestError(f"{p} {_not_regular(kind)}")


def _kind(p: Path) -> str:
    """What `p` is (symlinks followed): _FILE, _DIR, _MISSING or a description of a special file."""
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        return _MISSING if not p.is_symlink() else "a broken symbolic link"
    except OSError as e:
        return f"not readable ({e.strerror})"
    if stat.S_ISREG(mode):
        return _FILE
    if stat.S_ISDIR(mode):
        return _DIR
    for test, what in _SPECIAL:
        if test(mode):
            return what
    return "a special file"


def _not_regular(kind: str) -> str:
    return (
        f"is {kind}, not a regular file or folder: adrlens reads only FAERS/VAERS zips, folders and table files. "
        "Copy the data to a regular file and ingest that."
    )


def _expand(p: Path) -> Iterator[SourceFile | Refused]:
    if p.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(p) as zf:
                members = [i for i in zf.infolist() if not i.is_dir()]
        except (zipfile.BadZipFile, OSError) as e:
            # Surfaced as a failed file by the caller, not a crash.
            yield Refused(str(p), f"unreadable zip ({e}). Is it truncated? Download it again.")
            return
        for i in sorted(members, key=lambda i: i.filename):
            yield SourceFile(p, i.filename, size=i.file_size, compressed_size=i.compress_size)
    else:
        yield SourceFile(p)


def _reader_for(file: SourceFile, readers: list[ModuleType]) -> ModuleType | None:
    for r in readers:
        if r.detect(file):
            return r
    return None


def _read_failure(e: Exception) -> str:
    if isinstance(e, (zipfile.BadZipFile, zlib.error, EOFError)):
        return f"damaged or truncated ({e}). Download it again."
    return f"cannot read ({e})"


ProgressFn = Callable[[str, int, int], None]


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    store_path: Path,
    progress: ProgressFn | None = None,
    limits: ZipLimits | None = None,
) -> IngestSummary:
    """Stage every report file under `paths` into the store being built on `con`, then rebuild the drug map
    and the deduplicated report tables (all sources).

    All or nothing: when any file fails to read, every file is still tried (so all failures are reported)
    and then IngestFailed is raised, which abandons the build: nothing of this command enters the store.
    A command that names files but finds no report table among them fails too (a wrong folder, not a no-op)."""
    paths = list(paths)
    limits = limits or ZipLimits.from_env()
    files = list(discover(paths))
    readers = registry.readers()
    summary = IngestSummary(store=store_path)
    seen = {r[0] for r in con.execute("SELECT sha256 FROM ingest_log").fetchall()}
    next_id = con.execute("SELECT coalesce(max(file_id), 0) + 1 FROM ingest_log").fetchall()[0][0]
    for i, f in enumerate(files):
        if progress:
            progress(f.display, i, len(files))
        if isinstance(f, Refused):
            summary.files.append(FileOutcome(f.display, "failed", error=f.reason))
            continue
        try:
            reader = _reader_for(f, readers)  # some readers look at the first bytes
        except READ_ERRORS as e:
            summary.files.append(FileOutcome(f.display, "failed", error=_read_failure(e)))
            continue
        if reader is None:
            summary.files.append(FileOutcome(f.display, "ignored"))
            continue
        refusal = limits.refusal(f)
        if refusal:
            summary.files.append(FileOutcome(f.display, "failed", error=refusal))
            continue
        try:
            sha = f.sha256()
        except (*READ_ERRORS, ValueError) as e:
            summary.files.append(FileOutcome(f.display, "failed", error=_read_failure(e)))
            continue
        if sha in seen:
            summary.files.append(FileOutcome(f.display, "already ingested"))
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            result = reader.read(con, f, next_id)
        except (IngestError, *READ_ERRORS) as e:
            con.execute("ROLLBACK")
            error = str(e) if isinstance(e, IngestError) else _read_failure(e)
            summary.files.append(FileOutcome(f.display, "failed", error=error))
            continue
        _log(con, next_id, sha, f, result)
        con.execute("COMMIT")
        seen.add(sha)
        next_id += 1
        summary.files.append(FileOutcome(f.display, "ingested", result))
    _check_complete(summary, paths, store_path)
    if progress:
        progress("normalising drug names", len(files), len(files))
    summary.unmapped_drug_names = update_drug_map(con)
    if progress:
        progress("deduplicating", len(files), len(files))
    db.rebuild_derived(con)
    summary.cases = dict(con.execute("SELECT source, count(*) FROM report GROUP BY 1 ORDER BY 1").fetchall())
    return summary


def _check_complete(summary: IngestSummary, paths: list[str | Path], store_path: Path) -> None:
    """Raise IngestFailed (the build is abandoned) when a file failed or nothing given was a report table."""
    failed = summary.failed
    if failed:
        tried = sum(f.status != "ignored" for f in summary.files)
        lines = "".join(f"\n  failed: {f.file}: {f.error}" for f in failed)
        state = "is unchanged" if store_path.exists() else "was not created"
        raise IngestFailed(
            f"nothing was ingested and {store_path} {state}: {len(failed)} of {tried} report files "
            f"could not be read.{lines}\nReplace or remove the failed files, then run the ingest again."
        )
    if paths and not any(f.status in ("ingested", "already ingested") for f in summary.files):
        where = ", ".join(str(p) for p in paths[:_NAMES_SHOWN]) + (" ..." if len(paths) > _NAMES_SHOWN else "")
        ignored = [Path(f.file.split("::")[-1]).name for f in summary.files]
        seen = (
            f" ({len(ignored)} files ignored: {', '.join(ignored[:_NAMES_SHOWN])}"
            + (" ..." if len(ignored) > _NAMES_SHOWN else "")
            + ")"
            if ignored
            else " (no files at all)"
        )
        raise IngestFailed(f"no FAERS or VAERS tables found in {where}{seen}. Expected {EXPECTED_NAMES}.")


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
