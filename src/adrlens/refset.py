"""Reading reference sets of drug-outcome pairs with known truth (EU-ADR, OMOP-style CSVs).

A reference set is a CSV with columns drug, condition, truth (1 = the drug causes the condition, 0 = a
negative control) or the OMOP names exposureName, outcomeName, groundTruth. The file is read as UTF-8
(with or without a byte-order mark) or UTF-16 with one (`adrlens.textfile`).

A pair listed twice is one pair: duplicates (same drug and condition, case and spacing aside) are collapsed
and counted, so that a pasted-twice file neither weighs a pair twice in the AUC nor asks the same question
a thousand times. The same pair given both truths is refused: the file contradicts itself.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from adrlens.errors import AdrlensError, DataNotFoundError
from adrlens.textfile import read_user_text

Pair = tuple[str, str, int]

# Column names a reference set may use: (drug, condition, truth). The OMOP/OHDSI files name them
# exposureName / outcomeName / groundTruth.
_COLUMN_SETS: tuple[tuple[str, str, str], ...] = (
    ("drug", "condition", "truth"),
    ("exposurename", "outcomename", "groundtruth"),
    ("drug", "event", "truth"),
    ("drug", "outcome", "truth"),
)

# OMOP outcome definitions -> the plain condition names of the project's EU-ADR file (euadr.csv), so that
# both spellings of EU-ADR ask the same questions. Keys are cleaned names (see _clean_outcome).
_OMOP_OUTCOMES = {
    "acute liver failure": "acute liver injury",
    "acute renal failure": "acute kidney injury",
    "upper gi": "upper gastrointestinal bleeding",
    "upper gi bleeding": "upper gastrointestinal bleeding",
    "leukopenia including neutropenia and agranulocytosis": "leukopenia",
    "aplastic anemia": "aplastic anaemia",
    "stevens-johnson syndrome": "Stevens-Johnson syndrome",
}
# Duplicated pairs named in the notice (the count covers them all).
_NAMED_DUPLICATES = 3


@dataclass
class Refset:
    """The distinct pairs of a reference set, in file order, and what reading it found."""

    pairs: list[Pair]
    n_rows: int  # data rows read (blank lines aside)
    duplicates: list[dict] = field(default_factory=list)  # {drug, condition, rows}: pairs listed more than once

    @property
    def n_duplicate_rows(self) -> int:
        return self.n_rows - len(self.pairs)

    def notices(self) -> list[str]:
        if not self.duplicates:
            return []
        shown = self.duplicates[:_NAMED_DUPLICATES]
        named = ", ".join(f"{d['drug']} / {d['condition']} ({d['rows']} rows)" for d in shown)
        more = len(self.duplicates) - _NAMED_DUPLICATES
        return [
            f"{self.n_duplicate_rows:,} duplicate row(s) collapsed: {len(self.pairs):,} distinct pair(s) from "
            f"{self.n_rows:,} rows; each pair is answered and scored once ({named}"
            + (f" and {more:,} more pairs" if more > 0 else "")
            + ")."
        ]


def _clean_outcome(name: str) -> str:
    """'OMOP Acute myocardial Infarction  1' -> 'acute myocardial infarction'; 'HOI Upper GI #3' -> ...

    OMOP outcome names carry a prefix (OMOP, HOI) and a definition number; neither is part of the
    condition."""
    s = " ".join(name.split())
    s = re.sub(r"^(omop|hoi)\s+", "", s, flags=re.IGNORECASE)
    s = re.sub(r"\s*#?\s*\d+$", "", s)
    key = s.lower()
    return _OMOP_OUTCOMES.get(key, key)


def _truth(value: str, path: Path, line: int) -> int:
    v = value.strip().lower()
    if v in ("1", "1.0", "true", "yes", "positive", "pos"):
        return 1
    if v in ("0", "0.0", "false", "no", "negative", "neg"):
        return 0
    shown = v if len(v) <= 20 else v[:19] + "…"
    raise AdrlensError(f"{path}, line {line}: truth must be 1 or 0, not {shown!r}. Fix the reference set.")


def read_refset_file(path: str | Path) -> Refset:
    """A reference set CSV -> its distinct (drug, condition, truth) pairs, in file order, with duplicates counted.

    Accepts columns drug, condition, truth or the OMOP-style exposureName, outcomeName, groundTruth
    (case-insensitive); OMOP outcome names are reduced to plain condition names. Blank lines are skipped;
    a row with a missing drug or condition or a truth other than 1/0 is an error naming the line, and so is
    a pair given truth 1 on one line and 0 on another."""
    p = Path(path)
    if not p.is_file():
        raise DataNotFoundError(f"reference set {p} not found. Give a CSV with columns drug, condition, truth.")
    reader = csv.DictReader(io.StringIO(read_user_text(p, "reference set"), newline=""))
    try:
        fields = reader.fieldnames or []
    except csv.Error as e:
        raise AdrlensError(f"{p}: not a CSV file ({e}). Give a CSV with columns drug, condition, truth.") from None
    header = {(h or "").strip().lower(): h for h in fields}
    cols = next((c for c in _COLUMN_SETS if all(x in header for x in c)), None)
    if cols is None:
        found = ", ".join(repr(h[:40]) for h in list(header)[:10]) or "none"  # repr: no raw controls
        raise AdrlensError(
            f"{p}: no drug/condition/truth columns (found {found}). Use columns "
            "drug, condition, truth or the OMOP names exposureName, outcomeName, groundTruth."
        )
    omop = cols[0] == "exposurename"
    d_col, c_col, t_col = (header[c] for c in cols)
    first: dict[tuple[str, str], tuple[int, int]] = {}  # pair key -> (index in pairs, line)
    counts: dict[tuple[str, str], int] = {}
    pairs: list[Pair] = []
    n_rows = 0
    line = 1
    try:
        for line, row in enumerate(reader, start=2):
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            n_rows += 1
            drug = " ".join((row.get(d_col) or "").split())
            cond = " ".join((row.get(c_col) or "").split())
            if not drug or not cond:
                raise AdrlensError(f"{p}, line {line}: drug or condition is empty. Fix the reference set.")
            if omop:
                drug, cond = drug.lower(), _clean_outcome(cond)
            truth = _truth(row.get(t_col) or "", p, line)
            key = (drug.casefold(), cond.casefold())
            if key in first:
                i, at = first[key]
                if pairs[i][2] != truth:
                    raise AdrlensError(
                        f"{p}, line {line}: {drug} / {cond} has truth {truth} here but {pairs[i][2]} on line {at}; "
                        "a pair has one truth. Fix the reference set."
                    )
                counts[key] += 1
                continue
            first[key] = (len(pairs), line)
            counts[key] = 1
            pairs.append((drug, cond, truth))
    except csv.Error as e:
        raise AdrlensError(f"{p}, line {line}: not readable as CSV ({e}). Fix the reference set.") from None
    if not pairs:
        raise AdrlensError(f"{p}: the reference set has no pairs.")
    dups = [
        {"drug": pairs[first[k][0]][0], "condition": pairs[first[k][0]][1], "rows": n}
        for k, n in counts.items()
        if n > 1
    ]
    return Refset(pairs, n_rows, sorted(dups, key=lambda d: -d["rows"]))


def read_refset(path: str | Path) -> list[Pair]:
    """A reference set CSV -> its distinct [(drug, condition, truth)], in file order (see `read_refset_file`)."""
    return read_refset_file(path).pairs
