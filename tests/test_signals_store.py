"""Signals from a real store: known signals come out, the CLI prints them, JSON has its schema."""

from __future__ import annotations

import json
import shutil
from functools import partial
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from adrlens import lookup
from adrlens.build import REPORTS_ONLY
from adrlens.build import ingest as build_ingest
from adrlens.cli import app
from adrlens.signals.pair import pair_signal
from adrlens.signals.tables import SignalSettings
from adrlens.sources.reports import faers_ps
from adrlens.store import db as store


def _count_rows(store: Path, drug: str, pts: list[str]) -> list[dict]:
    from adrlens.signals.counttables import lookup as count_lookup
    from adrlens.store import db

    with db.connect(store) as con:
        return count_lookup(con, drug, pts)


# These tests are about the reports step: the derived parts are built by test_build and the fixtures.
ingest = partial(build_ingest, parts=REPORTS_ONLY)


def _signal(store: Path, drug: str, pts: list[str], source: str) -> dict:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return pair_signal(con, drug, pts, settings=SignalSettings(source=source), extras=False).to_dict()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("drug", "pts", "source"),
    [
        ("rotavirus vaccine", ["intussusception"], "vaers"),
        ("influenza vaccine", ["guillain-barre syndrome"], "vaers"),
        ("atorvastatin", ["rhabdomyolysis"], "faers_ps"),
        ("rosuvastatin", ["rhabdomyolysis"], "faers_ps"),
        ("simvastatin", ["rhabdomyolysis"], "faers_ps"),
    ],
)
def test_known_signals_reach_eb05_2(real_store: Path, drug: str, pts: list[str], source: str) -> None:
    r = _signal(real_store, drug, pts, source)
    assert r["table"]["a"] >= 5
    assert r["ebgm"] is not None and r["ebgm"]["eb05"] >= 2
    assert r["measures"]["ror_lo"] > 1


def test_rotashield_intussusception_counts(real_store: Path) -> None:
    # RotaShield was on the US market 1998-1999 only; VAERS reports of intussusception came then.
    con = duckdb.connect(str(real_store), read_only=True)
    years = dict(
        con.execute("""
        SELECT r.report_year, count(DISTINCT r.caseid) FROM report r
        JOIN report_drug d USING (source, caseid) JOIN report_event e USING (source, caseid)
        WHERE r.source = 'vaers' AND d.ingredient = 'rotavirus vaccine' AND e.pt = 'intussusception'
        GROUP BY 1""").fetchall()
    )
    con.close()
    assert sum(v for y, v in years.items() if y in (1998, 1999, 2000)) >= 100


