"""Knowledge tables built from the real shared data: SIDER, SPL, EU SmPC, literature, drug profiles."""

from __future__ import annotations

import duckdb
import pytest

from adrlens.config import data_dir
from adrlens.errors import DataNotFoundError
from adrlens.store import knowledge as k
from adrlens.store import queries as q
from adrlens.vocab.terms import map_to_pt


@pytest.fixture(scope="module")
def built(knowledge_built) -> tuple[duckdb.DuckDBPyConnection, dict[str, int]]:
    return knowledge_built


@pytest.fixture(scope="module")
def con(built) -> duckdb.DuckDBPyConnection:
    return built[0]


def test_row_counts(built) -> None:
    con, counts = built
    assert set(counts) == set(k.KNOWLEDGE_TABLES)
    assert counts["label_effect"] > 200_000  # SIDER alone has ~216k (drug, PT, frequency) rows
    assert counts["literature_pair"] > 5_000
    assert counts["drug_profile"] > 5_000
    assert counts["drug_class"] > 30_000
    assert counts["drug_indication"] > 10_000
    sources = {r[0] for r in con.execute("SELECT DISTINCT source FROM label_effect").fetchall()}
    assert sources == {"SIDER 4.1", "SPL (TAC 2017)", "EU SmPC (PROTECT 2015)"}
    # Ingredients and PTs are stored lower-case and trimmed, never NULL.
    bad = con.execute(
        "SELECT count(*) FROM label_effect WHERE ingredient IS NULL OR pt IS NULL "
        "OR ingredient <> lower(trim(ingredient)) OR pt <> lower(trim(pt))"
    ).fetchall()[0][0]
    assert bad == 0
    nan = con.execute(
        "SELECT count(*) FROM label_effect WHERE isnan(freq_lower) OR isnan(freq_upper) OR isnan(placebo_freq_lower)"
    ).fetchall()[0][0]
    assert nan == 0


def test_amlodipine_neuropathy_and_paraesthesia_listed_without_frequency(con) -> None:
    rows = q.label_listing(con, "Amlodipine", ["neuropathy peripheral", "Paraesthesia"])
    assert {r["pt"] for r in rows} == {"neuropathy peripheral", "paraesthesia"}
    assert {r["source"] for r in rows} == {"SIDER 4.1"}
    assert {r["source_id"] for r in rows} == {"CID100002162", "CID100060496"}
    # SIDER lists both on amlodipine's label but gives no frequency (not even a postmarketing band).
    assert all(r["freq_text"] is None and r["freq_lower"] is None for r in rows)


def test_sider_frequency_and_placebo(con) -> None:
    rows = [r for r in q.label_listing(con, "amlodipine", ["abdominal pain"]) if r["source_id"] == "CID100002162"]
    assert len(rows) == 1
    r = rows[0]
    assert r["freq_text"] == "1.6%" and r["freq_lower"] == pytest.approx(0.016)
    assert r["placebo_freq_text"] == "0.3%; 1.6%"
    assert r["placebo_freq_lower"] == pytest.approx(0.003)
    assert r["placebo_freq_upper"] == pytest.approx(0.016)


def test_statins_list_rhabdomyolysis(con) -> None:
    for statin in ("atorvastatin", "simvastatin", "rosuvastatin"):
        rows = q.label_listing(con, statin, ["rhabdomyolysis"])
        assert any(r["source"] == "SIDER 4.1" for r in rows), statin
    ator = q.label_listing(con, "atorvastatin", ["rhabdomyolysis"])
    assert [(r["freq_text"], r["section"]) for r in ator] == [("postmarketing", "postmarketing")]
    assert "convention" in ator[0]["note"]
    rosu = {r["freq_text"] for r in q.label_listing(con, "rosuvastatin", ["rhabdomyolysis"])}
    assert {"postmarketing", "rare", "very rare"} <= rosu


def test_spl_sections_and_combination_products(con) -> None:
    rows = q.label_listing(con, "abiraterone", ["rhabdomyolysis"])
    assert [(r["source"], r["source_id"], r["section"]) for r in rows] == [
        ("SPL (TAC 2017)", "Zytiga", "adverse reactions")
    ]
    sections = {
        r[0]
        for r in con.execute("SELECT DISTINCT section FROM label_effect WHERE source = 'SPL (TAC 2017)'").fetchall()
    }
    assert sections == {"adverse reactions", "warnings and precautions", "boxed warning"}
    anoro = [r for r in q.label_listing(con, "umeclidinium", ["headache"]) if r["source_id"] == "Anoro"]
    assert anoro and "combination product: umeclidinium + vilanterol" in anoro[0]["note"]
    # Brand names the vocabulary lacks are found through the label text ("BREO ELLIPTA").
    breo = con.execute("SELECT DISTINCT ingredient FROM label_effect WHERE source_id = 'Breo'").fetchall()
    assert {r[0] for r in breo} >= {"fluticasone"}


