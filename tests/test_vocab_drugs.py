"""Drug-name normalisation on the real shared vocabularies and real FAERS drug names."""

from __future__ import annotations

import csv
import gzip
from collections import Counter

import pytest

from adrlens.config import data_path
from adrlens.errors import DataNotFoundError
from adrlens.vocab._drug_data import EXTRA_PRODUCTS
from adrlens.vocab.drug_index import _Builder
from adrlens.vocab.drugs import DrugMatch, DrugVocabulary, clean_name, denoise, strip_salts


@pytest.fixture(scope="module")
def vocab() -> DrugVocabulary:
    return DrugVocabulary.load()


def ings(vocab: DrugVocabulary, drugname: str | None, prod_ai: str | None = None) -> list[str]:
    result, mapped, _method = vocab.normalise(drugname, prod_ai)
    assert mapped, (drugname, prod_ai, result)
    return result


@pytest.mark.parametrize(
    ("drugname", "expected"),
    [
        ("AMLODIPINE BESYLATE", ["amlodipine"]),
        ("NORVASC", ["amlodipine"]),
        ("LOTREL", ["amlodipine", "benazepril"]),
        ("ATORVASTATIN CALCIUM.", ["atorvastatin"]),
        ("Lipitor", ["atorvastatin"]),
        ("Zocor", ["simvastatin"]),
        ("Crestor", ["rosuvastatin"]),
        ("Tylenol", ["acetaminophen"]),
        ("PARACETAMOL", ["acetaminophen"]),
        ("metformin hydrochloride", ["metformin"]),
        ("Glucophage", ["metformin"]),
        ("amlodipine 5mg tablets", ["amlodipine"]),
        ("LIPITOR (ATORVASTATIN CALCIUM)", ["atorvastatin"]),
        ("AMLODIPINE/VALSARTAN", ["amlodipine", "valsartan"]),
        ("calcium", ["calcium"]),  # a drug in its own right, not a salt to strip
        ("CALCIUM CARBONATE", ["calcium carbonate"]),
        ("ESOMEPRAZOLE MAGNESIUM", ["esomeprazole"]),
        ("Inflectra", ["infliximab"]),  # biosimilar suffix (infliximab-dyyb) folded into the molecule
        ("Paxlovid", ["nirmatrelvir", "ritonavir"]),
        ("Kesimpta", ["ofatumumab"]),  # curated: newer than the public lists
        ("Mayzent", ["siponimod"]),  # UNII display "SIPONIMOD FUMARIC ACID"
        ("Alendronic acid", ["alendronate"]),  # acid and salt spellings meet at the RxNorm name
        ("Human immunoglobulin g", ["immunoglobulin g"]),
        ("Banana boat (avobenzone\\homosalate\\octocrylene)", ["avobenzone", "homosalate", "octocrylene"]),
        ("Dapaglif", ["dapagliflozin"]),  # cut-off name
    ],
)
def test_drugname_to_ingredients(vocab: DrugVocabulary, drugname: str, expected: list[str]) -> None:
    assert ings(vocab, drugname) == expected


def test_prod_ai_first_and_combinations(vocab: DrugVocabulary) -> None:
    res, mapped, method = vocab.normalise(None, "AMLODIPINE BESYLATE\\BENAZEPRIL HYDROCHLORIDE")
    assert (res, mapped, method) == (["amlodipine", "benazepril"], True, "prod_ai")
    # prod_ai wins over a drugname that says something else
    assert vocab.normalise("LIPITOR", "AMLODIPINE BESYLATE")[0] == ["amlodipine"]
    # an ingredient no vocabulary knows is kept (salt stripped) but not counted as mapped: prod_ai is free text
    res, mapped, method = vocab.normalise("ZZNEWBRAND", "ZORBLATINIB HYDROCHLORIDE")
    assert (res, mapped, method) == (["zorblatinib"], False, "prod_ai_verbatim")


@pytest.mark.parametrize("prod_ai", ["<b>x</b>", "ab\x01cd\x7f", "<script>alert(1)</script>", "\x00\x00", "Z"])
def test_prod_ai_markup_and_garbage_is_never_mapped(vocab: DrugVocabulary, prod_ai: str) -> None:
    res, mapped, _method = vocab.normalise(None, prod_ai)
    assert not mapped
    assert all(not any(ord(ch) < 32 or ord(ch) == 127 for ch in i) for i in res)  # control characters never kept


def test_a_cut_off_ingredient_list_is_read_without_its_fragment(vocab: DrugVocabulary) -> None:
    """A bracketed list cut off by a field limit: its parts are the ingredients; the cut-off last part ('Z', a
    UNII synonym of a proteasome subunit) is no ingredient. Nor is 'K2' (a UNII code of a cannabinoid)."""
    for drugname, prod_ai in [("OSTEOCARE [CALCIUM;COLECALCIFEROL;MAGNESIUM;Z", None), (None, "OSTEOCARE [CALCIUM;Z")]:
        res, mapped, _ = vocab.normalise(drugname, prod_ai)
        assert not any("proteasome" in i for i in res), res
    res, mapped, _method = vocab.normalise("OSTEOCARE [CALCIUM;COLECALCIFEROL;MAGNESIUM;Z", None)
    assert (res, mapped) == (["calcium", "cholecalciferol", "magnesium"], True)
    assert "jwh-018" not in vocab.normalise("VITAMIN D3 + K2", None)[0]
    # a cut-off part leaving one name is no combination read as a single drug
    assert vocab.normalise("amlodipine/z", None)[1:] != (True, "split")


