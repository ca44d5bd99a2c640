"""Aggregate count tables on the real shared data: 2x2 cells, statuses, and each table's oddities."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest

from adrlens.config import data_dir
from adrlens.errors import AdrlensError, DataNotFoundError
from adrlens.sources.counts.base import (
    STATUS_ABSENT,
    STATUS_COUNTED,
    STATUS_ZERO,
    UNIT_PAIRS,
    UNIT_REPORTS,
    AggregateSource,
    NotCoveredError,
    normalise_drug,
)
from adrlens.sources.counts.catalogue import load_all
from adrlens.sources.counts.class_tables import ClassTable
from adrlens.sources.counts.flagged import SIGNALS_N, SignalsTable
from adrlens.sources.counts.openfda_app import OPENFDA_APP_N, OpenFdaAppTable

pytestmark = pytest.mark.skipif(
    not (data_dir(required=False) / "faers" / "aggregates").is_dir(), reason="shared data not present"
)

STATINS = ("atorvastatin", "rosuvastatin", "simvastatin")


@pytest.fixture(scope="module")
def tables() -> dict[str, AggregateSource]:
    return {t.name: t for t in load_all()}


def test_load_all_finds_every_table(tables: dict[str, AggregateSource]) -> None:
    root = data_dir() / "faers" / "aggregates"
    kinds = {type(t).__name__ for t in tables.values()}
    assert kinds == {"ClassTable", "OpenFdaAppTable", "SignalsTable", "AersEbgmTable"}
    # one table per file the folder holds
    n_class = len([p for p in (root / "class_tables").glob("*.csv*") if p.is_file()])
    n_app = len([p for p in (root / "fda_openfda_2x2_by_quarter").glob("*.csv*") if p.is_file()])
    assert len([t for t in tables.values() if isinstance(t, ClassTable)]) == n_class
    assert len([t for t in tables.values() if isinstance(t, OpenFdaAppTable)]) == n_app
    assert len(tables) == n_class + n_app + 2  # plus the signals table and the AERS EBGM evidence
    for t in tables.values():
        assert t.unit in (UNIT_REPORTS, UNIT_PAIRS)
        assert t.provenance  # every table says where it comes from (counts.catalogue)
        if isinstance(t, ClassTable):
            assert t.period is not None  # from the file name or the catalogue, never guessed
    for stem in MDDC:
        t = tables[f"class_tables:{stem}"]
        assert isinstance(t, ClassTable) and t.period == "2021Q1-2023Q4" and "MDDC" in t.provenance


MDDC = ("mddc_betablocker500_2021q1_2023q4", "mddc_sedative1000_2021q1_2023q4")


def _csv_cell(path: Path, drug: str, pt: str) -> tuple[int, int, int, int]:
    """a, b, c, d of one cell of an MDDC table, straight from the CSV (rows: PTs then 'Other AEs')."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    j = header.index(drug)
    row = next(r for r in body if r[0] == pt)
    n = sum(int(x) for r in body for x in r[1:])
    a = int(row[j])
    drug_total = sum(int(r[j]) for r in body)
    pt_total = sum(int(x) for x in row[1:])  # the 'Other' (all other drugs) column included
    return a, drug_total - a, pt_total - a, n - drug_total - pt_total + a


@pytest.mark.parametrize(
    ("stem", "drug", "pt", "n_pts", "n_drugs", "grand_total"),
    [
        ("mddc_betablocker500_2021q1_2023q4", "Metoprolol", "Dyspnoea", 500, 8, 77_367_960),
        ("mddc_sedative1000_2021q1_2023q4", "Midazolam", "Hypotension", 1000, 10, 78_030_040),
    ],
)
def test_mddc_cell_matches_csv(
    tables: dict[str, AggregateSource], stem: str, drug: str, pt: str, n_pts: int, n_drugs: int, grand_total: int
) -> None:
    t = tables[f"class_tables:{stem}"]
    path = data_dir() / "faers" / "aggregates" / "class_tables" / f"{stem}.csv"
    p = t.pair(drug, pt)
    assert p.status == STATUS_COUNTED and p.drug == drug.lower() and p.event == pt.lower()
    assert (p.a, p.b, p.c, p.d) == _csv_cell(path, drug, pt)
    assert p.n == grand_total and p.unit == UNIT_PAIRS and p.period == "2021Q1-2023Q4"
    # 'Other AEs' is pooled (margins only), 'Other' is the other-drugs column: neither is a cell
    assert len(t.events()) == n_pts and "other aes" not in t.events()
    assert len(t.drugs()) == n_drugs and "other" not in t.drugs()
    # a PT beyond the listed ones is pooled in 'Other AEs': unknown, not zero
    q = t.pair(drug, "Neuropathy peripheral zz")
    assert q.status == STATUS_ABSENT and q.a is None and q.n == grand_total


