"""2x2 tables from the store, for one drug and an event (a PT or a condition concept's PT set).

Every count is a number of distinct deduplicated cases. For a concept, a case with several of its
PTs counts once. Conventions (DESIGN.md): a = drug and event, b = drug without event, c = event
without drug, d = neither, N = a+b+c+d; E = (a+b)(a+c)/N, or with `stratify`, the Mantel-Haenszel
sum over age band x sex x report year of n_drug,s * n_event,s / N_s.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

import duckdb
import pyarrow as pa

from adrlens.errors import AdrlensError
from adrlens.sources import registry
from adrlens.sources.registry import ROLE_CODES

Role = Literal["ps", "suspect", "any"]


@dataclass(frozen=True)
class SignalSettings:
    """What population and exposure definition a 2x2 table uses. Every result carries its settings."""

    source: str = registry.DEFAULT_SOURCE
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
        if not registry.get(self.source).has_roles:  # vaccines and the PS-only extract: every row counts
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


@dataclass(frozen=True)
class Exclusion:
    """Reports to drop from the whole population (exposed and unexposed alike, so the comparison stays
    fair): any report carrying one of these indications, co-reported events, or drugs (in any role, or in
    one of `drug_roles` where the source records roles)."""

    name: str
    indication_pts: tuple[str, ...] = ()
    event_pts: tuple[str, ...] = ()
    drugs: tuple[str, ...] = ()
    drug_roles: tuple[str, ...] = ()

    def sql(self, source: str) -> tuple[str, list]:
        """A boolean expression over `r.caseid` (true when the report is excluded), with parameters."""
        parts, params = [], []
        if self.indication_pts:
            parts.append("SELECT caseid FROM report_indication WHERE source = ? AND list_contains(?, indi_pt)")
            params += [source, list(self.indication_pts)]
        if self.event_pts:
            parts.append("SELECT caseid FROM report_event WHERE source = ? AND list_contains(?, pt)")
            params += [source, list(self.event_pts)]
        if self.drugs:
            role = ""
            if self.drug_roles and registry.get(source).has_roles:
                role = f" AND role_cod IN ({', '.join('?' for _ in self.drug_roles)})"
            parts.append(f"SELECT caseid FROM report_drug WHERE source = ? AND list_contains(?, ingredient){role}")
            params += [source, list(self.drugs), *(self.drug_roles if role else ())]
        if not parts:
            return "false", []
        return f"r.caseid IN ({' UNION '.join(parts)})", params


def case_sets_sql(
    settings: SignalSettings,
    drugs: Iterable[str],
    pts: Iterable[str],
    pop_columns: str = "",
    pop_params: list | None = None,
) -> tuple[str, list]:
    """The case sets every count is made of, as CTEs: `pop` (the settings' population: caseid plus
    `pop_columns`), `ev` (cases carrying any of the PTs) and `dc` (caseid, ingredient for the drugs under the
    role rule). Used by `count_tables` and by the listing queries of the evidence layer."""
    pop, params = settings.population_sql()
    src = settings.source
    sql = f"""pop AS (SELECT r.caseid{pop_columns} FROM report r WHERE {pop}),
        ev AS (SELECT DISTINCT caseid FROM report_event WHERE source = ? AND list_contains(?, pt)),
        dc AS (SELECT DISTINCT rd.caseid, rd.ingredient FROM report_drug rd
               WHERE rd.source = ? AND list_contains(?, rd.ingredient) AND {settings.role_sql()})"""
    drugs_l = list(dict.fromkeys(d.lower().strip() for d in drugs))
    pts_l = sorted({p.lower().strip() for p in pts if p and p.strip()})
    return sql, [*(pop_params or []), *params, src, pts_l, src, drugs_l]


# The Mantel-Haenszel strata: grouped as columns (a concatenated key string costs twice the time).
STRATA_COLUMNS = ("r.age_band", "r.sex", "r.report_year")


def _strata_columns(settings: SignalSettings, group_by: str | None) -> tuple[str, ...]:
    if group_by:
        return (group_by,)
    return STRATA_COLUMNS if settings.stratify else ()


@dataclass
class TableSet:
    """Per-stratum counts for many drugs x one PT set, with a flag per exclusion: the one place 2x2 tables
    come from. `table(drug, without=...)` sums the strata the exclusions leave."""

    drugs: tuple[str, ...]
    pts: tuple[str, ...]
    event: str
    settings: SignalSettings
    exclusions: tuple[str, ...]
    # (stratum, flags, n, ne) and {drug: [(stratum, flags, nd, a)]}: a stratum is the tuple of its column values
    # (age band, sex, report year; or the group_by value); flags is a tuple of bools, one per exclusion
    margins: list[tuple[tuple, tuple[bool, ...], int, int]]
    cells: dict[str, list[tuple[tuple, tuple[bool, ...], int, int]]]

    def _index(self, names: Iterable[str]) -> list[int]:
        return [self.exclusions.index(n) for n in names]

    def per_stratum(self, drug: str, without: Iterable[str] = ()) -> dict[tuple, tuple[int, int, int, int]]:
        """{stratum: (a, drug cases, event cases, N)} over the reports the named exclusions leave."""
        idx = self._index(without)
        out: dict[tuple, list[int]] = {}
        for stratum, flags, n, ne in self.margins:
            if not any(flags[i] for i in idx):
                s = out.setdefault(stratum, [0, 0, 0, 0])
                s[2] += ne
                s[3] += n
        for stratum, flags, nd, a in self.cells.get(drug.lower(), []):
            if not any(flags[i] for i in idx):
                s = out.setdefault(stratum, [0, 0, 0, 0])
                s[0] += a
                s[1] += nd
        return {k: (v[0], v[1], v[2], v[3]) for k, v in out.items()}

    def table(self, drug: str, without: Iterable[str] = ()) -> Table2x2:
        """The 2x2 for one of the drugs, after dropping reports flagged by the named exclusions."""
        per = self.per_stratum(drug, without)
        a, nd, ne, n = (sum(v[i] for v in per.values()) for i in range(4))
        # Summed exactly, in stratum order: the same E to the last digit whatever order SQL returned the rows.
        e_strat = math.fsum(v[1] * v[2] / v[3] for _s, v in sorted(per.items(), key=lambda kv: str(kv[0])) if v[3])
        return Table2x2(
            drug=drug.lower(),
            event=self.event,
            pts=self.pts,
            a=a,
            b=nd - a,
            c=ne - a,
            d=n - nd - ne + a,
            e_crude=nd * ne / n if n else 0.0,
            e_strat=e_strat if self.settings.stratify else None,
            settings=self.settings,
        )

    def flagged(self, drug: str, having: Iterable[str]) -> tuple[int, int]:
        """(drug cases, drug cases with the event) among reports flagged by any of the named exclusions."""
        idx = self._index(having)
        rows = [(nd, a) for _s, flags, nd, a in self.cells.get(drug.lower(), []) if any(flags[i] for i in idx)]
        return sum(r[0] for r in rows), sum(r[1] for r in rows)

    def population_flagged(self, having: Iterable[str]) -> int:
        """Reports in the whole population flagged by any of the named exclusions."""
        idx = self._index(having)
        return sum(n for _s, flags, n, _ne in self.margins if any(flags[i] for i in idx))


def count_tables(
    con: duckdb.DuckDBPyConnection,
    drugs: Iterable[str],
    pts: Iterable[str],
    event: str | None = None,
    settings: SignalSettings | None = None,
    exclusions: Iterable[Exclusion] = (),
    group_by: str | None = None,
) -> TableSet:
    """Counts for many ingredients x one PT set (a case with several of the PTs counts once), per stratum
    and per exclusion flag, in two SQL passes over the store.

    Strata are age band x sex x report year when the settings stratify; `group_by` (a column of `report r`,
    such as "r.receipt_quarter") replaces them with its values, for trends."""
    settings = settings or SignalSettings()
    pts_t = tuple(sorted({p.lower().strip() for p in pts if p and p.strip()}))
    if not pts_t:
        raise AdrlensError("no preferred terms given for the event")
    drugs_t = tuple(dict.fromkeys(d.lower().strip() for d in drugs))
    excl = tuple(exclusions)
    src = settings.source
    flag_cols, flag_params = [], []
    for i, x in enumerate(excl):
        expr, params = x.sql(src)
        flag_cols.append(f"({expr}) AS x{i}")
        flag_params += params
    flags_sel = "".join(f", {c}" for c in flag_cols)
    cols = _strata_columns(settings, group_by)
    k = len(cols)
    strata_sel = "".join(f", {c} AS s{i}" for i, c in enumerate(cols))
    groups = [f"p.s{i}" for i in range(k)] + [f"p.x{i}" for i in range(len(excl))]
    ctes, params = case_sets_sql(settings, drugs_t, pts_t, f"{strata_sel}{flags_sel}", flag_params)
    margins = [
        (tuple(r[:k]), tuple(bool(x) for x in r[k:-2]), int(r[-2]), int(r[-1]))
        for r in con.execute(
            f"""WITH {ctes} SELECT {", ".join([*groups, "count(*)", "count(ev.caseid)"])}
                FROM pop p LEFT JOIN ev ON ev.caseid = p.caseid GROUP BY ALL""",
            params,
        ).fetchall()
    ]
    cells: dict[str, list[tuple[tuple, tuple[bool, ...], int, int]]] = {}
    if drugs_t:
        for r in con.execute(
            f"""WITH {ctes} SELECT {", ".join(["dc.ingredient", *groups, "count(*)", "count(ev.caseid)"])}
                FROM dc JOIN pop p ON p.caseid = dc.caseid LEFT JOIN ev ON ev.caseid = dc.caseid GROUP BY ALL""",
            params,
        ).fetchall():
            key = tuple(r[1 : 1 + k])
            cells.setdefault(r[0], []).append((key, tuple(bool(x) for x in r[1 + k : -2]), int(r[-2]), int(r[-1])))
    label = event or (pts_t[0] if len(pts_t) == 1 else ",".join(pts_t))
    return TableSet(drugs_t, pts_t, label, settings, tuple(x.name for x in excl), margins, cells)


def two_by_two(
    con: duckdb.DuckDBPyConnection,
    drug: str,
    pts: list[str] | tuple[str, ...],
    event: str | None = None,
    settings: SignalSettings | None = None,
) -> Table2x2:
    """The 2x2 table for an ingredient and a set of PTs (one PT, or a concept's PTs)."""
    return count_tables(con, [drug], pts, event=event, settings=settings).table(drug)


def pair_counts(con: duckdb.DuckDBPyConnection, settings: SignalSettings) -> tuple[pa.Table, int]:
    """(ingredient, pt, a, drug_n, event_n) for every pair with a >= 1, and N (cases in the population)."""
    pop, params = settings.population_sql()
    n_cases = con.execute(f"SELECT count(*) FROM report r WHERE {pop}", params).fetchall()[0][0]
    tbl = con.sql(
        f"""
        WITH pop AS (SELECT r.caseid FROM report r WHERE {pop}),
        dc AS (SELECT DISTINCT rd.caseid, rd.ingredient FROM report_drug rd SEMI JOIN pop USING (caseid)
               WHERE rd.source = ? AND {settings.role_sql()} AND rd.ingredient IS NOT NULL),
        ev AS (SELECT re.caseid, re.pt FROM report_event re SEMI JOIN pop USING (caseid) WHERE re.source = ?),
        pa AS (SELECT dc.ingredient, ev.pt, count(*) AS a FROM dc JOIN ev USING (caseid) GROUP BY ALL),
        nd AS (SELECT ingredient, count(*) AS drug_n FROM dc GROUP BY 1),
        ne AS (SELECT pt, count(*) AS event_n FROM ev GROUP BY 1)
        SELECT pa.ingredient, pa.pt, pa.a, nd.drug_n, ne.event_n
        FROM pa JOIN nd USING (ingredient) JOIN ne USING (pt)
        ORDER BY pa.ingredient, pa.pt""",
        params=[*params, settings.source, settings.source],
    ).to_arrow_table()
    return tbl, int(n_cases)


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
    ts = count_tables(con, [drug], pts, settings=settings, group_by="r.receipt_quarter")
    per = ts.per_stratum(drug)
    rows, run = [], [0, 0, 0, 0]
    for key in sorted(k for k in per if k[0] is not None):
        quarter = key[0]
        a_q, nd, ne, n = per[key]
        run = [run[0] + a_q, run[1] + nd, run[2] + ne, run[3] + n]
        rows.append((quarter, *run, a_q))
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