def test_full_width_and_compatibility_letters_are_the_same_name(vocab: DrugVocabulary) -> None:
    assert vocab.normalise("ＮＯＲＶＡＳＣ", None)[:2] == (["amlodipine"], True)
    assert vocab.resolve("ＮＯＲＶＡＳＣ")[0].ingredient == "amlodipine"
    assert vocab.normalise(None, "ＡＭＬＯＤＩＰＩＮＥ ＢＥＳＹＬＡＴＥ") == (["amlodipine"], True, "prod_ai")
    assert clean_name("ＮＯＲＶＡＳＣ®") == "norvasc"


def test_unmapped_and_empty(vocab: DrugVocabulary) -> None:
    assert vocab.normalise("Xqzzyvlorp 10 MG", None) == (["xqzzyvlorp"], False, "verbatim")
    for name, ai in [
        (None, None),
        ("", ""),
        ("   ", None),
        ("UNKNOWN", None),
        (None, "UNSPECIFIED INGREDIENT"),
    ]:
        assert vocab.normalise(name, ai) == ([], False, "empty")
    assert vocab.normalise(float("nan"), None) == ([], False, "empty")  # type: ignore[arg-type]
    assert vocab.resolve("xqzzyvlorp") == []
    assert vocab.resolve("") == []


def test_resolve(vocab: DrugVocabulary) -> None:
    top = vocab.resolve("amlodopine")[0]
    assert isinstance(top, DrugMatch)
    assert (top.ingredient, top.method) == ("amlodipine", "fuzzy") and 0.8 < top.score < 1
    for q in ("Norvasc", "NORVASC", "norvasc"):
        m = vocab.resolve(q)[0]
        assert (m.ingredient, m.method, m.score) == ("amlodipine", "brand", 0.97)
    assert vocab.resolve("amlodipine")[0] == DrugMatch("amlodipine", "amlodipine", "exact", 1.0)
    assert vocab.resolve("amlodipine besylate")[0].ingredient == "amlodipine"
    assert {m.ingredient for m in vocab.resolve("Lotrel")[:2]} == {"amlodipine", "benazepril"}
    assert vocab.resolve("simvastatn")[0].ingredient == "simvastatin"


def test_known_and_synonyms(vocab: DrugVocabulary) -> None:
    assert vocab.is_known("amlodipine") and vocab.is_known("Acetaminophen")
    assert not vocab.is_known("norvasc") and not vocab.is_known("xqzzyvlorp")
    assert "norvasc" in vocab.synonyms("amlodipine")[:3]
    assert "lipitor" in vocab.synonyms("atorvastatin")[:3]
    assert "paracetamol" in vocab.synonyms("acetaminophen", limit=500)
    assert vocab.synonyms("xqzzyvlorp") == []


def test_helpers() -> None:
    assert clean_name("  ATORVASTATIN CALCIUM. ") == "atorvastatin calcium"
    assert strip_salts("atorvastatin calcium trihydrate") == "atorvastatin"
    assert strip_salts("sodium lactate") == "sodium lactate"  # never down to a bare counter-ion
    assert strip_salts("calcium carbonate", {"calcium carbonate"}) == "calcium carbonate"
    assert denoise("amlodipine 5mg tablets") == "amlodipine"
    assert denoise("vitamin b12 1000 mcg") == "vitamin b12"
    assert denoise("covid-19 vaccine nos") == "covid-19 vaccine"


def test_curated_entries_resolve() -> None:
    """Every curated product names only ingredients the public vocabularies know."""
    b = _Builder(data_path("vocab", "drugs"))
    b.read_rxnorm()
    b.read_unii()
    bad = {k: p for k, parts in EXTRA_PRODUCTS.items() for p in parts if b.substance(p) is None}
    assert not bad


def test_missing_data_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(DataNotFoundError, match="ADRLENS_DATA"):
        DrugVocabulary.load(tmp_path)


def test_faers_2025q4_sample(vocab: DrugVocabulary) -> None:
    path = data_path("faers", "samples", "nico8270_25Q4_1000cases", "DRUG25Q4.txt")
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        rows = csv.reader(f, delimiter="$", quoting=csv.QUOTE_NONE)
        header = next(rows)
        i, j = header.index("drugname"), header.index("prod_ai")
        pairs = [(r[i] or None, r[j] or None) for r in rows]
    fresh = DrugVocabulary(vocab._canon, vocab._known, vocab._index, vocab._brands)  # cold memo
    res = fresh.normalise_many(pairs)
    assert len(pairs) > 6000
    assert sum(m for _, m, _ in res) / len(res) >= 0.98
    distinct = dict(zip(pairs, res, strict=True))
    assert sum(m for _, m, _ in distinct.values()) / len(distinct) >= 0.96
    assert distinct[("SANDOSTATIN LAR DEPOT", "OCTREOTIDE ACETATE")] == (["octreotide"], True, "prod_ai")


def test_faers_2022q3_quarter(vocab: DrugVocabulary) -> None:
    with gzip.open(data_path("faers", "quarter_2022q3_ps", "cases_ps_drug_pt.csv.gz"), "rt") as f:
        rows = csv.reader(f)
        next(rows)
        names = [r[1] for r in rows]
    fresh = DrugVocabulary(vocab._canon, vocab._known, vocab._index, vocab._brands)
    res = fresh.normalise_many((n, None) for n in names)
    assert len(names) == 496_312
    assert sum(m for _, m, _ in res) / len(res) >= 0.99
    distinct = dict(zip(names, res, strict=True))
    assert sum(m for _, m, _ in distinct.values()) / len(distinct) >= 0.97
    statins = Counter(i for r in res for i in r[0] if i.endswith("statin"))
    for s in ("atorvastatin", "rosuvastatin", "simvastatin"):
        assert statins[s] >= 100, statins
    assert distinct["Lipitor"][0] == ["atorvastatin"]
