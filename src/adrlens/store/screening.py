"""The analyst's screening tables, read from the store's all-pairs statistics (table pair_stats).

A drug's table holds every preferred term it was reported with in each source: the 2x2 count a, the expected
count E, PRR/ROR/IC/EBGM with their intervals, whether the signal rule flags the pair, whether any of the drug's
labels lists the term, and the class co-flags (other drugs of the same pharmacological class whose pair with
the same term is flagged in the same source). A condition's table holds, per drug, the drug's pair with the
condition's preferred terms that has the highest EB05 in any source, and how many of those terms it flags.

Sorting and filters are whitelisted here, never taken as SQL from a caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

# Classes whose members count as class co-flags: the FDA established pharmacologic class and the ATC
# chemical subgroup (4th level), the two levels at which labels and reviewers speak of a "class effect".
CO_FLAG_CLASS_TYPES = ("EPC", "ATC4")
CO_FLAG_NAMES_SHOWN = 5

DRUG_SORTS = (
    "a", "e", "prr", "prr_lo", "ror", "ror_lo", "ic", "ic025", "ebgm", "eb05", "pt", "source", "class_coflags",
)  # fmt: skip
CONDITION_SORTS = ("a", "e", "ror", "ror_lo", "ic025", "ebgm", "eb05", "drug", "pts_flagged")
MEASURE_COLUMNS = (
    "a", "b", "c", "d", "n", "e", "prr", "prr_lo", "prr_hi", "ror", "ror_lo", "ror_hi",
    "ic", "ic025", "ic975", "ebgm", "eb05", "eb95",
)  # fmt: skip


@dataclass(frozen=True)
class TableQuery:
    """What part of a screening table to read: filters, one whitelisted sort column, and a page."""

    source: str | None = None  # one report source, or every source
    role: str = "suspect"
    min_cases: int = 1  # a >= min_cases
    signal_only: bool = False
    labelled: bool | None = None  # True: listed on a label; False: not on any label; None: either
    term: str | None = None  # a substring of the PT (drug table) or of the drug name (condition table)
    sort: str = "eb05"
    descending: bool = True
    offset: int = 0
    limit: int = 50

    @classmethod
    def for_page(cls, page: int, per_page: int, order: str = "desc", **filters: Any) -> TableQuery:
        """The query of a 1-based page of `per_page` rows, sorted ascending ("asc") or descending ("desc")."""
        return cls(descending=order == "desc", offset=(page - 1) * per_page, limit=per_page, **filters)

    @property
    def page(self) -> int:
        """The 1-based page number of this query."""
        return self.offset // max(1, self.limit) + 1


def _order(q: TableQuery, allowed: tuple[str, ...], tie: str) -> str:
    if q.sort not in allowed:
        raise ValueError(f"sort must be one of {', '.join(allowed)}, not {q.sort!r}")
    direction = "DESC" if q.descending else "ASC"
    return f"{q.sort} {direction} NULLS LAST, {tie}"  # the column comes from the whitelist above


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def drug_signals(con: duckdb.DuckDBPyConnection, ingredient: str, q: TableQuery) -> tuple[int, list[dict]]:
    """(rows matching the filters, the page of rows) of one ingredient's pairs."""
    measures = ", ".join(f"m.{c}" for c in MEASURE_COLUMNS)
    sql = f"""
        WITH mine AS (
            SELECT * FROM pair_stats WHERE ingredient = $ing AND role = $role
              AND ($src IS NULL OR source = $src) AND a >= $min_a),
        peers AS (
            SELECT DISTINCT o.ingredient FROM drug_class o JOIN drug_class s USING (class_type, class_id)
            WHERE s.ingredient = $ing AND o.ingredient <> $ing AND list_contains($types, s.class_type)),
        co AS (
            SELECT source, pt, list(DISTINCT ingredient ORDER BY ingredient) AS peers FROM pair_stats
            WHERE role = $role AND signal AND ingredient IN (SELECT ingredient FROM peers)
              AND pt IN (SELECT pt FROM mine) GROUP BY 1, 2),
        lab AS (SELECT DISTINCT pt FROM label_effect WHERE ingredient = $ing),
        tab AS (
            SELECT m.source, m.pt, {measures}, m.signal,
                   m.pt IN (SELECT pt FROM lab) AS labelled,
                   coalesce(len(co.peers), 0) AS class_coflags,
                   coalesce(co.peers[1:{CO_FLAG_NAMES_SHOWN}], []) AS class_coflag_drugs
            FROM mine m LEFT JOIN co USING (source, pt))
        SELECT *, count(*) OVER () AS _total FROM tab
        WHERE ($signal_only = false OR signal) AND ($labelled IS NULL OR labelled = $labelled)
          AND ($term IS NULL OR contains(pt, $term))
        ORDER BY {_order(q, DRUG_SORTS, "pt, source")} LIMIT $limit OFFSET $offset"""
    return _page(con, sql, q, ing=ingredient, types=list(CO_FLAG_CLASS_TYPES))