@pytest.mark.parametrize(
    ("name", "n_events", "grand_total"),
    [
        ("class_tables:pvlrt_statin_2014q3_2020q4", 6039, 63_976_610),
        ("class_tables:pvebayes_statin2025", 5119, 79_327_127),
    ],
)
def test_statin_rhabdomyolysis_cells(
    tables: dict[str, AggregateSource], name: str, n_events: int, grand_total: int
) -> None:
    t = tables[name]
    assert len(t.events()) == n_events
    assert t.unit == UNIT_PAIRS  # grand totals are drug-PT pair counts, not report counts
    for drug in STATINS:
        p = t.pair(drug.upper(), "Rhabdomyolysis")  # raw-looking input normalises too
        assert p.status == STATUS_COUNTED and p.drug == drug and p.event == "rhabdomyolysis"
        assert p.a is not None and p.a > 0
        assert p.a + p.b + p.c + p.d == p.n == grand_total
        assert min(p.b, p.c, p.d) >= 0
        # rhabdomyolysis is a known statin signal: reported far above expectation in every table
        assert p.a > 5 * p.expected


def test_class_table_pairs_vectorised_and_consistent(tables: dict[str, AggregateSource]) -> None:
    t = tables["class_tables:pvebayes_statin2025"]
    pairs = t.pairs()
    assert pairs.num_rows == 6 * 5119
    a, b, c, d, n = (pairs.column(x).to_numpy() for x in "abcdn")
    assert np.all(a + b + c + d == n) and np.all(np.stack([a, b, c, d]) >= 0)
    # one drug's a+b is constant over its rows (the column total)
    ator = pairs.filter(pc.equal(pairs.column("drug"), "atorvastatin"))
    assert len(set((ator.column("a").to_numpy() + ator.column("b").to_numpy()).tolist())) == 1


def test_class_table_missing_pt_zero_vs_pooled(tables: dict[str, AggregateSource]) -> None:
    full = tables["class_tables:pvlrt_statin_2014q3_2020q4"]  # every PT seen with a statin
    p = full.pair("atorvastatin", "no such preferred term")
    assert p.status == STATUS_ZERO and p.a == 0 and p.c is None and p.d is None
    sel = tables["class_tables:pvlrt_statin46_2014q3_2020q4"]  # 46 PTs + 'Other PT' row
    q = sel.pair("atorvastatin", "paraesthesia")
    assert q.status == STATUS_ABSENT and q.a is None
    # the 46-PT table is a collapse of the full one: same cells, same grand total
    cells = [
        (x.a, x.b, x.c, x.d, x.n)
        for x in (sel.pair("simvastatin", "rhabdomyolysis"), full.pair("simvastatin", "rhabdomyolysis"))
    ]
    assert cells[0] == cells[1]
    with pytest.raises(NotCoveredError):
        full.pair("amlodipine", "paraesthesia")
    assert isinstance(NotCoveredError("x"), AdrlensError)


def test_concept_refused_for_sets_of_pts(tables: dict[str, AggregateSource]) -> None:
    t = tables["class_tables:pvlrt_statin_2014q3_2020q4"]
    assert t.concept("atorvastatin", ["Paraesthesia", "Neuropathy peripheral"]) is None
    assert "more than once" in t.concept_reason
    single = t.concept("atorvastatin", ["Paraesthesia", "paraesthesia"])
    assert single is not None and single == t.pair("atorvastatin", "paraesthesia")


def test_signals_table_absent_and_prr_convention(tables: dict[str, AggregateSource]) -> None:
    t = tables["signals:2025q4_2026q1"]
    assert isinstance(t, SignalsTable) and t.flagged_only
    assert t.pairs().num_rows == 88_355
    absent = t.pair("amlodipine", "paraesthesia")
    assert absent.status == STATUS_ABSENT and absent.a is None and absent.n == SIGNALS_N
    assert "not zero" in absent.note
    p = t.pair("atorvastatin", "rhabdomyolysis")
    assert p.status == STATUS_COUNTED and p.a + p.b + p.c + p.d == SIGNALS_N
    prr = (p.a / (p.a + p.b)) / (p.c / (p.c + p.d))
    assert prr == pytest.approx(p.published["prr"], abs=0.0015)
    ror = (p.a * p.d) / (p.b * p.c)
    assert ror == pytest.approx(p.published["ror"], abs=0.0015)
    # the convention holds table-wide except where the source applied a zero-cell correction
    pairs = t.pairs()
    a, b, c, d = (pairs.column(x).to_numpy().astype(float) for x in "abcd")
    ok = (b > 0) & (c > 0) & (d > 0)  # the source's has_zero_cell rows use a corrected PRR
    ours = (a[ok] / (a[ok] + b[ok])) / (c[ok] / (c[ok] + d[ok]))
    assert np.max(np.abs(ours - pairs.column("pub_prr").to_numpy()[ok])) < 0.0015
    assert int((~ok).sum()) == 202


