"""2x2 tables from the store, for one drug and an event (a PT or a condition concept's PT set).

Every count is a number of distinct deduplicated cases. For a concept, a case with several of its
PTs counts once. Conventions (DESIGN.md): a = drug and event, b = drug without event, c = event
without drug, d = neither, N = a+b+c+d; E = (a+b)(a+c)/N, or with `stratify`, the Mantel-Haenszel
sum over age band x sex x report year of n_drug,s * n_event,s / N_s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import duckdb

from adrlens.errors import AdrlensError

Role = Literal["ps", "suspect", "any"]
ROLE_CODES: dict[str, tuple[str, ...]] = {"ps": ("PS",), "suspect": ("PS", "SS"), "any": ("PS", "SS", "C", "I")}


@dataclass(frozen=True)
class SignalSettings:
    """What population and exposure definition a 2x2 table uses. Every result carries its settings."""

    source: str = "faers"
    role: Role = "suspect"
    sex: str | None = None  # 'M' | 'F'
    age_band: str | None = None  # '0-1', '2-11', '12-17', '18-44', '45-64', '65-74', '75+'
    reporter_type: str | None = None  # 'health professional' | 'consumer' | 'lawyer' | 'unknown'
    country: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    stratify: bool = True

    def __post_init__(self) -> None:
        if self.role not in ROLE_CODES:
            raise AdrlensError(f"role must be one of {', '.join(ROLE_CODES)}, not {self.role!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    def population_sql(self) -> tuple[str, list]:
        """WHERE clause over `report r` for the population, with parameters."""
        where, params = ["r.source = ?"], [self.source]
        for col, val in (
            ("r.sex", self.sex),
            ("r.age_band", self.age_band),
            ("r.reporter_type", self.reporter_type),
            ("r.country", self.country),
        ):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        if self.year_from is not None:
            where.append("r.report_year >= ?")
            params.append(self.year_from)
        if self.year_to is not None:
            where.append("r.report_year <= ?")
            params.append(self.year_to)
        return " AND ".join(where), params

    def role_sql(self, alias: str = "rd") -> str:
        codes = ROLE_CODES[self.role]
        if self.source != "faers":  # VAERS vaccines and the PS-only extract carry PS on every row
            return "true"
        return f"{alias}.role_cod IN ({', '.join(repr(c) for c in codes)})"


@dataclass
class Table2x2:
    drug: str
    event: str
    pts: tuple[str, ...]
    a: int
    b: int
    c: int
    d: int
    e_crude: float
    e_strat: float | None
    settings: SignalSettings = field(default_factory=SignalSettings)

    @property
    def n(self) -> int:
        return self.a + self.b + self.c + self.d

    @property
    def e(self) -> float:
        return self.e_strat if self.e_strat is not None else self.e_crude

    def to_dict(self) -> dict:
        return {
            "drug": self.drug,
            "event": self.event,
            "pts": list(self.pts),
            "a": self.a,
            "b": self.b,
            "c": self.c,
            "d": self.d,
            "n": self.n,
            "e_crude": self.e_crude,
            "e_stratified": self.e_strat,
            "settings": self.settings.to_dict(),
        }


def _cases_sql(settings: SignalSettings) -> tuple[str, list]:
    pop, params = settings.population_sql()
    sql = f"""
    pop AS (SELECT r.caseid, coalesce(r.age_band, '?') || '|' || coalesce(r.sex, '?') || '|'
                   || coalesce(CAST(r.report_year AS VARCHAR), '?') AS stratum
            FROM report r WHERE {pop}),
    drug AS (SELECT DISTINCT rd.caseid FROM report_drug rd
             WHERE rd.source = ? AND rd.ingredient = ? AND {settings.role_sql()}),
    event AS (SELECT DISTINCT re.caseid FROM report_event re WHERE re.source = ? AND re.pt IN ?)"""
    return sql, params


def two_by_two(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str] | tuple[str, ...],
    event: str | None = None,
    settings: SignalSettings | None = None,
) -> Table2x2:
    """The 2x2 table for an ingredient and a set of PTs (one PT, or a concept's PTs)."""
    settings = settings or SignalSettings()
    pts = tuple(sorted({p.lower().strip() for p in pts}))
    if not pts:
        raise AdrlensError("no preferred terms given for the event")
    ctes, params = _cases_sql(settings)
    params = [*params, settings.source, drug.lower(), settings.source, list(pts)]
    row = con.execute(
        f"""WITH {ctes},
        flags AS (SELECT p.stratum, (dr.caseid IS NOT NULL) AS has_drug, (ev.caseid IS NOT NULL) AS has_event
                  FROM pop p LEFT JOIN drug dr ON dr.caseid = p.caseid LEFT JOIN event ev ON ev.caseid = p.caseid),
        s AS (SELECT stratum, count(*) AS n, count(*) FILTER (WHERE has_drug) AS nd,
                     count(*) FILTER (WHERE has_event) AS ne,
                     count(*) FILTER (WHERE has_drug AND has_event) AS a
              FROM flags GROUP BY stratum)
        SELECT coalesce(sum(a), 0), coalesce(sum(nd), 0), coalesce(sum(ne), 0), coalesce(sum(n), 0),
               coalesce(sum(nd * ne / n), 0.0) FROM s""",
        params,
    ).fetchall()[0]
    a, nd, ne, n, e_strat = (int(row[0]), int(row[1]), int(row[2]), int(row[3]), float(row[4]))
    e_crude = nd * ne / n if n else 0.0
    return Table2x2(
        drug=drug.lower(),
        event=event or (pts[0] if len(pts) == 1 else ",".join(pts)),
        pts=pts,
        a=a,
        b=nd - a,
        c=ne - a,
        d=n - nd - ne + a,
        e_crude=e_crude,
        e_strat=e_strat if settings.stratify else None,
        settings=settings,
    )


def by_group(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str] | tuple[str, ...],
    group: str,
    settings: SignalSettings | None = None,
) -> list[tuple[str, Table2x2]]:
    """2x2 tables per subgroup: group is 'sex', 'age' (age band), 'reporter' or 'year'."""
    settings = settings or SignalSettings()
    col = {"sex": "sex", "age": "age_band", "reporter": "reporter_type", "year": "report_year"}.get(group)
    if col is None:
        raise AdrlensError(f"--by must be one of quarter, sex, age, reporter, year (not {group!r})")
    values = [
        v
        for (v,) in con.execute(
            f"SELECT DISTINCT {col} FROM report WHERE source = ? AND {col} IS NOT NULL ORDER BY 1", [settings.source]
        ).fetchall()
    ]
    out = []
    for v in values:
        kw = {"sex": "sex", "age_band": "age_band", "reporter_type": "reporter_type"}.get(col)
        s = (
            SignalSettings(**{**settings.to_dict(), kw: v})
            if kw
            else SignalSettings(**{**settings.to_dict(), "year_from": v, "year_to": v})
        )
        out.append((str(v), two_by_two(con, drug, pts, settings=s)))
    return out


