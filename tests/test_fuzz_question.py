"""Fuzz tests of question understanding (adrlens.vocab.question.understand, what `adrlens ask` calls first).

Promises, for any text a person can paste (any Unicode but lone surrogates: control characters, bidi marks,
zero-width characters, full-width letters, up to 100 KB), and for --drug/--condition given separately:
- understand returns an Understood or raises a project error (AdrlensError), nothing else;
- an error message is one short line the CLI can print: under 500 characters, no control characters,
  no lone surrogates;
- each call finishes in bounded time (a guard against hangs and quadratic blowups, not a timing claim).
"""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from adrlens.errors import AdrlensError
from adrlens.vocab.question import EXAMPLE, Understood, understand
from fuzz_common import MAX_MESSAGE, bounded, check_message

# One call takes 0.1-3 s here (an unknown word is matched fuzzily against every drug and condition name), so the
# guard is 30 s: ten times the slowest call seen, on a machine shared with other work. A hang or a blowup on a
# pasted page (a 100 KB question took minutes before questions were limited to 1,000 characters) still trips it.
GUARD_S = 30.0
# The profile's max_examples, read once: a call costs up to seconds, so each property takes a small share.
BASE = settings().max_examples

# Characters that look like nothing or turn text around, and the full-width forms of ASCII letters.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
CONTROL = "".join(chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)])
ANY_CHAR = st.characters(exclude_categories=("Cs",))
ODD_CHAR = st.one_of(ANY_CHAR, st.sampled_from(INVISIBLE + BIDI + CONTROL))
_WORD_TEXT = (
    "can cause amlodipine norvasc peripheral neuropathy tingling is a side effect of does give me the flu shot "
    "metformin lactic acidosis and or not in children headache rash liver heart attack ? , . ( )"
)
WORDS = _WORD_TEXT.split(" ")


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


@pytest.fixture(scope="module", autouse=True)
def vocabularies() -> None:
    """Load the vocabularies once for the module (a few seconds), outside any example's time guard: the answer
    path, and the suggestion indexes an unknown drug or condition loads."""
    understand(EXAMPLE)
    for text in ("Can zzqx cause peripheral neuropathy?", "Can amlodipine cause qwxyzzy?"):
        with pytest.raises(AdrlensError):
            understand(text)


def ask(text: str | None = None, drug: str | None = None, condition: str | None = None) -> Understood | None:
    size = sum(len(x or "") for x in (text, drug, condition))
    with bounded(f"understand() on {size} characters", GUARD_S):
        try:
            u = understand(text, drug=drug, condition=condition)
        except AdrlensError as e:
            check_message(e)
            return None
    assert isinstance(u, Understood) and u.drug.name and u.condition.label
    return u


@given(text=st.text(ODD_CHAR, max_size=300))
@settings(max_examples=BASE // 2)
@example(text="")
@example(text="\x00")
@example(text="Can amlodipine cause \x1b[31mperipheral neuropathy?")  # an escape sequence in the condition
def test_any_text(text: str) -> None:
    ask(text)


@st.composite
def mangled_questions(draw: st.DrawFn) -> str:
    """Question-like word salad, with invisible, bidi and control characters slipped in, some words full width."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=14))
    out = []
    for w in words:
        if draw(st.integers(0, 5)) == 0:
            w = full_width(w)
        if draw(st.integers(0, 3)) == 0:
            at = draw(st.integers(0, len(w)))
            w = w[:at] + draw(st.text(st.sampled_from(INVISIBLE + BIDI + CONTROL), min_size=1, max_size=3)) + w[at:]
        out.append(w)
    return " ".join(out)


@given(text=mangled_questions())
@settings(max_examples=BASE // 4)
@example(text="Can amlodipine cause peripheral neuropathy?")
@example(text="Can \u202eamlodipine cause peripheral\u200b neuropathy?")
@example(text=full_width("Can norvasc cause tingling?"))
def test_question_like_text(text: str) -> None:
    ask(text)


@given(
    drug=st.one_of(st.none(), st.text(ODD_CHAR, max_size=60), st.sampled_from(WORDS)),
    condition=st.one_of(st.none(), st.text(ODD_CHAR, max_size=60), st.sampled_from(WORDS)),
    text=st.one_of(st.none(), mangled_questions()),
)
@settings(max_examples=BASE // 5)
@example(drug="amlodipine", condition="tingling", text=None)
@example(drug="amlodipine\x07", condition="\u202eneuropathy", text="Can metformin cause rash?")
def test_drug_and_condition_given_apart(drug: str | None, condition: str | None, text: str | None) -> None:
    ask(text, drug=drug, condition=condition)


@given(
    unit=st.one_of(st.sampled_from(WORDS), st.text(ODD_CHAR, min_size=1, max_size=20)),
    kb=st.sampled_from([0.25, 0.9, 10, 100]),  # 0.9 KB: just under the limit, read in full
    where=st.sampled_from(["alone", "drug", "condition", "--drug", "--condition"]),
)
@settings(max_examples=max(3, BASE // 20))
@example(unit="amlodipine ", kb=100, where="drug")  # took 36 s: the drug name again and again in a question
@example(unit="x ", kb=100, where="condition")  # took 9 minutes: 50,000 one-letter words after "cause"
@example(unit="\u200b", kb=100, where="alone")  # its 880-character message echoed every zero-width space
@example(unit="a", kb=100, where="--condition")
@example(unit="x ", kb=0.9, where="condition")  # 460 words, just under the limit: resolved, in bounded time
def test_long_text(unit: str, kb: float, where: str) -> None:
    n = int(kb * 1024)
    body = (unit * (n // len(unit) + 1))[:n]
    if where == "alone":
        ask(body)
    elif where == "drug":
        ask(f"Can {body} cause peripheral neuropathy?")
    elif where == "condition":
        ask(f"Can amlodipine cause {body}?")
    elif where == "--drug":
        ask(drug=body, condition="tingling")
    else:
        ask(drug="amlodipine", condition=body)


@pytest.mark.parametrize(
    "question",
    [
        "Can zz\x1b[2Jqx\u202e cause headache?",  # an escape sequence and a bidi override in an unknown drug
        "Can amlodipine cause " + "pins and needles " * 300,  # a pasted page: refused at once, in one line
    ],
)
def test_the_cli_prints_one_clean_error_line(question: str, tmp_path: Path) -> None:
    """What a person sees: `adrlens ask` in a real process, one "error:" line, exit 2, no traceback."""
    env = {**os.environ, "COLUMNS": "300"}
    proc = subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ask", question, "--store", str(tmp_path / "none.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines and lines[0].startswith("error:") and len(lines) <= 2, lines
    assert len(lines[0]) < MAX_MESSAGE + 10 and not [c for c in lines[0] if unicodedata.category(c) == "Cc"]
