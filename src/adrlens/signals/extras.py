"""Beyond the ratio, for the cases that carry both the drug and the event (the `a` cases):
time to onset, dechallenge/rechallenge, outcome seriousness and who reported.

All counts are distinct deduplicated cases of the settings' population.
"""

from __future__ import annotations

import duckdb

from adrlens.signals.tables import SignalSettings

OUTCOME_NAMES = {
    "DE": "death",
    "LT": "life-threatening",
    "HO": "hospitalisation",
    "DS": "disability",
    "CA": "congenital anomaly",
    "RI": "required intervention",
    "OT": "other serious",
}


def _a_cases(settings: SignalSettings) -> str:
    pop, _ = settings.population_sql()
    return f"""
    acase AS (
        SELECT DISTINCT r.caseid FROM report r
        WHERE {pop}
          AND EXISTS (SELECT 1 FROM report_drug rd WHERE rd.source = r.source AND rd.caseid = r.caseid
                      AND rd.ingredient = ? AND {settings.role_sql()})
          AND EXISTS (SELECT 1 FROM report_event re WHERE re.source = r.source AND re.caseid = r.caseid
                      AND re.pt IN ?))"""


def _params(settings: SignalSettings, drug: str, pts: list[str] | tuple[str, ...]) -> list:
    _, params = settings.population_sql()
    return [*params, drug.lower(), [p.lower() for p in pts]]


def time_to_onset(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str] | tuple[str, ...], settings: SignalSettings
) -> dict:
    """Days from the drug's first therapy start (or vaccination) to the event date, day-precise dates only."""
    rows = con.execute(
        f"""WITH {_a_cases(settings)},
        starts AS (
            SELECT t.caseid, min(t.start_dt) AS start_dt FROM report_therapy t
            JOIN report_drug rd ON rd.source = t.source AND rd.caseid = t.caseid AND rd.drug_seq = t.drug_seq
            WHERE t.source = ? AND rd.ingredient = ? AND t.start_dt_precision = 'day'
            GROUP BY 1),
        onset AS (
            SELECT a.caseid,
                   CASE WHEN r.vax_date IS NOT NULL AND r.onset_date IS NOT NULL THEN r.onset_date - r.vax_date
                        WHEN r.event_dt_precision = 'day' AND s.start_dt IS NOT NULL THEN r.event_dt - s.start_dt
                   END AS days
            FROM acase a JOIN report r ON r.source = ? AND r.caseid = a.caseid
            LEFT JOIN starts s ON s.caseid = a.caseid)
        SELECT count(*) AS n_cases,
               count(days) FILTER (WHERE days >= 0) AS n_usable,
               count(days) FILTER (WHERE days < 0) AS n_negative,
               quantile_cont(days, [0.25, 0.5, 0.75]) FILTER (WHERE days >= 0),
               count(*) FILTER (WHERE days BETWEEN 0 AND 7), count(*) FILTER (WHERE days BETWEEN 8 AND 30),
               count(*) FILTER (WHERE days BETWEEN 31 AND 90), count(*) FILTER (WHERE days BETWEEN 91 AND 365),
               count(*) FILTER (WHERE days > 365)
        FROM onset""",
        [*_params(settings, drug, pts), settings.source, drug.lower(), settings.source],
    ).fetchall()[0]
    q = rows[3] or [None, None, None]
    return {
        "cases": int(rows[0]),
        "cases_with_usable_dates": int(rows[1]),
        "cases_event_before_start_excluded": int(rows[2]),
        "median_days": q[1],
        "q1_days": q[0],
        "q3_days": q[2],
        "bins": {
            "0-7 days": rows[4],
            "8-30 days": rows[5],
            "31-90 days": rows[6],
            "91-365 days": rows[7],
            "over a year": rows[8],
        },
    }


def challenge(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str] | tuple[str, ...], settings: SignalSettings
) -> dict:
    """Dechallenge and rechallenge per case: positive (Y), negative (N), unknown (U, D, empty)."""
    out = {}
    for col in ("dechal", "rechal"):
        rows = con.execute(
            f"""WITH {_a_cases(settings)},
            best AS (SELECT a.caseid,
                        max(CASE rd.{col} WHEN 'Y' THEN 2 WHEN 'N' THEN 1 ELSE 0 END) AS v
                     FROM acase a LEFT JOIN report_drug rd ON rd.source = ? AND rd.caseid = a.caseid
                          AND rd.ingredient = ?
                     GROUP BY 1)
            SELECT count(*) FILTER (WHERE v = 2), count(*) FILTER (WHERE v = 1), count(*) FILTER (WHERE v = 0)
            FROM best""",
            [*_params(settings, drug, pts), settings.source, drug.lower()],
        ).fetchall()[0]
        name = "dechallenge" if col == "dechal" else "rechallenge"
        out[name] = {"positive": int(rows[0]), "negative": int(rows[1]), "unknown": int(rows[2])}
    return out


def outcomes(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str] | tuple[str, ...], settings: SignalSettings
) -> dict:
    """Cases by reported outcome (a case can have several) and cases with any serious outcome."""
    rows = con.execute(
        f"""WITH {_a_cases(settings)}
        SELECT o.outc_cod, count(DISTINCT o.caseid) FROM acase a
        JOIN report_outcome o ON o.source = ? AND o.caseid = a.caseid GROUP BY 1""",
        [*_params(settings, drug, pts), settings.source],
    ).fetchall()
    anyser = con.execute(
        f"""WITH {_a_cases(settings)}
        SELECT count(DISTINCT a.caseid) FROM acase a
        JOIN report_outcome o ON o.source = ? AND o.caseid = a.caseid""",
        [*_params(settings, drug, pts), settings.source],
    ).fetchall()[0][0]
    by = {OUTCOME_NAMES.get(code, code): int(n) for code, n in rows}
    return {"by_outcome": by, "cases_with_a_serious_outcome": int(anyser)}


def reporters(
    con: duckdb.DuckDBPyConnection, drug: str, pts: list[str] | tuple[str, ...], settings: SignalSettings
) -> dict:
    """Cases by reporter type: health professional, consumer, lawyer, unknown."""
    rows = con.execute(
        f"""WITH {_a_cases(settings)}
        SELECT r.reporter_type, count(*) FROM acase a JOIN report r ON r.source = ? AND r.caseid = a.caseid
        GROUP BY 1 ORDER BY 2 DESC""",
        [*_params(settings, drug, pts), settings.source],
    ).fetchall()
    return {k: int(v) for k, v in rows}
