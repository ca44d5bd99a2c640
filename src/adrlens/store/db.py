"""The adrlens store: one DuckDB file holding deduplicated reports and knowledge tables.

Writes are atomic at the file level: `Store.build(path)` copies the current file (if any) to a
temporary file beside it, yields a connection on the copy, and renames the copy over the original
only when the block finishes without error. A process killed mid-build leaves the old file untouched
(and a stale temporary that the next build removes).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb

from adrlens.errors import StoreError

SCHEMA_VERSION = "1"


def _sql(name: str) -> str:
    return resources.files("adrlens.store").joinpath(name).read_text(encoding="utf-8")


def init_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the staging and bookkeeping tables if absent (idempotent)."""
    con.execute(_sql("schema.sql"))
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [SCHEMA_VERSION],
    )


def rebuild_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the deduplicated report tables from staging (all quarters, all sources)."""
    con.execute(_sql("derived.sql"))


def _tmp_path(path: Path) -> Path:
    return path.with_name(path.name + ".building.tmp")


@contextlib.contextmanager
def build(path: str | os.PathLike[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a writable copy of the store at `path`; commit it by rename when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path)
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        if stale.exists():
            stale.unlink()
    if path.exists():
        _check_is_store(path)
        shutil.copyfile(path, tmp)
    con = duckdb.connect(str(tmp))
    ok = False
    try:
        init_schema(con)
        yield con
        con.execute("CHECKPOINT")
        ok = True
    finally:
        con.close()
        if ok:
            os.replace(tmp, path)
        else:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            with contextlib.suppress(FileNotFoundError):
                tmp.with_name(tmp.name + ".wal").unlink()


def _check_is_store(path: Path) -> None:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise StoreError(f"{path} is not a readable DuckDB file ({e}). Remove it or choose another --store.") from e
    try:
        con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()[0]
    except duckdb.Error as e:
        raise StoreError(f"{path} is a DuckDB file but not an adrlens store. Choose another --store.") from e
    finally:
        con.close()


def connect(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """Open an existing store read-only."""
    path = Path(path)
    if not path.exists():
        raise StoreError(
            f"No store at {path}. Build one first: adrlens ingest ../shared/data/faers/samples --store {path}"
        )
    _check_is_store(path)
    return duckdb.connect(str(path), read_only=True)


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()[0][0]
    )


def status(con: duckdb.DuckDBPyConnection, top_unmapped: int = 15) -> dict:
    """What the store holds: files, repairs and skips, dedup steps, drug mapping. JSON-safe."""

    def rows(sql: str, params: list | None = None) -> list[tuple]:
        return con.execute(sql, params or []).fetchall()

    files = rows("""SELECT source, count(*), sum(rows_read), sum(rows_loaded), sum(rows_repaired),
                           sum(rows_skipped), min(quarter), max(quarter)
                    FROM ingest_log GROUP BY 1 ORDER BY 1""")
    issues = rows("""SELECT l.source, i.action, i.reason, sum(i.n), any_value(l.path), any_value(i.example)
                     FROM ingest_issue i JOIN ingest_log l USING (file_id)
                     GROUP BY 1, 2, 3 ORDER BY 1, 2, 4 DESC""")
    dedup = rows("""
        WITH v AS (SELECT source, count(*) AS versions, count(DISTINCT caseid) AS cases FROM stage_demo GROUP BY 1),
             d AS (SELECT source, count(DISTINCT caseid) AS deleted_ids FROM stage_deleted GROUP BY 1),
             r AS (SELECT source, count(*) AS final FROM report GROUP BY 1)
        SELECT v.source, v.versions, v.cases, coalesce(d.deleted_ids, 0), coalesce(r.final, 0)
        FROM v LEFT JOIN d USING (source) LEFT JOIN r USING (source) ORDER BY 1""")
    orphans = {}
    for t in ("stage_drug", "stage_reac"):
        orphans[t.removeprefix("stage_")] = dict(
            rows(f"""
            SELECT s.source, count(*) FROM {t} s
            WHERE NOT EXISTS (SELECT 1 FROM stage_demo d WHERE d.source = s.source AND d.primaryid = s.primaryid)
            GROUP BY 1""")
        )
    mapping = rows("""SELECT source, count(*), count(*) FILTER (WHERE mapped) FROM report_drug GROUP BY 1
                      ORDER BY 1""")
    unmapped = rows(f"""SELECT source, ingredient, count(*) AS n FROM report_drug WHERE NOT mapped
                        GROUP BY 1, 2 ORDER BY n DESC LIMIT {int(top_unmapped)}""")
    return {
        "files": [
            dict(
                zip(
                    [
                        "source",
                        "files",
                        "rows_read",
                        "rows_loaded",
                        "rows_repaired",
                        "rows_skipped",
                        "first_period",
                        "last_period",
                    ],
                    r,
                    strict=True,
                )
            )
            for r in files
        ],
        "issues": [
            dict(zip(["source", "action", "reason", "rows", "example_file", "example"], r, strict=True)) for r in issues
        ],
        "dedup": [
            dict(
                zip(
                    [
                        "source",
                        "report_versions_read",
                        "distinct_cases_latest_version",
                        "deleted_case_ids_listed",
                        "cases_after_deletes",
                    ],
                    r,
                    strict=True,
                )
            )
            for r in dedup
        ],
        "orphan_rows": orphans,
        "drug_rows": [dict(zip(["source", "rows", "mapped"], r, strict=True)) for r in mapping],
        "top_unmapped": [dict(zip(["source", "name", "rows"], r, strict=True)) for r in unmapped],
    }