def test_openfda_app_n_oddity_detected(tables: dict[str, AggregateSource]) -> None:
    t = tables["openfda_app:20050331"]
    assert isinstance(t, OpenFdaAppTable) and t.period == "2004Q1-2005Q1"
    p = t.pair("amlodipine", "paraesthesia")  # listed as AMLODIPINE BESYLATE
    assert p.status == STATUS_COUNTED and (p.a, p.b, p.c) == (7, 926, 3078)
    assert p.d is None and p.n is None and "6,145,409" in p.note
    assert t.n_column_values == {OPENFDA_APP_N}  # one N on every row...
    totals = []
    for name in ("openfda_app:20040331", "openfda_app:20040630", "openfda_app:20050331"):
        s = tables[name].pair("simvastatin", "rhabdomyolysis")
        totals.append(s.a + s.b)
        assert tables[name].n_column_values == {OPENFDA_APP_N}
    assert totals == sorted(totals) and totals[-1] > 4 * totals[0]  # ...while counts grow by quarter
    # the published PRR is reproduced only with the whole-database N, so it is not the period's PRR
    drug_total, event_total = p.a + p.b, p.a + p.c
    assert p.published["prr"] == pytest.approx((p.a / drug_total) / (p.c / (OPENFDA_APP_N - drug_total)))
    assert t.inconsistent_rows == 29  # rows with A > AC: c unknowable there
    assert event_total == p.published["event_total"]
    missing = t.pair("amlodipine", "rhabdomyolysis neverseen")
    assert missing.status == STATUS_ABSENT


def test_amlodipine_everywhere_it_exists(tables: dict[str, AggregateSource]) -> None:
    seen = []
    for t in tables.values():
        if not t.has_drug("amlodipine"):
            continue
        for ev in ("neuropathy peripheral", "paraesthesia"):
            p = t.pair("amlodipine", ev)
            assert p.status in (STATUS_COUNTED, STATUS_ABSENT, STATUS_ZERO)
            if p.status == STATUS_COUNTED:
                assert p.a >= 3 and p.b > 0
            seen.append((t.name, ev, p.status, p.a))
    names = {s[0] for s in seen}
    assert "signals:2025q4_2026q1" in names and "openfda_app:20050331" in names
    assert ("openfda_app:20050331", "neuropathy peripheral", STATUS_COUNTED, 3) in seen
    assert not any(n.startswith("class_tables") for n in names)  # no class table holds amlodipine


def test_aers_ebgm_table(tables: dict[str, AggregateSource]) -> None:
    t = tables["aers_ebgm:ohdsi_kb"]
    assert t.drugs() == ["lisinopril", "metformin", "warfarin"]
    p = t.pair("Lisinopril", "Paraesthesia")
    assert (p.a, p.b, p.n) == (197, None, None)
    assert p.published["ebgm"] == pytest.approx(0.82) and p.published["eb05"] == pytest.approx(0.728)
    assert t.pair("warfarin", "not an outcome").status == STATUS_ABSENT


def test_drug_normalisation() -> None:
    assert normalise_drug("AMLODIPINE BESYLATE") == "amlodipine"
    assert normalise_drug("ATORVASTATIN CALCIUM") == "atorvastatin"
    combo = normalise_drug("AMLODIPINE BESYLATE; ATORVASTATIN CALCIUM")
    assert combo == "amlodipine; atorvastatin"  # a combination never counts as one ingredient


def test_bad_files_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError):
        load_all(tmp_path)
    folder = tmp_path / "faers" / "aggregates" / "class_tables"
    folder.mkdir(parents=True)
    (folder / "broken.csv").write_text("AE,Drugx,Other\nNausea,1.0,abc\n")
    (tmp_path / "faers" / "aggregates" / "fda_openfda_2x2_by_quarter").mkdir()
    bad_gz = tmp_path / "faers" / "aggregates" / "fda_openfda_2x2_by_quarter" / "20040331.csv.gz"
    bad_gz.write_bytes(gzip.compress(b"not,a,table\n")[:10])  # truncated download
    got = load_all(tmp_path)
    assert len(got) == 2
    for t in got:
        with pytest.raises(AdrlensError, match=str(t.path.name)):
            t.pairs()
