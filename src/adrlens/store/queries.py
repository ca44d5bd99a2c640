"""The queries the evidence layer and the interfaces ask of a complete store.

Every function takes a connection from `adrlens.store.db.connect` (a complete store: the tables exist, so
no function guards for a missing one) and returns plain rows or dicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb


# -- labels, literature, profiles ----------------------------------------------------------------------
def _key(text: str) -> str:
    return " ".join((text or "").lower().split())


def _keys(texts: Iterable[str]) -> list[str]:
    """Distinct non-empty keys, sorted (the list parameters of the queries below)."""
    return sorted({k for t in texts if (k := _key(t))})


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def label_listing(con: duckdb.DuckDBPyConnection, ingredient: str, pts: list[str]) -> list[dict]:
    """Every label row for the drug and these PTs: source, source_id, section, frequency text and bounds,
    placebo frequency, note. Ordered by PT, source, highest frequency first."""
    keys = _keys(pts)
    if not keys:
        return []
    cur = con.execute(
        "SELECT * FROM label_effect WHERE ingredient = ? AND list_contains(?, pt) "
        "ORDER BY pt, source, freq_upper DESC NULLS LAST, source_id",
        [_key(ingredient), keys],
    )
    return _dicts(cur)


def label_sources_for(con: duckdb.DuckDBPyConnection, ingredient: str) -> set[str]:
    """The label sources that have any listing for the drug (they know it)."""
    rows = con.execute("SELECT DISTINCT source FROM label_effect WHERE ingredient = ?", [_key(ingredient)])
    return {s for (s,) in rows.fetchall()}


def label_safety_change(con: duckdb.DuckDBPyConnection, ingredient: str) -> dict | None:
    """The latest FDA safety labelling change (SrLC) of a single-ingredient product of the drug, or None."""
    rows = _dicts(con.execute("SELECT * FROM label_safety_change WHERE ingredient = ?", [_key(ingredient)]))
    return rows[0] if rows else None


def pgx_risk(con: duckdb.DuckDBPyConnection, ingredient: str) -> list[dict]:
    """The drug's pharmacogenomic risk rows (PharmGKB 1A/1B toxicity annotations, CPIC pairs), strongest first."""
    cur = con.execute(
        "SELECT * FROM pgx_risk WHERE ingredient = ? "
        "ORDER BY level NULLS LAST, cpic_level NULLS LAST, pmid_count DESC NULLS LAST, gene, variant",
        [_key(ingredient)],
    )
    return _dicts(cur)


def literature(con: duckdb.DuckDBPyConnection, ingredient: str, pts_or_terms: list[str]) -> list[dict]:
    """Literature findings for the drug whose mapped PT or published term is one of `pts_or_terms`, every
    stance (column `stance`: supporting, contradicting, protective). A term also matches without its
    possessive ("Reye's syndrome" finds the published "Reye syndrome")."""
    keys = _keys(pts_or_terms)
    if not keys:
        return []
    keys = sorted({*keys, *(" ".join(k.replace("'s ", " ").replace("'", "").split()) for k in keys)})
    cur = con.execute(
        "SELECT * FROM literature_pair WHERE ingredient = ? "
        "AND (list_contains(?, pt_or_term) OR list_contains(?, lower(term))) "
        "ORDER BY stance, pt_or_term, source, study_type, pmid",
        [_key(ingredient), keys, keys],
    )
    return _dicts(cur)


def literature_drug_articles(con: duckdb.DuckDBPyConnection, ingredient: str) -> dict[str, int]:
    """Literature source -> number of articles that name the drug at all (empty: the tables do not know it)."""
    rows = con.execute(
        "SELECT source, n_articles FROM literature_drug WHERE ingredient = ? ORDER BY source", [_key(ingredient)]
    ).fetchall()
    return {s: int(n) for s, n in rows}


