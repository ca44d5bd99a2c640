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
    return resources.files("adrlens").joinpath(name).read_text(encoding="utf-8")


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
        con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
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
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()[0]
    )
