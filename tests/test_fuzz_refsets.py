"""Fuzz tests of the reference-set reader (adrlens.evaluate.read_refset) and the expert-panel reader
(adrlens.panel.read_panel), on real files written to a temporary folder.

Promises, for any file content (random bytes, any encoding, any line ending, quotes and delimiters inside
values, duplicate rows, missing or extra columns):
- the reader returns its rows or raises a project error (AdrlensError), nothing else;
- an error message is one short line: under 500 characters, no control characters;
- no row is lost: a well-formed file gives one pair (or panel row) per non-blank data row, duplicates kept,
  in file order, with the values as written (spacing collapsed);
- each read finishes in bounded time (a guard against hangs, not a timing claim).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from adrlens.errors import AdrlensError
from adrlens.evaluate import read_refset
from adrlens.model import GRADES
from adrlens.panel import PANEL_COLUMNS, read_panel
from fuzz_common import bounded, check_message

GUARD_S = 10.0  # files here are a few KB: a reader that needs this long is hanging
# The profile's max_examples, read once: these reads take milliseconds, so the byte-level ones get twice it.
BASE = settings().max_examples
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16")
LINE_ENDINGS = ("\n", "\r\n", "\r")
TRUE_WORDS = ("1", "0", "1.0", "true", "False", "yes", "NO", " pos ", "negative")
TRUTH = {"1": 1, "1.0": 1, "true": 1, "yes": 1, "pos": 1, "0": 0, "false": 0, "no": 0, "negative": 0}

_CHARS = st.characters(exclude_categories=("Cs",))
VALUE = st.text(st.one_of(st.sampled_from('ab Zé,"\t\n\r’|'), _CHARS), max_size=15)
NAME = st.text(
    st.one_of(st.sampled_from("abc -éü’"), st.characters(categories=("L", "N"))), min_size=1, max_size=15
).filter(str.strip)


def read(reader: Callable[[Path], Any], name: str, raw: bytes) -> Any | None:
    """Write `raw` as `name` and read it; the rows, or None after a project error."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(raw)
        with bounded(f"{reader.__name__} on {len(raw)} bytes", GUARD_S):
            try:
                return reader(path)
            except AdrlensError as e:
                check_message(e)
                return None


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding) if encoding.startswith("utf") else text.encode(encoding, errors="replace")