def drug_profile(con: duckdb.DuckDBPyConnection, ingredient: str) -> dict | None:
    """Class(es), mechanism, indications, half-life, description and ATC codes, each with its source;
    None when no knowledge table knows the drug."""
    ing = _key(ingredient)
    prof = _dicts(con.execute("SELECT * FROM drug_profile WHERE ingredient = ?", [ing]))
    classes = _dicts(
        con.execute(
            "SELECT class_type, class_name, class_id, source FROM drug_class WHERE ingredient = ? "
            "ORDER BY class_type, class_name",
            [ing],
        )
    )
    inds = _dicts(
        con.execute(
            "SELECT indication, indication_id, source, note FROM drug_indication WHERE ingredient = ? "
            "ORDER BY source, indication",
            [ing],
        )
    )
    if not prof and not classes and not inds:
        return None
    p = prof[0] if prof else {}
    by_type: dict[str, list[dict]] = {}
    for c in classes:
        by_type.setdefault(c["class_type"], []).append(
            {"name": c["class_name"], "id": c["class_id"], "source": c["source"]}
        )
    src = f"{p.get('source')} ({p['drugbank_id']})" if p.get("drugbank_id") else p.get("source")
    return {
        "ingredient": ing,
        "description": {"text": p["description"], "source": src} if p.get("description") else None,
        "half_life": (
            {
                "text": p.get("half_life_text"),
                "hours": p.get("half_life_hours"),
                "source": p.get("half_life_source"),
            }
            if p.get("half_life_text") or p.get("half_life_hours") is not None
            else None
        ),
        "atc_codes": list(p.get("atc_codes") or []),
        "classes": by_type,
        "epc": [c["name"] for c in by_type.get("EPC", [])],
        "mechanism": [c["name"] for c in by_type.get("MoA", [])],
        "indications": inds,
    }


def same_class_drugs(con: duckdb.DuckDBPyConnection, ingredient: str, class_type: str = "EPC") -> list[str]:
    """Other ingredients sharing a class of `class_type` ('EPC', 'MoA', 'ATC4', ...) with the drug."""
    rows = con.execute(
        """
        SELECT DISTINCT o.ingredient FROM drug_class d
        -- Match on the class id where both have one: names repeat across branches (ATC "Biguanides" is
        -- A10BA for metformin and P01BB for proguanil).
        JOIN drug_class o ON o.class_type = d.class_type AND o.class_name = d.class_name
             AND (d.class_id IS NULL OR o.class_id IS NULL OR d.class_id = o.class_id)
        WHERE d.ingredient = ? AND d.class_type = ? AND o.ingredient <> d.ingredient
        ORDER BY 1
        """,
        [_key(ingredient), class_type],
    ).fetchall()
    return [r[0] for r in rows]


