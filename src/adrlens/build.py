"""The one store build: reports, knowledge tables, all-pairs statistics and count tables, in one atomic step.

    from adrlens.build import build_store, ingest
    build_store("stores/adrlens.duckdb")                    # every shared report source, from ../shared/data
    ingest(["faers_ascii_2025q4.zip"], "my.duckdb")         # add FDA releases: every derived part rebuilt

Every write to a store goes through `build`: it copies the store (`store.db.building`), stages the new
report files (already-ingested sha256s are skipped), rebuilds the deduplicated tables, then every derived
part the build asks for, and writes the "complete" marker with the inputs' sha256s before the file is
renamed into place. Nothing half-built ever replaces a store: a failure or a kill leaves the old file.
Two builds of one store never mix: the second waits for the first (the store's lock).

This sits above `signals/` (it computes the pair statistics) and beside `evidence/`: the store is below
the signals that read it, so the step that fills the store with signals cannot live inside `store/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from adrlens import config
from adrlens.errors import StoreError
from adrlens.signals.allpairs import all_pairs, store_pair_stats
from adrlens.signals.counttables import build_count_tables
from adrlens.signals.tables import SignalSettings
from adrlens.sources import registry
from adrlens.sources.base import SourceFile
from adrlens.store import db
from adrlens.store.ingest import IngestSummary, ingest_files, logged_inputs
from adrlens.store.knowledge import build_knowledge
from adrlens.store.queries import sources_in_store

ProgressFn = Callable[[str, int, int], None]
NoticeFn = Callable[[str], None]
PARTS = db.PARTS
REPORTS_ONLY: tuple[str, ...] = ("reports",)
# Folders of the data folder the knowledge and count-table parts read (their files' sha256 go in the marker).
KNOWLEDGE_INPUTS = (("labels",), ("literature",), ("vocab", "drugs"), ("pgx",))
COUNT_TABLE_INPUTS = (("faers", "aggregates"),)


@dataclass
class BuildSummary:
    store: Path
    ingest: IngestSummary
    parts: tuple[str, ...]
    knowledge: dict[str, int] = field(default_factory=dict)
    pairs: dict[str, int] = field(default_factory=dict)
    count_tables: dict = field(default_factory=dict)
    marker: dict = field(default_factory=dict)

    def __getattr__(self, name: str):
        # The reports step's fields (files, cases, failed, totals()) read through, as before the build wrapped it.
        if name == "ingest":
            raise AttributeError(name)
        return getattr(self.ingest, name)

    def to_dict(self) -> dict:
        return {
            **self.ingest.to_dict(),
            "parts": list(self.parts),
            "knowledge": self.knowledge,
            "pairs": self.pairs,
            "count_tables": self.count_tables,
        }


def default_inputs() -> list[Path]:
    """Every registered report source's default folder in the shared data."""
    base = config.data_dir()
    return [base.joinpath(*s.default_path) for s in registry.SOURCES]


def _fingerprint(folders: Iterable[tuple[str, ...]]) -> list[dict]:
    base = config.data_dir()
    out = []
    for parts in folders:
        root = base.joinpath(*parts)
        for f in sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []:
            out.append({"path": str(f.relative_to(base)), "sha256": SourceFile(f).sha256()})
    return out


def build(
    paths: Iterable[str | Path],
    store: str | Path,
    parts: Iterable[str] = PARTS,
    progress: ProgressFn | None = None,
    wait: float | None = None,
    notice: NoticeFn | None = None,
) -> BuildSummary:
    """Ingest `paths` into `store` and rebuild the requested derived parts, atomically, with the marker.

    One build of a store at a time: another one waits up to `wait` seconds (`notice` is told once) for the
    store's lock, then refuses (`store.db.building`)."""
    store = Path(store)
    parts = tuple(p for p in PARTS if p in set(parts) | {"reports"})
    with db.building(store, wait=wait, notice=notice) as con:
        summary = BuildSummary(store, ingest_files(con, paths, store, progress), parts)
        inputs: dict = {"reports": logged_inputs(con)}
        if "knowledge" in parts:
            if progress:
                progress("knowledge tables (labels, literature, profiles)", 0, 1)
            summary.knowledge = build_knowledge(con)
            inputs["knowledge"] = _fingerprint(KNOWLEDGE_INPUTS)
        if "pair_stats" in parts:
            sources = sources_in_store(con)
            results = []
            for i, src in enumerate(sources):
                if progress:
                    progress(f"all-pairs statistics: {src}", i, len(sources))
                results.append(all_pairs(con, SignalSettings(source=src, stratify=False)))
            store_pair_stats(con, results)
            summary.pairs = {r.settings.source: r.table.num_rows for r in results}
        if "count_tables" in parts:
            if progress:
                progress("published count tables", 0, 1)
            summary.count_tables = build_count_tables(con)
            inputs["count_tables"] = _fingerprint(COUNT_TABLE_INPUTS)
        summary.marker = db.write_marker(con, parts, inputs)
    return summary


def ingest(
    paths: Iterable[str | Path],
    store: str | Path,
    progress: ProgressFn | None = None,
    parts: Iterable[str] = PARTS,
    wait: float | None = None,
    notice: NoticeFn | None = None,
) -> BuildSummary:
    """Add report files to a store (new or existing); every derived part is rebuilt in the same step."""
    return build(paths, store, parts=parts, progress=progress, wait=wait, notice=notice)


def rebuild(
    store: str | Path, progress: ProgressFn | None = None, wait: float | None = None, notice: NoticeFn | None = None
) -> BuildSummary:
    """Every derived part of an existing store, rebuilt from the report files it already holds."""
    if not Path(store).exists():
        raise StoreError(f"No store at {store} to rebuild.")
    return build([], store, PARTS, progress, wait=wait, notice=notice)


def build_store(
    path: str | Path, progress: ProgressFn | None = None, wait: float | None = None, notice: NoticeFn | None = None
) -> BuildSummary:
    """The default store: every registered report source from the shared data, with every part."""
    return build(default_inputs(), path, PARTS, progress, wait=wait, notice=notice)


def ensure_store(path: str | Path | None = None, progress: ProgressFn | None = None) -> Path:
    """The store at `path`; the default store (`path` None) is built from the shared data on first use.

    A named store is never built behind the user's back (a mistyped --store must not start a build):
    `store.db.connect` refuses it when it is missing or incomplete, saying how to build it."""
    if path is not None:
        return Path(path)
    path = config.default_store()
    if not path.exists():
        build_store(path, progress)
    return path
