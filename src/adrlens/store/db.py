"""The adrlens store file: connect (read-only, refusing an incomplete store), the atomic write, the marker.

Writes are atomic at the file level: `building(path)` copies the current file (if any) to a temporary
file beside it, yields a connection on the copy, and renames the copy over the original only when the
block finishes without error. A process killed mid-build leaves the old file untouched (and a stale
temporary that the next build removes). One build at a time holds the store's lock; Ctrl-C, SIGTERM,
a full disk and a read-only store or folder are handled in `store.guard`.

A build ends by writing the "complete" marker (`meta` key `build`): the package version, the schema
version, the parts built (`PARTS`) and the build's inputs with their sha256. `connect` refuses a store
without the marker, or one lacking a part the caller needs, with the command that rebuilds it; so no
reader ever checks whether a table exists.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from pathlib import Path

import duckdb

from adrlens.errors import StoreError
from adrlens.store import guard

SCHEMA_VERSION = "3"
BUILD_KEY = "build"
#: What a build can make: the deduplicated reports, the knowledge tables (labels, literature, profiles),
#: all-pairs statistics with each source's MGPS prior, and the published count tables.
PARTS: tuple[str, ...] = ("reports", "knowledge", "pair_stats", "count_tables")


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


@contextlib.contextmanager
def building(
    path: str | os.PathLike[str],
    wait: float | None = None,
    notice: Callable[[str], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a writable copy of the store at `path`; commit it by rename when the block succeeds.

    Holds the store's lock throughout (waiting up to `wait` seconds, default `guard.DEFAULT_WAIT_S`, for
    another build; `notice` is told once that it waits). Any failure, Ctrl-C or SIGTERM removes the copy
    and leaves the store as it was."""
    path = Path(path)
    guard.check_writable(path)
    with guard.interrupts() as intr:
        tmp = guard.temp_path(path)
        try:
            with guard.store_lock(path, guard.DEFAULT_WAIT_S if wait is None else wait, intr.tell(notice)):
                guard.remove_stale_temps(path)
                mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
                if mode is not None:
                    _check_is_store(path)
                guard.check_free_space(path)
                if mode is not None:
                    shutil.copyfile(path, tmp)
                # No DuckDB progress bar: it would draw over ours on stderr.
                con = duckdb.connect(str(tmp))
                con.execute("SET enable_progress_bar = false")
                intr.watch(con)
                try:
                    init_schema(con)
                    yield con
                    con.execute("CHECKPOINT")
                except BaseException:
                    intr.stop()  # the cleanup below, and abandoned generators closing now, need the connection
                    # The copy is thrown away: closing must not first fold its write-ahead log into it.
                    with contextlib.suppress(duckdb.Error):
                        con.execute("PRAGMA disable_checkpoint_on_shutdown")
                    raise
                finally:
                    intr.watch(None)
                    con.close()
                if mode is not None:
                    os.chmod(tmp, mode)  # a replaced store keeps its permissions
                intr.stop()  # from here the rename happens: a signal now waits for it
                os.replace(tmp, path)
                _sync_folder(path.parent)
        except BaseException as e:
            intr.stop()
            guard.remove_files(guard.temp_files(tmp))
            if isinstance(e, GeneratorExit):  # the with block was abandoned: nobody to tell
                raise
            told = _store_error(e, path, intr)
            if told is e:
                raise
            raise told from e
    if intr.signum is not None:
        raise intr.error(path, committed=True)


def _store_error(e: BaseException, path: Path, intr: guard.InterruptGuard) -> BaseException:
    """What a failed build tells the user: stopped by a signal, a full disk, a folder it cannot write in;
    any other error as it is."""
    if intr.signum is not None:
        return intr.error(path)
    if isinstance(e, Exception) and guard.is_disk_full(e):
        return guard.disk_full_error(path)
    if isinstance(e, OSError) and path.name in f"{e.filename} {e.filename2}":
        return StoreError(
            f"cannot write the store's copy in {path.parent} ({e.strerror}); the store is unchanged. Make the "
            "folder writable or choose another --store."
        )
    return e


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk (a power cut after it otherwise may undo it).
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _check_is_store(path: Path) -> None:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise StoreError(
            f"{path} is not a readable DuckDB file ({e}). Remove it and build a store there "
            f"(adrlens build --store {path}), or choose another --store."
        ) from e
    try:
        con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()[0]
    except duckdb.Error as e:
        raise StoreError(
            f"{path} is a DuckDB file but not an adrlens store. Choose another --store, or remove it and build one "
            f"(adrlens build --store {path})."
        ) from e
    finally:
        con.close()


def _rebuild_hint(path: Path) -> str:
    return f"Rebuild it from the files it holds: adrlens rebuild --store {path}"


def read_marker(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The build marker of an open store, or None when no build completed into it."""
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = ?", [BUILD_KEY]).fetchall()
    except duckdb.Error:
        return None
    return json.loads(rows[0][0]) if rows else None


def write_marker(con: duckdb.DuckDBPyConnection, parts: Iterable[str], inputs: dict) -> dict:
    """Mark the store being built as complete: version, schema, parts and inputs (sha256s)."""
    from adrlens import __version__

    marker = {
        "complete": True,
        "adrlens_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "parts": [p for p in PARTS if p in set(parts)],
        "inputs": inputs,
        "built_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    con.execute(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [BUILD_KEY, json.dumps(marker, sort_keys=True)],
    )
    return marker


def connect(path: str | os.PathLike[str], require: Iterable[str] = PARTS) -> duckdb.DuckDBPyConnection:
    """Open a complete store read-only (`with connect(p) as con:` closes it).

    Refuses, with the command that rebuilds it, a missing file, a file that is no adrlens store, a store
    whose build did not complete, and one built without a part in `require`."""
    path = Path(path)
    if not path.exists():
        raise StoreError(
            f"No store at {path}. Build one from the shared data (adrlens build --store {path}) or from FDA "
            f"files (adrlens ingest FILES --store {path})."
        )
    _check_is_store(path)
    con = duckdb.connect(str(path), read_only=True)
    marker = read_marker(con)
    if not marker or not marker.get("complete"):
        con.close()
        raise StoreError(f"The store at {path} is incomplete (no build finished into it). " + _rebuild_hint(path))
    missing = [p for p in require if p not in marker.get("parts", [])]
    if missing or marker.get("schema_version") != SCHEMA_VERSION:
        con.close()
        why = (
            f"was built without {', '.join(missing)}"
            if missing
            else f"has schema version {marker.get('schema_version')}, this adrlens needs {SCHEMA_VERSION}"
        )
        raise StoreError(f"The store at {path} {why}. " + _rebuild_hint(path))
    return con


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