def field(value: str, delimiter: str) -> str:
    if any(c in value for c in (delimiter, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def table(rows: list[list[str]], delimiter: str, ending: str) -> str:
    return "".join(delimiter.join(field(v, delimiter) for v in row) + ending for row in rows)


# --- reference sets ---------------------------------------------------------------------------------------


@given(
    body=st.binary(max_size=2000),
    header=st.sampled_from(["", "drug,condition,truth\n", "exposureName,outcomeName,groundTruth\n"]),
)
@settings(max_examples=BASE * 2)
@example(body=b"", header="")  # an empty file
@example(body=b"", header="drug,condition,truth\n")  # a header-only file
@example(body=b"\xff\xfed\x00r\x00u\x00g\x00", header="")  # UTF-16 (a spreadsheet's "Unicode text")
@example(body=b"acetaminophen,caf\xe9,1\n", header="drug,condition,truth\n")  # Latin-1 bytes
def test_refset_random_bytes_are_read_or_refused(body: bytes, header: str) -> None:
    pairs = read(read_refset, "refset.csv", header.encode() + body)
    if pairs is not None:
        assert pairs and all(d and c and t in (0, 1) for d, c, t in pairs)


@st.composite
def refset_rows(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    """(drug, condition, truth word) rows, some repeated."""
    rows = draw(st.lists(st.tuples(NAME, NAME, st.sampled_from(TRUE_WORDS)), min_size=1, max_size=10))
    for _ in range(draw(st.integers(0, 3))):
        rows.insert(draw(st.integers(0, len(rows))), draw(st.sampled_from(rows)))
    return rows


@given(
    rows=refset_rows(),
    encoding=st.sampled_from(ENCODINGS),
    ending=st.sampled_from(LINE_ENDINGS),
    upper=st.booleans(),
    extra=st.booleans(),
    blank=st.booleans(),
)
@settings(max_examples=BASE)
@example(
    rows=[("0", "ª", "1")], encoding="latin-1", ending="\n", upper=False, extra=False, blank=False
)  # was a traceback
@example(rows=[("a", "b", "yes")], encoding="utf-16", ending="\r\n", upper=True, extra=True, blank=True)
def test_refset_well_formed_file_keeps_every_pair(rows, encoding: str, ending: str, upper, extra, blank) -> None:
    header = ["Drug", "CONDITION", "truth"] if upper else ["drug", "condition", "truth"]
    lines = [[*header, "note"] if extra else header]
    for d, c, t in rows:
        lines.append([d, c, t, "x, y"] if extra else [d, c, t])
        if blank:
            lines.append([])
    pairs = read(read_refset, "refset.csv", encode(table(lines, ",", ending), encoding))
    # A pair listed twice is one pair (case and spacing aside); one pair given both truths is refused.
    expected: dict[tuple[str, str], tuple[str, str, int]] = {}
    conflict = False
    for d, c, t in rows:
        pair = (" ".join(d.split()), " ".join(c.split()), TRUTH[t.strip().lower()])
        seen = expected.setdefault((pair[0].casefold(), pair[1].casefold()), pair)
        conflict |= seen[2] != pair[2]
    if not encoding.startswith("utf"):  # read when the text is ASCII, else refused with a project error
        assert pairs is None or len(pairs) == len(expected)
        return
    if conflict:
        assert pairs is None
        return
    assert pairs == list(expected.values())


@given(
    columns=st.lists(
        st.sampled_from(["drug", "condition", "truth", "exposureName", "outcomeName", "x", ""]), max_size=5
    ),
    cells=st.lists(st.lists(VALUE, max_size=6), max_size=6),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(ENCODINGS),
)
@settings(max_examples=BASE * 2)
@example(columns=["drug", "x"], cells=[], delimiter=",", encoding="utf-8")  # a missing column
@example(columns=["drug", "condition", "truth"], cells=[["a", "b", "\x1b[2J" * 80]], delimiter=",", encoding="utf-8")
def test_refset_odd_columns_and_values(columns: list[str], cells, delimiter: str, encoding: str) -> None:
    text = table([columns, *cells], delimiter, "\n")
    pairs = read(read_refset, "refset.csv", encode(text, encoding))
    if pairs is not None:
        assert len(pairs) <= len(cells)


# --- the expert panel -------------------------------------------------------------------------------------


@given(body=st.binary(max_size=2000), with_header=st.booleans())
@settings(max_examples=BASE * 2)
@example(body=b"", with_header=False)
@example(body=b"", with_header=True)
@example(body=b"Can x cause y?\tx\ty\tpossible\tnone\t\tcaf\xe9\n", with_header=True)  # Latin-1 bytes
def test_panel_random_bytes_are_read_or_refused(body: bytes, with_header: bool) -> None:
    head = ("\t".join(PANEL_COLUMNS) + "\n").encode() if with_header else b""
    rows = read(read_panel, "panel.tsv", head + body)
    if rows is not None:
        assert all(r.grades and set(r.grades) <= set(GRADES) for r in rows)


@given(
    rows=st.lists(
        st.tuples(VALUE, NAME, NAME, st.lists(st.sampled_from(GRADES), min_size=1, max_size=3), VALUE),
        min_size=0,
        max_size=8,
    ),
    encoding=st.sampled_from(ENCODINGS),
    ending=st.sampled_from(LINE_ENDINGS),
    duplicate=st.booleans(),
)
@settings(max_examples=BASE)
@example(rows=[("q?", "d", "c", ["possible"], "b")], encoding="utf-16", ending="\n", duplicate=True)  # was a traceback
def test_panel_well_formed_file_keeps_every_row(rows, encoding: str, ending: str, duplicate: bool) -> None:
    rows = rows + rows[:1] if duplicate else rows
    lines = [list(PANEL_COLUMNS)] + [[q, d, c, "|".join(g), "none", "word", basis] for q, d, c, g, basis in rows]
    text = table(lines, "\t", ending)
    got = read(read_panel, "panel.tsv", encode(text, encoding))
    if any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text):  # no text file holds them: refused
        assert got is None
        return
    if not encoding.startswith("utf"):
        assert got is None or len(got) == len(rows)
        return
    assert got is not None and [(r.drug, r.condition, r.grades) for r in got] == [
        (d.strip(), c.strip(), g) for _, d, c, g, _ in rows
    ]


@given(
    columns=st.lists(st.sampled_from([*PANEL_COLUMNS, "x", ""]), max_size=8),
    cells=st.lists(st.lists(VALUE, max_size=9), max_size=5),
    encoding=st.sampled_from(ENCODINGS),
)
@settings(max_examples=BASE * 2)
@example(columns=list(PANEL_COLUMNS), cells=[["q", "d", "c", "\x07" * 600, "none"]], encoding="utf-8")
def test_panel_odd_columns_and_values(columns: list[str], cells, encoding: str) -> None:
    got = read(read_panel, "panel.tsv", encode(table([columns, *cells], "\t", "\n"), encoding))
    if got is not None:
        assert len(got) <= len(cells)