def test_eu_smpc_named_pairs_and_counted_skips(con) -> None:
    rows = q.label_listing(con, "aripiprazole", ["abdominal pain upper"])
    assert [(r["source"], r["source_id"]) for r in rows if r["source"].startswith("EU")] == [
        ("EU SmPC (PROTECT 2015)", "757688-35708156")
    ]
    skipped = dict(
        con.execute("SELECT reason, n FROM knowledge_issue WHERE source = 'eu_spc' AND action = 'skipped'").fetchall()
    )
    assert skipped["MedDRA concept id has no name in the shipped files (MedDRA is licensed)"] > 5_000
    loaded = con.execute("SELECT n FROM knowledge_issue WHERE source = 'eu_spc' AND action = 'loaded'").fetchall()[0][0]
    read = con.execute("SELECT n FROM knowledge_issue WHERE source = 'eu_spc' AND action = 'read'").fetchall()[0][0]
    assert read == 23_920  # the file has no header line
    assert loaded + sum(skipped.values()) == read  # every line is loaded or counted as skipped


def test_literature_statin_and_succinylcholine_rhabdomyolysis(con) -> None:
    simva = q.literature(con, "simvastatin", ["rhabdomyolysis"])
    assert {"17763133", "17921794"} <= {r["pmid"] for r in simva}
    ade = [r for r in simva if r["source"] == "ADE corpus v2"]
    assert ade and all(r["study_type"] == "case report" and r["stance"] == "supporting" for r in ade)
    assert all(r["sentence"] for r in simva)
    assert {r["source"] for r in simva} <= {"ADE corpus v2", "BC5CDR", "MEDLINE MeSH ADE", "SemMedDB"}
    sux = q.literature(con, "succinylcholine", ["Rhabdomyolysis"])
    med = [r for r in sux if r["source"] == "MEDLINE MeSH ADE"]
    assert len({r["pmid"] for r in med}) >= 5 and "8010431" in {r["pmid"] for r in med}
    assert {r["study_type"] for r in med} == {"case report"}
    # MeSH American spelling is mapped to the British MedDRA PT name.
    hk = con.execute(
        "SELECT count(*) FROM literature_pair WHERE term = 'Hyperkalemia' AND pt = 'hyperkalaemia'"
    ).fetchall()[0][0]
    assert hk > 0


def test_map_to_pt_rules() -> None:
    assert map_to_pt("Paresthesia", {"paraesthesia"}) == ("paraesthesia", "british spelling")
    assert map_to_pt("Arrhythmia, Sinus", {"sinus arrhythmia"}) == ("sinus arrhythmia", "mesh inverted")
    assert map_to_pt("Seizures", {"seizure"}) == ("seizure", "singular")
    assert map_to_pt("Rhabdomyolysis", {"rhabdomyolysis"}) == ("rhabdomyolysis", "exact")
    assert map_to_pt("acute rhabdomyolysis", {"rhabdomyolysis"}) == (None, None)


def test_amlodipine_profile_class_and_half_life(con) -> None:
    p = q.drug_profile(con, "amlodipine")
    assert p is not None
    assert p["epc"] == ["Dihydropyridine Calcium Channel Blocker"]
    assert p["mechanism"] == ["Calcium Channel Antagonists"]
    assert p["half_life"] == {"text": "30-50 hours", "hours": 40.0, "source": "DrugBank 4 (curated hours)"}
    assert p["atc_codes"] == ["C08CA01"]
    assert p["description"]["text"].startswith("Amlodipine is a long-acting 1,4-dihydropyridine")
    assert p["description"]["source"] == "DrugBank 4 (DB00381)"
    assert {c["name"] for c in p["classes"]["ATC4"]} == {"Dihydropyridine derivatives"}
    inds = {(i["indication"], i["source"]) for i in p["indications"]}
    assert ("hypertension", "DrugCentral") in inds
    assert ("angina pectoris", "MEDI (high precision)") in inds
    assert any(src == "SIDER 4.1" for _, src in inds)
    assert q.drug_profile(con, "no such drug") is None


def test_same_class_drugs(con) -> None:
    epc = q.same_class_drugs(con, "amlodipine")
    assert {"nifedipine", "felodipine"} <= set(epc) and "amlodipine" not in epc
    atc4 = q.same_class_drugs(con, "amlodipine", "ATC4")
    assert {"nifedipine", "felodipine", "lercanidipine"} <= set(atc4)
    statins = set(q.same_class_drugs(con, "atorvastatin", "EPC"))
    assert {"simvastatin", "rosuvastatin", "pravastatin"} <= statins
    assert q.same_class_drugs(con, "no such drug") == []


def test_empty_queries_return_nothing(con) -> None:
    assert q.label_listing(con, "amlodipine", []) == []
    assert q.literature(con, "amlodipine", ["  "]) == []


def test_bad_data_dir_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(DataNotFoundError, match="shared data folder"):
        k.build_knowledge(duckdb.connect(), tmp_path)  # the data folder is checked before any table


def test_rebuild_is_idempotent(built) -> None:
    con, counts = built
    assert k.build_knowledge(con, data_dir()) == counts