def cumulative_by_quarter(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str] | tuple[str, ...], settings: SignalSettings | None = None
) -> list[dict]:
    """Cumulative a, b, c, d at the end of each receipt quarter (crude E): the trend of the signal."""
    settings = settings or SignalSettings()
    pts = tuple(sorted({p.lower() for p in pts}))
    ctes, params = _cases_sql(settings)
    params = [*params, settings.source, drug.lower(), settings.source, list(pts)]
    rows = con.execute(
        f"""WITH {ctes},
        q AS (SELECT r.receipt_quarter AS quarter, count(*) AS n,
                     count(*) FILTER (WHERE dr.caseid IS NOT NULL) AS nd,
                     count(*) FILTER (WHERE ev.caseid IS NOT NULL) AS ne,
                     count(*) FILTER (WHERE dr.caseid IS NOT NULL AND ev.caseid IS NOT NULL) AS a
              FROM pop p JOIN report r ON r.source = ? AND r.caseid = p.caseid
              LEFT JOIN drug dr ON dr.caseid = p.caseid LEFT JOIN event ev ON ev.caseid = p.caseid
              GROUP BY 1)
        SELECT quarter, sum(a) OVER w, sum(nd) OVER w, sum(ne) OVER w, sum(n) OVER w, a
        FROM q WINDOW w AS (ORDER BY quarter ROWS UNBOUNDED PRECEDING) ORDER BY quarter""",
        [*params, settings.source],
    ).fetchall()
    out = []
    for quarter, a, nd, ne, n, a_q in rows:
        a, nd, ne, n = int(a), int(nd), int(ne), int(n)
        out.append(
            {
                "quarter": quarter,
                "a_in_quarter": int(a_q),
                "a": a,
                "b": nd - a,
                "c": ne - a,
                "d": n - nd - ne + a,
                "n": n,
            }
        )
    return out
