"""Question understanding on the real drug, vaccine and condition vocabularies."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adrlens.errors import ResolutionError
from adrlens.vocab.question import Question, Understood, parse, understand

PN = "peripheral_neuropathy"

PHRASINGS = [
    ("Can amlodipine cause peripheral neuropathy?", "cause"),
    ("could amlodipine cause peripheral neuropathy", "cause"),
    ("Does amlodipine cause peripheral neuropathy", "cause"),
    ("Does my amlodipine really cause peripheral neuropathy?", "cause"),
    ("Can amlodipine give you peripheral neuropathy", "cause"),
    ("Can taking amlodipine lead to peripheral neuropathy?", "cause"),
    ("CAN THE AMLODIPINE EVER CAUSE PERIPHERAL NEUROPATHY", "cause"),
    ("Is peripheral neuropathy a side effect of amlodipine", "side_effect_of"),
    ("Is peripheral neuropathy a known side effect of amlodipine?", "side_effect_of"),
    ("Does amlodipine have peripheral neuropathy as a side effect", "has_as_side_effect"),
    ("Can peripheral neuropathy be caused by amlodipine?", "caused_by"),
    ("peripheral neuropathy from amlodipine", "y_from_x"),
    ("amlodipine and peripheral neuropathy", "and"),
    ("amlodipine peripheral neuropathy", "two_part"),
    ("peripheral neuropathy amlodipine", "two_part_reversed"),
]


@pytest.mark.parametrize(("text", "form"), PHRASINGS)
def test_phrasings(text: str, form: str) -> None:
    u = understand(text)
    assert isinstance(u, Understood)
    assert u.drug.name == "amlodipine" and u.drug.kind == "drug"
    assert u.condition.concept_id == PN
    assert "neuropathy peripheral" in u.condition.pts
    assert u.question.form == form
    assert u.question.drug_text.lower() == "amlodipine"
    assert u.question.condition_text.lower() == "peripheral neuropathy"
    assert u.notes == []  # nothing was reinterpreted


def test_parse_returns_the_two_parts() -> None:
    q = parse("Is hair loss a known side effect of my atorvastatin?")
    assert q == Question(
        "Is hair loss a known side effect of my atorvastatin?", "atorvastatin", "hair loss", "side_effect_of"
    )


def test_separate_drug_and_condition() -> None:
    u = understand(drug="Norvasc", condition="pins and needles")
    assert (u.drug.name, u.condition.concept_id, u.question.form) == ("amlodipine", PN, "separate")
    assert "Norvasc is a brand of amlodipine" in u.notes
    with pytest.raises(ResolutionError, match="both a drug and a condition"):
        understand(drug="Norvasc")


def test_brand_and_lay_term() -> None:
    u = understand("Can Norvasc cause pins and needles?")
    assert u.drug.name == "amlodipine" and u.drug.method == "brand"
    assert u.condition.concept_id == PN and u.condition.label == "Peripheral neuropathy"
    assert u.notes == ["Norvasc is a brand of amlodipine", "'pins and needles' read as Peripheral neuropathy"]


def test_misspelt_drug_and_symptom_word() -> None:
    u = understand("Does amlodopine cause tingling")
    assert u.drug.name == "amlodipine" and u.drug.method == "fuzzy"
    assert u.condition.concept_id == PN and u.condition.via_pt == "paraesthesia"
    assert any("amlodopine read as amlodipine" in n for n in u.notes)
    assert any("'tingling' read as Paraesthesia (Peripheral neuropathy)" in n for n in u.notes)


def test_salt_form() -> None:
    u = understand("Can amlodipine besylate cause numb feet?")
    assert u.drug.name == "amlodipine" and u.condition.concept_id == PN
    assert any("counted as amlodipine" in n for n in u.notes)


@pytest.mark.parametrize(
    "text",
    ["Can the flu shot cause Guillain-Barre syndrome?", "flu vaccine and GBS", "Can a flu jab cause Guillain Barré?"],
)
def test_vaccine(text: str) -> None:
    u = understand(text)
    assert u.drug.kind == "vaccine" and u.drug.name == "influenza vaccine"
    assert u.condition.concept_id == "guillain_barre_syndrome"
    assert "guillain-barre syndrome" in u.condition.pts


@pytest.mark.parametrize("text", ["Is RotaShield linked to intussusception?", "rotavirus vaccine intussusception"])
def test_rotavirus(text: str) -> None:
    u = understand(text)
    assert u.drug.name == "rotavirus vaccine" and "intussusception" in u.condition.pts


@pytest.mark.parametrize(
    ("text", "drug", "concept"),
    [
        ("Is hair loss a side effect of atorvastatin?", "atorvastatin", "alopecia"),
        ("Can Lipitor cause muscle breakdown?", "atorvastatin", "rhabdomyolysis"),
        ("metformin lactic acidosis", "metformin", "lactic_acidosis"),
        ("Can ethinyl estradiol cause blood clots?", "ethinyl estradiol", "venous_thromboembolism"),
        ("insulin glargine low blood sugar", "insulin glargine", "hypoglycaemia"),
        ("Can Tylenol cause liver damage?", "acetaminophen", "acute_liver_injury"),
        ("Can aspirin cause a heart attack?", "aspirin", "acute_myocardial_infarction"),
        ("tingling from amlodipine", "amlodipine", PN),
        ("Has anyone had tingling from amlodipine?", "amlodipine", PN),
        ("amlodipine and pins and needles", "amlodipine", PN),
        ("measles mumps rubella vaccine febrile seizure", "measles mumps rubella vaccine", None),
    ],
)
def test_more_questions(text: str, drug: str, concept: str | None) -> None:
    u = understand(text)
    assert u.drug.name == drug
    if concept:
        assert u.condition.concept_id == concept
    assert u.condition.pts


def test_multi_word_names_split_correctly() -> None:
    q = parse("ethinyl estradiol deep vein thrombosis")
    assert (q.drug_text, q.condition_text) == ("ethinyl estradiol", "deep vein thrombosis")
    q = parse("insulin glargine weight gain")
    assert (q.drug_text, q.condition_text) == ("insulin glargine", "weight gain")


def test_population_is_noted_not_swallowed() -> None:
    u = understand("Can the flu vaccine cause GBS in children?")
    assert u.condition.concept_id == "guillain_barre_syndrome"
    assert any("children" in n for n in u.notes)


def test_unknown_drug() -> None:
    with pytest.raises(ResolutionError, match="unknown drug 'zzqxv'") as ei:
        understand("Can zzqxv cause headache?")
    assert isinstance(ei.value.candidates, list)
    # A far-off misspelling is not guessed, but offered.
    with pytest.raises(ResolutionError, match="unknown drug") as ei:
        understand("Can amlodapeen cause headache?")
    assert "amlodipine" in ei.value.candidates


def test_unknown_condition() -> None:
    with pytest.raises(ResolutionError, match="unknown condition 'qwxyzzy'"):
        understand("Can amlodipine cause qwxyzzy?")
    with pytest.raises(ResolutionError, match="unknown condition") as ei:
        understand("Can amlodipine cause liver problems?")
    assert ei.value.candidates  # closest conditions offered


@pytest.mark.parametrize("text", ["Can amlodipine cause thrombosis?", "amlodipine thrombosis"])
def test_ambiguous_condition(text: str) -> None:
    # "thrombosis" is a parent term of several concepts (DVT, pulmonary embolism, VTE): ask which one.
    with pytest.raises(ResolutionError, match="ambiguous") as ei:
        understand(text)
    assert "Deep vein thrombosis" in ei.value.candidates and len(ei.value.candidates) >= 2
    assert "Deep vein thrombosis" in str(ei.value)


@pytest.mark.parametrize("text", ["Can amlodipine cause bleeding?", "amlodipine bleeding"])
def test_bleeding_is_the_general_haemorrhage_concept(text: str) -> None:
    assert understand(text).condition.concept_id == "haemorrhage"


def test_combination_brand_asks_for_one_ingredient() -> None:
    with pytest.raises(ResolutionError, match="several ingredients") as ei:
        understand("Can Lotrel cause cough?")
    assert set(ei.value.candidates) == {"amlodipine", "benazepril"}


@pytest.mark.parametrize("text", ["amlodipine", "", "   ?  "])
def test_no_split(text: str) -> None:
    with pytest.raises(ResolutionError, match="Ask like: Can amlodipine cause"):
        understand(text)


def test_warm_speed() -> None:
    understand("Can Norvasc cause pins and needles?")  # vocabularies loaded
    qs = ["Does amlodopine cause tingling", "metformin lactic acidosis", "Is hair loss a side effect of lovastatin?"]
    t = time.perf_counter()
    for q in qs:
        understand(q)
    per = (time.perf_counter() - t) / len(qs)
    print(f"warm understand(): {per * 1000:.0f} ms per question")


def test_cli_unknown_drug_exits_2_without_traceback(tmp_path: Path) -> None:
    # The question is understood before any store is opened, so a typo fails at once, store or not.
    store = tmp_path / "no-store-needed.duckdb"
    env = {**os.environ, "COLUMNS": "300"}
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ask", "Can zzqxv cause headache?", "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    print(f"cold CLI run: {time.perf_counter() - t:.1f} s")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines and "zzqxv" in lines[0] and lines[0].startswith("error:")
    assert len(lines) <= 2  # the error, and "did you mean" when there are candidates


def test_lists_and_swaps() -> None:
    u = understand("Can amlodipine cause tingling and numbness?")
    assert u.condition.concept_id == PN
    with pytest.raises(ResolutionError, match="several conditions") as ei:
        understand("Can amlodipine cause headache and hair loss?")
    assert set(ei.value.candidates) == {"Headache", "Alopecia (hair loss)"}
    u = understand("Can headache cause amlodipine?")
    assert (u.drug.name, u.condition.concept_id) == ("amlodipine", "headache")
    assert any("other way round" in n for n in u.notes)
    with pytest.raises(ResolutionError, match="one drug and one condition"):
        understand("What are the side effects of amlodipine?")


def test_why_and_from_phrasings() -> None:
    assert understand("Why does amlodipine cause edema?").drug.name == "amlodipine"
    u = understand("Can I get a rash from amoxicillin?")
    assert (u.drug.name, u.condition.concept_id, u.question.form) == ("amoxicillin", "rash", "y_from_x")


# ---- questions that must not be answered as something else (issue 12, item 6) ---------------------------


@pytest.mark.parametrize(
    "text",
    ["Can amlodipine not cause cough?", "Why doesn't amlodipine cause cough?", "Does lisinopril never cause a rash?"],
)
def test_a_negated_question_is_refused_not_read_as_its_opposite(text: str) -> None:
    with pytest.raises(ResolutionError, match="negat"):
        understand(text)


def test_a_question_that_conflicts_with_drug_or_condition_is_refused() -> None:
    with pytest.raises(ResolutionError, match="give one or the other"):
        understand("Can amlodipine cause cough?", drug="lisinopril", condition="rash")
    with pytest.raises(ResolutionError, match="give one or the other"):
        understand("Can amlodipine cause cough?", drug="amlodipine", condition="rash")
    # The same question in other words is no conflict: a brand and lay words read as the same pair.
    u = understand("Can Norvasc cause pins and needles?", drug="amlodipine", condition="peripheral neuropathy")
    assert u.drug.name == "amlodipine" and u.condition.concept_id == "peripheral_neuropathy"


def test_a_question_naming_two_drugs_is_refused_and_a_long_question_is_not_echoed_whole() -> None:
    with pytest.raises(ResolutionError, match="several ingredients"):
        understand("Can amlodipine and lisinopril cause cough?")
    with pytest.raises(ResolutionError) as e:
        understand("x" * 100_000)
    assert len(str(e.value)) < 400


def test_cli_ask_refuses_a_conflicting_question_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    # A real process: the question is checked before any store is opened or built.
    res = subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ask", "Can amlodipine cause cough?", "--drug", "lisinopril",
         "--condition", "rash", "--store", str(tmp_path / "none.duckdb")],
        capture_output=True, text=True, timeout=120,
    )
    said = " ".join((res.stderr + res.stdout).split())  # the console wraps long lines
    assert res.returncode != 0 and "give one or the other" in said
    assert "Traceback" not in res.stderr and not (tmp_path / "none.duckdb").exists()


def test_cli_ask_refuses_a_folder_as_out_before_any_work(tmp_path: Path) -> None:
    """Issue 12, item 10: --out pointing at a folder once ended in an internal IsADirectoryError."""
    res = subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ask", "Can amlodipine cause cough?", "--out", str(tmp_path),
         "--store", str(tmp_path / "none.duckdb")],
        capture_output=True, text=True, timeout=120,
    )
    said = " ".join((res.stderr + res.stdout).split())  # the console wraps long lines
    assert res.returncode != 0 and "is a folder" in said
    assert "internal error" not in res.stderr and not (tmp_path / "none.duckdb").exists()


# ---- long input is never echoed whole; full-width letters are letters (issue 12, items 11c-d) -------------


def _ask(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ask", *args, "--store", str(tmp_path / "none.duckdb")],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "300"},
    )


@pytest.mark.parametrize(
    "args",
    [
        ("Can amlodipine cause " + "x" * 100_000 + "?",),
        ("Can " + "zq" * 50_000 + " cause headache?",),
        ("Can amlodipine not cause " + "x" * 100_000 + "?",),
        ("--drug", "q" * 100_000, "--condition", "headache"),
        ("--drug", "amlodipine", "--condition", "q" * 100_000),
        ("Can amlodipine cause " + "x" * 900 + "?",),  # under the length limit: the unknown condition is cut
        ("--drug", "zq" * 450, "--condition", "headache"),  # under the limit: the unknown drug is cut
    ],
)
def test_cli_a_100_kb_question_or_name_is_not_echoed_whole(tmp_path: Path, args: tuple[str, ...]) -> None:
    res = _ask(tmp_path, *args)
    assert res.returncode == 2, res.stderr[:300]
    assert res.stderr.startswith("error:") and "Traceback" not in res.stderr
    assert len(res.stderr) < 300, res.stderr[:400]
    assert not (tmp_path / "none.duckdb").exists()


def test_full_width_letters_read_as_the_same_question() -> None:
    u = understand("Ｃａｎ ＮＯＲＶＡＳＣ ｃａｕｓｅ ｐｅｒｉｐｈｅｒａｌ ｎｅｕｒｏｐａｔｈｙ?")
    assert (u.drug.name, u.condition.concept_id) == ("amlodipine", PN)
    u = understand(drug="ＮＯＲＶＡＳＣ", condition="ｔｉｎｇｌｉｎｇ")
    assert (u.drug.name, u.condition.concept_id) == ("amlodipine", PN)
