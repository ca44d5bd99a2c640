"""The Python API behind the CLI: build the default store, and ask the reports about a pair.

from adrlens import lookup
store = api.ensure_store()                       # builds from ../shared/data on first use
result = lookup.signal("Norvasc", "pins and needles", store=store)
result["sources"]["faers_ps"]["measures"]["prr"]
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from adrlens import config
from adrlens.errors import AdrlensError
from adrlens.jsonsafe import json_safe
from adrlens.signals.tables import SignalSettings
from adrlens.store import db as store_mod

# What the default store holds: every shared report source (each kept apart by `source`).
DEFAULT_INPUTS = (
    ("faers", "faers/samples"),
    ("vaers", "vaers/complete"),
    ("faers_ps", "faers/quarter_2022q3_ps"),
)


def build_store(path: Path, progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Ingest the shared report data, then knowledge tables and all-pairs statistics, into `path`."""
    from adrlens.store.ingest import ingest

    data = config.data_dir()
    summary = ingest([data / rel for _, rel in DEFAULT_INPUTS], path, progress=progress)
    return {"ingest": summary.to_dict()["totals"], "cases": summary.cases, **finish_store(path, progress)}


def finish_store(path: Path, progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Knowledge tables and the all-pairs statistics (with each source's MGPS prior), atomically."""
    from adrlens.signals.allpairs import all_pairs, store_pair_stats
    from adrlens.signals.counttables import build_count_tables
    from adrlens.store.knowledge import build_knowledge

    with store_mod.build(path) as con:
        if progress:
            progress("knowledge tables (labels, literature, profiles)", 0, 2)
        counts = build_knowledge(con)
        sources = [s for (s,) in con.execute("SELECT DISTINCT source FROM report ORDER BY 1").fetchall()]
        results = []
        for i, src in enumerate(sources):
            if progress:
                progress(f"all-pairs statistics: {src}", i, len(sources))
            results.append(all_pairs(con, SignalSettings(source=src, stratify=False)))
        store_pair_stats(con, results)
        if progress:
            progress("published count tables", len(sources), len(sources))
        tables = build_count_tables(con)
    return {
        "knowledge": counts,
        "pairs": {r.settings.source: r.table.num_rows for r in results},
        "count_tables": tables,
    }


def ensure_store(path: Path | None = None, progress: Callable[[str, int, int], None] | None = None) -> Path:
    """The store at `path` (default store if None), built from the shared data when it does not exist."""
    path = Path(path) if path else config.default_store()
    if not path.exists():
        build_store(path, progress)
    return path


def signal(
    drug: str,
    event: str,
    store: Path | None = None,
    scope: str = "narrow",
    role: str = "suspect",
    by: str | None = None,
    sources: list[str] | None = None,
    extras: bool = True,
    subgroup: dict | None = None,
) -> dict:
    """What the reports say about a drug and an event (free text), per source, plus the count tables.

    `subgroup` restricts the population: keys sex, age_band, reporter_type, country, year_from, year_to
    (the fields of SignalSettings)."""
    from adrlens.signals.pair import pair_signal
    from adrlens.vocab.resolve import resolve_condition, resolve_drug

    d = resolve_drug(drug)
    c = resolve_condition(event, scope=scope)
    path = ensure_store(store)
    con = store_mod.connect(path)
    out: dict = {
        "drug": {"input": drug, "name": d.name, "kind": d.kind, "matched": d.matched},
        "event": {"input": event, "label": c.label, "concept": c.concept_id, "scope": scope, "pts": list(c.pts)},
        "store": str(path),
        "sources": {},
        "count_tables": [],
    }
    try:
        present = {
            s: n
            for s, n in con.execute(
                "SELECT source, count(DISTINCT caseid) FROM report_drug WHERE ingredient = ? GROUP BY 1", [d.name]
            ).fetchall()
        }
        available = [s for (s,) in con.execute("SELECT DISTINCT source FROM report ORDER BY 1").fetchall()]
        for src in sources or available:
            if src not in available:
                raise AdrlensError(f"source {src!r} is not in the store; it has: {', '.join(available)}")
            if src not in present:
                out["sources"][src] = {"status": "drug not in this source"}
                continue
            settings = SignalSettings(source=src, role=role, **(subgroup or {}))  # type: ignore[arg-type]
            res = pair_signal(con, d.name, c.pts, event=c.label, settings=settings, by=by, extras=extras)
            out["sources"][src] = {"status": "counted", **res.to_dict()}
    finally:
        con.close()
    if d.kind == "drug":
        out["count_tables"] = count_tables(path, d.name, c.pts)
    return json_safe(out)


def count_tables(store: Path, drug: str, pts: list[str] | tuple[str, ...]) -> list[dict]:
    """The drug's rows in every published count table (from the store), one per table and PT."""
    from adrlens.signals.counttables import lookup

    con = store_mod.connect(store)
    try:
        if not store_mod.has_table(con, "count_pair"):
            return []
        return lookup(con, drug, pts)
    finally:
        con.close()