# -- report sources ---------------------------------------------------------------------------------------
def sources_in_store(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The report sources the store holds, in key order."""
    return [s for (s,) in con.execute("SELECT DISTINCT source FROM report ORDER BY 1").fetchall()]


def source_summary(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """{source: {first_quarter, last_quarter, cases, files}}: the period comes from the data itself."""
    rows = con.execute(
        "SELECT source, min(receipt_quarter), max(receipt_quarter), count(*) FROM report GROUP BY 1 ORDER BY 1"
    ).fetchall()
    files = dict(con.execute("SELECT source, count(*) FROM ingest_log GROUP BY 1").fetchall())
    return {
        s: {"first_quarter": lo, "last_quarter": hi, "cases": int(n), "files": int(files.get(s, 0))}
        for s, lo, hi, n in rows
    }


def drug_cases_by_source(con: duckdb.DuckDBPyConnection, ingredient: str) -> dict[str, int]:
    """{source: distinct cases with the ingredient in any role} for every source that has it."""
    return {
        s: int(n)
        for s, n in con.execute(
            "SELECT source, count(DISTINCT caseid) FROM report_drug WHERE ingredient = ? GROUP BY 1 ORDER BY 1",
            [_key(ingredient)],
        ).fetchall()
    }


# -- labels of many ingredients (confounding co-drugs, class members) -------------------------------------
def labelled_ingredients(
    con: duckdb.DuckDBPyConnection, pts: list[str], exclude: list[str] | tuple[str, ...] = ()
) -> list[str]:
    """Ingredients whose label (any label source) lists one of these PTs, except those in `exclude`."""
    keys = _keys(pts)
    if not keys:
        return []
    return [
        i
        for (i,) in con.execute(
            "SELECT DISTINCT ingredient FROM label_effect WHERE list_contains(?, pt) "
            "AND NOT list_contains(?, ingredient) ORDER BY 1",
            [keys, _keys(exclude)],
        ).fetchall()
    ]


def label_hits(con: duckdb.DuckDBPyConnection, ingredients: list[str], pts: list[str]) -> dict[str, dict[str, list]]:
    """{ingredient: {"pts": [...], "sources": [...]}} for the ingredients whose label lists one of the PTs."""
    keys = _keys(pts)
    ings = _keys(ingredients)
    if not keys or not ings:
        return {}
    rows = con.execute(
        "SELECT ingredient, list(DISTINCT pt ORDER BY pt), list(DISTINCT source ORDER BY source) FROM label_effect "
        "WHERE list_contains(?, ingredient) AND list_contains(?, pt) GROUP BY 1 ORDER BY 1",
        [ings, keys],
    ).fetchall()
    return {i: {"pts": list(p), "sources": list(s)} for i, p, s in rows}


def ingredients_with_label_data(con: duckdb.DuckDBPyConnection, ingredients: list[str]) -> set[str]:
    """Which of the ingredients any label source knows at all."""
    ings = _keys(ingredients)
    return {
        i
        for (i,) in con.execute(
            "SELECT DISTINCT ingredient FROM label_effect WHERE list_contains(?, ingredient)", [ings]
        ).fetchall()
    }


def class_names(con: duckdb.DuckDBPyConnection, ingredient: str, class_type: str) -> list[str]:
    """The drug's class names of `class_type`, sorted."""
    return [
        n
        for (n,) in con.execute(
            "SELECT DISTINCT class_name FROM drug_class WHERE ingredient = ? AND class_type = ? ORDER BY 1",
            [_key(ingredient), class_type],
        ).fetchall()
    ]


def cases_in_store(con: duckdb.DuckDBPyConnection, ingredients: list[str]) -> dict[str, int]:
    """{ingredient: distinct cases with it in any role, summed over every report source}."""
    ings = _keys(ingredients)
    return {
        i: int(n)
        for i, n in con.execute(
            "SELECT ingredient, count(DISTINCT source || ':' || caseid) FROM report_drug "
            "WHERE list_contains(?, ingredient) GROUP BY 1",
            [ings],
        ).fetchall()
    }


# -- related questions -----------------------------------------------------------------------------------
def top_signals_for_drug(
    con: duckdb.DuckDBPyConnection, ingredient: str, exclude_pts: list[str], min_cases: int, limit: int = 5
) -> list[dict[str, Any]]:
    """The drug's signalling pairs in the source holding most of its reports: the ones its labels list first
    (``labelled``), then by EB05."""
    top = con.execute(
        "SELECT source FROM report_drug WHERE ingredient = ? GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
        [_key(ingredient)],
    ).fetchall()
    if not top:
        return []
    return _dicts(
        con.execute(
            """SELECT pt, source, a, eb05, ror_lo,
                      pt IN (SELECT pt FROM label_effect WHERE ingredient = $2) AS labelled
               FROM pair_stats WHERE source = $1 AND ingredient = $2 AND a >= $3 AND signal
               AND NOT list_contains($4, pt) ORDER BY labelled DESC, eb05 DESC NULLS LAST, pt LIMIT $5""",
            [top[0][0], _key(ingredient), min_cases, _keys(exclude_pts), limit],
        )
    )


def top_drugs_for_pts(
    con: duckdb.DuckDBPyConnection, pts: list[str], exclude_drug: str, min_cases: int, limit: int = 5
) -> list[dict[str, Any]]:
    """The drugs with a signalling pair for any of the PTs, each once, by its best EB05 over PTs and sources
    (the source and counts of that best pair)."""
    return _dicts(
        con.execute(
            """SELECT ingredient AS drug, source, pt, a, eb05, ror_lo FROM pair_stats
               WHERE list_contains($1, pt) AND a >= $2 AND ingredient <> $3 AND signal
               QUALIFY row_number() OVER (PARTITION BY ingredient ORDER BY eb05 DESC NULLS LAST, a DESC, source) = 1
               ORDER BY eb05 DESC NULLS LAST, drug LIMIT $4""",
            [_keys(pts), min_cases, _key(exclude_drug), limit],
        )
    )
