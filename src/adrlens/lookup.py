"""The Python API behind `adrlens signal`: what every report source says about a drug and an event.

    from adrlens import lookup
    result = lookup.signal("Norvasc", "pins and needles", store="my.duckdb")
    result["sources"]["faers"]["measures"]["ror_lo"], result["sources"]["faers"]["signal"]["signal"]

Every source is kept apart. The JSON has a stable set of keys: a source without the drug, or one that
cannot contain any of the event's terms, carries the same keys with null values and a `status` saying why.
"""

from __future__ import annotations

from pathlib import Path

from adrlens.build import ensure_store
from adrlens.errors import AdrlensError
from adrlens.jsonsafe import json_safe
from adrlens.signals.counttables import lookup as count_lookup
from adrlens.signals.pair import empty_pair_dict, pair_signal
from adrlens.signals.tables import SignalSettings
from adrlens.sources import registry
from adrlens.store import db
from adrlens.store.queries import drug_cases_by_source, sources_in_store
from adrlens.vocab.resolve import resolve_condition, resolve_drug

STATUS_COUNTED = "counted"
STATUS_NO_DRUG = "drug not in this source"
STATUS_NOT_MEASURABLE = "not measurable: the source cannot contain these terms"


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
    d = resolve_drug(drug)
    c = resolve_condition(event, scope=scope)
    path = ensure_store(store)
    out: dict = {
        "drug": {"input": drug, "name": d.name, "kind": d.kind, "matched": d.matched},
        "event": {"input": event, "label": c.label, "concept": c.concept_id, "scope": scope, "pts": list(c.pts)},
        "store": str(path),
        "sources": {},
        "count_tables": [],
    }
    with db.connect(path) as con:
        check_subgroup(con, subgroup or {})
        present = drug_cases_by_source(con, d.name)
        available = sources_in_store(con)
        for src in sources or available:
            if src not in available:
                raise AdrlensError(f"source {src!r} is not in the store; it has: {', '.join(available)}")
            spec = registry.get(src)
            pts, not_measurable = spec.split_measurable(c.pts)
            base = {"not_measurable_pts": not_measurable, "source_name": spec.name}
            if src not in present:
                out["sources"][src] = {"status": STATUS_NO_DRUG, **base, **empty_pair_dict()}
                continue
            if not pts:
                out["sources"][src] = {"status": STATUS_NOT_MEASURABLE, **base, **empty_pair_dict()}
                continue
            settings = SignalSettings(source=src, role=role, **(subgroup or {}))  # type: ignore[arg-type]
            res = pair_signal(con, d.name, pts, event=c.label, settings=settings, by=by, extras=extras)
            out["sources"][src] = {"status": STATUS_COUNTED, **base, **res.to_dict()}
        if d.kind == "drug":
            out["count_tables"] = count_lookup(con, d.name, c.pts)
    return json_safe(out)


def subgroup(
    sex: str | None = None,
    age_band: str | None = None,
    reporter: str | None = None,
    country: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
) -> dict:
    """The `subgroup` of signal() from an interface's options: only those given, the country code upper-case."""
    given = {
        "sex": sex,
        "age_band": age_band,
        "reporter_type": reporter,
        "country": country.upper() if country else None,
        "year_from": year_from,
        "year_to": year_to,
    }
    return {k: v for k, v in given.items() if v is not None}


# Subgroup keys and the report column each restricts.
_SUBGROUP_COLUMNS = {"sex": "sex", "age_band": "age_band", "reporter_type": "reporter_type", "country": "country"}


def check_subgroup(con, subgroup: dict) -> None:
    """Refuse a subgroup the store cannot hold (a value no report carries, an empty or reversed year range),
    naming the values it does hold: an unknown value would count nothing and look like a measurement."""
    unknown = set(subgroup) - {*_SUBGROUP_COLUMNS, "year_from", "year_to"}
    if unknown:
        raise AdrlensError(f"unknown subgroup key(s): {', '.join(sorted(unknown))}")
    for key, col in _SUBGROUP_COLUMNS.items():
        val = subgroup.get(key)
        if val is None:
            continue
        sql = f"SELECT DISTINCT {col} FROM report WHERE {col} IS NOT NULL ORDER BY 1"  # col: a constant above
        held = [r[0] for r in con.execute(sql).fetchall()]
        if val not in held:
            shown = ", ".join(map(str, held[:30])) + (" ..." if len(held) > 30 else "")
            raise AdrlensError(f"{key.replace('_', ' ')} {val!r} is held by no report in the store; it holds: {shown}")
    lo, hi = subgroup.get("year_from"), subgroup.get("year_to")
    if lo is not None or hi is not None:
        first, last = con.execute("SELECT min(report_year), max(report_year) FROM report").fetchone()
        lo_, hi_ = lo if lo is not None else first, hi if hi is not None else last
        if lo_ > hi_:
            raise AdrlensError(f"the year range {lo_}-{hi_} is reversed: give it as {hi_}-{lo_}")
        if first is None or hi_ < first or lo_ > last:
            raise AdrlensError(f"no report in the store falls in {lo_}-{hi_}; its reports run {first}-{last}")