def test_signal_cli_text_and_json(real_store: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["signal", "Norvasc", "pins and needles", "--store", str(real_store)])
    assert res.exit_code == 0, res.output
    assert "amlodipine" in res.output and "PRR" in res.output
    res = runner.invoke(
        app,
        [
            "signal",
            "flu shot",
            "Guillain-Barre syndrome",
            "--store",
            str(real_store),
            "--source",
            "vaers",
            "--json",
            "--by",
            "sex",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out) == {"drug", "event", "store", "sources", "count_tables"}
    v = out["sources"]["vaers"]
    assert v["status"] == "counted"
    assert {"table", "measures", "ebgm", "trend", "extras", "groups"} <= set(v)
    assert v["extras"]["time_to_onset"]["median_days"] is not None
    assert {g["value"] for g in v["groups"]} == {"F", "M"}
    assert v["trend"][-1]["a"] == v["table"]["a"]


def test_signal_json_has_the_same_keys_in_every_source_with_null_for_undefined(real_store: Path) -> None:
    res = CliRunner().invoke(
        app, ["signal", "amlodipine", "peripheral neuropathy", "--store", str(real_store), "--json"]
    )
    assert res.exit_code == 0, res.output
    sources = json.loads(res.output)["sources"]
    statuses = {v["status"] for v in sources.values()}
    assert {lookup.STATUS_COUNTED, lookup.STATUS_NO_DRUG} <= statuses  # amlodipine is not in VAERS
    keys = {frozenset(v) for v in sources.values()}
    assert len(keys) == 1, keys
    for v in sources.values():
        assert set(v["ebgm"]) == {"ebgm", "eb05", "eb95", "note"}  # eb05 is there, null, when a = 0
        assert set(v["signal"]) == {"signal", "inverse", "criteria_met", "evans", "reason"}
    zero = [v for v in sources.values() if v["status"] == lookup.STATUS_COUNTED and v["table"]["a"] == 0]
    assert zero and all(v["ebgm"]["eb05"] is None and v["signal"]["signal"] is False for v in zero)
    # The one-word extract cannot contain the multi-word narrow terms: they are named, not counted as zero.
    ps = sources[faers_ps.SOURCE]
    assert "neuropathy peripheral" in ps["not_measurable_pts"] and ps["table"]["pts"] == ["polyneuropathy"]
    text = CliRunner().invoke(app, ["signal", "amlodipine", "peripheral neuropathy", "--store", str(real_store)])
    assert "no reports, so no ratio" in text.output and "not measurable here" in text.output


def test_signal_cli_unknown_drug_is_a_clear_error(real_store: Path) -> None:
    from adrlens.errors import ResolutionError

    with pytest.raises(ResolutionError, match="unknown drug"):
        lookup.signal("qwertyzzz", "headache", store=real_store)


def test_all_pairs_parquet(real_store: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "pairs.parquet"
    res = CliRunner().invoke(
        app, ["signals", "--all", "--store", str(real_store), "--source", "vaers", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    t = pq.read_table(out)
    assert t.num_rows > 20_000
    assert {"ingredient", "pt", "a", "prr", "ror_lo", "ic025", "ebgm", "eb05", "eb95"} <= set(t.column_names)
    assert min(t.column("a").to_pylist()) >= 1


def test_build_is_idempotent_on_reingest(real_store: Path, data_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(real_store, copy)
    with store.connect(copy) as con:
        before = con.execute("SELECT source, count(*) FROM report GROUP BY 1 ORDER BY 1").fetchall()
        pairs = con.execute("SELECT count(*) FROM pair_stats").fetchall()
    s = build_ingest([data_dir / "vaers" / "complete"], copy)  # every part rebuilt, nothing counted twice
    assert not s.ingested
    with store.connect(copy) as con:
        assert con.execute("SELECT source, count(*) FROM report GROUP BY 1 ORDER BY 1").fetchall() == before
        assert con.execute("SELECT count(*) FROM pair_stats").fetchall() == pairs
    counts = dict(before)
    assert counts["vaers"] == 203_446 and counts["faers_ps"] == 215_867


@pytest.mark.parametrize("drug", ["atorvastatin", "rosuvastatin", "simvastatin"])
def test_statins_rhabdomyolysis_in_whole_faers_class_tables(real_store: Path, drug: str) -> None:
    rows = [r for r in _count_rows(real_store, drug, ["rhabdomyolysis"]) if r["table"].startswith("class_tables")]
    full = [
        r for r in rows if r["table"] in ("class_tables:pvlrt_statin_2014q3_2020q4", "class_tables:pvebayes_statin2025")
    ]
    assert len(full) == 2
    for r in full:
        assert r["status"] == "counted" and r["a"] > 100
        assert r["a"] + r["b"] + r["c"] + r["d"] == r["n"]
        assert r["eb05"] >= 2 and r["ror_lo"] > 1


def test_flagged_table_absence_is_not_zero(real_store: Path) -> None:
    rows = _count_rows(real_store, "amlodipine", ["paraesthesia"])
    flagged = [r for r in rows if r["table"] == "signals:2025q4_2026q1"]
    assert flagged and flagged[0]["status"] == "absent_from_flagged_table" and flagged[0]["a"] is None
    assert all(r["eb05"] is None for r in rows if r["flagged_only"])


def test_signal_cli_subgroups_and_bad_options(real_store: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "signal",
            "rotashield",
            "intussusception",
            "--store",
            str(real_store),
            "--source",
            "vaers",
            "--sex",
            "F",
            "--years",
            "1998-1999",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)["sources"]["vaers"]
    s = out["table"]["settings"]
    assert (s["sex"], s["year_from"], s["year_to"]) == ("F", 1998, 1999)
    assert 0 < out["table"]["a"] < 148  # a subgroup of the 148 RotaShield intussusception cases
    bad = runner.invoke(app, ["signal", "rotashield", "intussusception", "--store", str(real_store), "--years", "x"])
    assert bad.exit_code != 0


@pytest.mark.parametrize(
    ("subgroup", "message"),
    [
        ({"reporter_type": "physician"}, "held by no report"),
        ({"age_band": "65+"}, "held by no report"),
        ({"country": "ZZ"}, "held by no report"),
        ({"year_from": 2030, "year_to": 2020}, "reversed"),
        ({"year_from": 2030, "year_to": 2030}, "no report in the store falls in"),
    ],
)
def test_a_subgroup_the_store_cannot_hold_is_refused(real_store: Path, subgroup: dict, message: str) -> None:
    """Issue 12, item 7: an unknown value once counted nothing and showed "ROR 1.00 (0.00-255.60)"."""
    from adrlens.errors import AdrlensError

    with pytest.raises(AdrlensError, match=message):
        lookup.signal("amlodipine", "peripheral oedema", store=real_store, subgroup=subgroup, extras=False)


def test_a_subgroup_the_store_holds_is_counted(real_store: Path) -> None:
    res = lookup.signal(
        "amlodipine", "peripheral oedema", store=real_store, subgroup={"sex": "F", "age_band": "65-74"}, extras=False
    )
    counted = [r for r in res["sources"].values() if r["status"] == lookup.STATUS_COUNTED]
    assert counted and all(r["table"]["settings"]["age_band"] == "65-74" for r in counted)


def test_every_source_prior_converges(real_store: Path) -> None:
    # The zero-truncated likelihood never converged on these sources (a shape ran to its bound); with the
    # zero cells each prior is an interior optimum that shrinks single reports (adrlens.signals.ebgm_prior).
    from adrlens.signals.allpairs import load_prior, prior_lines

    con = duckdb.connect(str(real_store), read_only=True)
    try:
        sources = [r[0] for r in con.execute("SELECT source FROM signal_prior WHERE role = 'suspect'").fetchall()]
        priors = {s: load_prior(con, s) for s in sources}
        lines = prior_lines(con)
        nulls = con.execute("SELECT count(*) FROM pair_stats WHERE eb05 IS NULL AND source IN ('vaers', 'faers_ps')")
        assert nulls.fetchone()[0] == 0
    finally:
        con.close()
    assert {"faers", "faers_ps", "vaers"} <= set(priors)
    for src, p in priors.items():
        assert p is not None and p.converged and p.usable, (src, p)
        assert p.n_zero_cells > 0 and p.n_star == 0 and "at bound" not in p.message
    assert all(line.startswith("EBGM prior (") and "converged" in line for line in lines)