def condition_drugs(con: duckdb.DuckDBPyConnection, pts: list[str], q: TableQuery) -> tuple[int, list[dict]]:
    """(drugs matching the filters, the page): per drug its best pair (highest EB05, then a) over the PTs."""
    measures = ", ".join(MEASURE_COLUMNS)
    sql = f"""
        WITH hits AS (
            SELECT * FROM pair_stats WHERE list_contains($pts, pt) AND role = $role
              AND ($src IS NULL OR source = $src) AND a >= $min_a),
        flagged AS (SELECT ingredient, count(DISTINCT pt) FILTER (WHERE signal) AS pts_flagged FROM hits GROUP BY 1),
        best AS (
            SELECT ingredient AS drug, source, pt, {measures}, signal,
                   pt IN (SELECT pt FROM label_effect l WHERE l.ingredient = hits.ingredient) AS labelled
            FROM hits
            QUALIFY row_number() OVER (PARTITION BY ingredient ORDER BY eb05 DESC NULLS LAST, a DESC, source) = 1),
        tab AS (SELECT best.*, flagged.pts_flagged FROM best JOIN flagged ON flagged.ingredient = best.drug)
        SELECT *, count(*) OVER () AS _total FROM tab
        WHERE ($signal_only = false OR signal) AND ($labelled IS NULL OR labelled = $labelled)
          AND ($term IS NULL OR contains(drug, $term))
        ORDER BY {_order(q, CONDITION_SORTS, "drug")} LIMIT $limit OFFSET $offset"""
    return _page(con, sql, q, pts=list(pts))


def _page(con: duckdb.DuckDBPyConnection, sql: str, q: TableQuery, **table: Any) -> tuple[int, list[dict]]:
    """Run a table's SQL with the query's filters and page (and the table's own parameters): (total, rows)."""
    params = {
        **table,
        "role": q.role,
        "src": q.source,
        "min_a": q.min_cases,
        "signal_only": q.signal_only,
        "labelled": q.labelled,
        "term": q.term.lower() if q.term else None,
        "limit": q.limit,
        "offset": q.offset,
    }
    rows = _rows(con.execute(sql, params))
    total = rows[0]["_total"] if rows else _count_without_page(con, sql, params)
    for r in rows:
        r.pop("_total", None)
    return int(total), rows


def _count_without_page(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> int:
    """The total when the requested page is past the end (so no row carried it)."""
    if not params["offset"]:
        return 0
    row = con.execute(sql, {**params, "offset": 0, "limit": 1}).fetchone()
    return int(row[-1]) if row else 0


def store_names(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], dict[str, int]]:
    """({ingredient or vaccine: cases in any source}, {PT: cases in any source}): what autocomplete ranks by."""
    drugs = dict(
        con.execute(
            "SELECT ingredient, count(DISTINCT source || ':' || caseid) FROM report_drug "
            "WHERE ingredient IS NOT NULL AND mapped GROUP BY 1"
        ).fetchall()
    )
    pts = dict(con.execute("SELECT pt, count(*) FROM report_event GROUP BY 1").fetchall())
    return {str(k): int(v) for k, v in drugs.items()}, {str(k): int(v) for k, v in pts.items()}
