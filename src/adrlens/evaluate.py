"""Evaluation against reference sets of drug-outcome pairs, in the style of OHDSI MethodEvaluation.

`evaluate(refset)` asks the answer function about every (drug, condition) pair of a reference set with
known truth (1 = the drug causes the condition, 0 = negative control) and reports, per evidence source
and for the combined verdict score:

* coverage: pairs whose drug and condition resolved, and pairs with data for that source;
* the AUC (Mann-Whitney, ties count one half) on the covered pairs, with a stratified percentile
  bootstrap 95% CI, and how many pairs were excluded for want of a score;
* sensitivity and specificity at the grade cut-offs of `adrlens.model.GRADES` (combined verdict) and at
  each source's natural signal threshold.

Scores come from `Answer.evidence` through one function, `source_scores`, which documents the data keys
it reads. Nothing here computes evidence: it only scores answers.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata

from adrlens.errors import AdrlensError, DataNotFoundError, ResolutionError, StoreError
from adrlens.jsonsafe import finite
from adrlens.model import GRADES, Answer, Evidence, ReportData

AnswerFn = Callable[[str, str], Answer]
Progress = Callable[[str, int, int], None]

COMBINED = "combined"
# Grade cut-offs: a pair is called positive when its grade is at or above the cut-off in GRADES order.
CUTOFFS: tuple[str, ...] = ("established", "probable", "possible")
# Grades that are calls of "no association" (everything below 'possible', including the inverse one).
_GRADE_RANK = {g: i for i, g in enumerate(GRADES)}

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


# -- reading reference sets -----------------------------------------------------------------------------
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
    raise AdrlensError(f"{path}, line {line}: truth must be 1 or 0, not {value[:40]!r}. Fix the reference set.")


def _csv_text(p: Path) -> str:
    """The file as text: UTF-8 (with or without a BOM) or UTF-16 with a BOM (a spreadsheet's "Unicode text");
    anything else is refused with how to fix it, not a UnicodeDecodeError traceback."""
    raw = p.read_bytes()
    try:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return raw.decode("utf-16")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise AdrlensError(
            f"{p} is not UTF-8 text (byte {e.object[e.start]:#04x} at offset {e.start}): save it as UTF-8 CSV."
        ) from None


def read_refset(path: str | Path) -> list[tuple[str, str, int]]:
    """A reference set CSV -> [(drug, condition, truth)], in file order.

    Accepts columns drug, condition, truth or the OMOP-style exposureName, outcomeName, groundTruth
    (case-insensitive); OMOP outcome names are reduced to plain condition names. Blank lines are skipped;
    a row with a missing drug or condition or a truth other than 1/0 is an error naming the line."""
    p = Path(path)
    if not p.is_file():
        raise DataNotFoundError(f"reference set {p} not found. Give a CSV with columns drug, condition, truth.")
    with io.StringIO(_csv_text(p), newline="") as fh:
        reader = csv.DictReader(fh)
        header = {(h or "").strip().lower(): h for h in (reader.fieldnames or [])}
        cols = next((c for c in _COLUMN_SETS if all(x in header for x in c)), None)
        if cols is None:
            raise AdrlensError(
                f"{p}: no drug/condition/truth columns (found {', '.join(map(repr, header))[:200] or 'none'}). Use "
                "columns "
                "drug, condition, truth or the OMOP names exposureName, outcomeName, groundTruth."
            )
        omop = cols[0] == "exposurename"
        d_col, c_col, t_col = (header[c] for c in cols)
        out: list[tuple[str, str, int]] = []
        for line, row in enumerate(reader, start=2):
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            drug = " ".join((row.get(d_col) or "").split())
            cond = " ".join((row.get(c_col) or "").split())
            if not drug or not cond:
                raise AdrlensError(f"{p}, line {line}: drug or condition is empty. Fix the reference set.")
            if omop:
                drug, cond = drug.lower(), _clean_outcome(cond)
            out.append((drug, cond, _truth(row.get(t_col) or "", p, line)))
    if not out:
        raise AdrlensError(f"{p}: the reference set has no pairs.")
    return out


# -- AUC ------------------------------------------------------------------------------------------------
def _split(scores: Sequence[float] | np.ndarray, truth: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    t = np.asarray(truth)
    if s.shape != t.shape or s.ndim != 1:
        raise AdrlensError(f"scores and truth must be 1-d of the same length, got {s.shape} and {t.shape}")
    if np.isnan(s).any():
        raise AdrlensError("scores contain NaN: drop pairs without a score before computing the AUC")
    if not np.isin(t, (0, 1)).all():
        raise AdrlensError("truth must be 0 or 1")
    return s[t == 1], s[t == 0]


def auc(scores: Sequence[float] | np.ndarray, truth: Sequence[int] | np.ndarray) -> float:
    """Area under the ROC curve = P(score of a positive > score of a negative), ties counting one half.

    Computed from ranks (Mann-Whitney U / (n1 * n0)). NaN when either class is empty."""
    pos, neg = _split(scores, truth)
    n1, n0 = len(pos), len(neg)
    if n1 == 0 or n0 == 0:
        return math.nan
    ranks = rankdata(np.concatenate([pos, neg]))  # average ranks: ties give one half
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2
    return float(u / (n1 * n0))


def bootstrap_auc(
    scores: Sequence[float] | np.ndarray,
    truth: Sequence[int] | np.ndarray,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap CI of the AUC, resampling positives and negatives separately (stratified, so
    every resample has both classes). Vectorised: all resamples are ranked at once, in chunks to bound
    memory. Deterministic for a seed. (NaN, NaN) when either class is empty."""
    pos, neg = _split(scores, truth)
    n1, n0 = len(pos), len(neg)
    if n1 == 0 or n0 == 0 or n_boot < 1:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    n = n1 + n0
    chunk = max(1, min(n_boot, 2_000_000 // n))  # ~16 MB of float64 per chunk
    aucs = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        k = min(chunk, n_boot - start)
        sample = np.concatenate([pos[rng.integers(0, n1, (k, n1))], neg[rng.integers(0, n0, (k, n0))]], axis=1)
        ranks = rankdata(sample, axis=1)
        aucs[start : start + k] = (ranks[:, :n1].sum(axis=1) - n1 * (n1 + 1) / 2) / (n1 * n0)
    alpha = (1 - level) / 2
    lo, hi = np.quantile(aucs, [alpha, 1 - alpha])
    return float(lo), float(hi)


# -- sensitivity / specificity --------------------------------------------------------------------------
def _rates(called: Sequence[bool], truth: Sequence[int]) -> dict[str, Any]:
    c = np.asarray(called, dtype=bool)
    t = np.asarray(truth, dtype=int)
    n_pos, n_neg = int((t == 1).sum()), int((t == 0).sum())
    tp, tn = int((c & (t == 1)).sum()), int((~c & (t == 0)).sum())
    return {
        "sensitivity": tp / n_pos if n_pos else None,
        "specificity": tn / n_neg if n_neg else None,
        "n": len(t),
        "tp": tp,
        "fp": n_neg - tn,
        "tn": tn,
        "fn": n_pos - tp,
    }


def grade_sens_spec(grades: Sequence[str], truth: Sequence[int]) -> dict[str, dict[str, Any]]:
    """Sensitivity and specificity when 'grade >= cut-off' (GRADES order) is the call, per cut-off.

    'possible inverse association', 'not supported' and 'insufficient evidence' are negative calls at every
    cut-off. Keys: '>= established', '>= probable', '>= possible'."""
    unknown = sorted({g for g in grades if g not in _GRADE_RANK})
    if unknown:
        raise AdrlensError(f"unknown grade(s) {', '.join(map(repr, unknown))}; expected one of {', '.join(GRADES)}")
    ranks = [_GRADE_RANK[g] for g in grades]
    return {f">= {cut}": _rates([r <= _GRADE_RANK[cut] for r in ranks], truth) for cut in CUTOFFS}


# -- scores from an answer ------------------------------------------------------------------------------
def _log(x: Any, base: float = math.e) -> float | None:
    v = finite(x)
    return math.log(v, base) if v is not None and v > 0 else None


def _scored_cells(e: Evidence) -> list[dict[str, Any]]:
    """A count-table record's counted cells with a defined ROR lower bound (what the count-table score reads)."""
    return [c for c in e.data.rows if c.get("status", "counted") == "counted" and finite(c.get("ror_lo")) is not None]


def _reports_score(data: ReportData) -> float | None:
    """IC025 (log2 scale); else log2 EB05; else log2 of the ROR's lower 95% bound. All three are > 0 exactly
    when the measure's lower bound signals, so a fallback within one source keeps the same threshold."""
    for v in (finite(data.ic025), _log(data.eb05, 2), _log(data.ror_lo, 2)):
        if v is not None:
            return v
    # 0 reports: no estimate exists (none is shown or used), so the pair is not scored for this source.
    return None


def source_scores(answer: Answer) -> dict[str, float | None]:
    """The score each evidence source gives one answer; None = the source has no data for the pair.

    Reads `answer.evidence` (see adrlens.model.Evidence) and `answer.verdict`:

    * 'label': 1.0 if any kind 'label' evidence has direction 'supports', else 0.0. Covered only when some
      label evidence knows the drug (`LabelData.drug_known`); no label evidence -> None.
    * 'label:narrow': as 'label', counting only listings of a narrow term of the condition
      (`LabelData.listed_narrow_pts` non-empty).
    * 'literature': the number of supporting literature records, summed over kind 'literature' evidence
      with direction 'supports' (`LiteratureData.n_records`); 0.0 when literature evidence exists but
      none supports; None when there is no literature evidence or it does not know the drug.
    * 'reports:<source>': kind 'reports' evidence of the narrow term set (`ReportData.scope` 'narrow'),
      named by `ReportData.source_name`: IC025, else log2 EB05, else log2
      ROR lower bound (`_reports_score`); the highest when a source appears twice. Evidence of the broad
      term set scores as 'reports:<source>:broad'. None when none of those numbers is defined (for
      example 'not_available' evidence for a drug the source does not have).
    * 'count_table': the highest natural log of the ROR lower bound over the published count-table cells
      of kind 'count_table' evidence (`CountTableData.rows`, each with status 'counted' and `ror_lo`).
      Supporting records' cells are used when any record
      supports, else all. None without a defined ror_lo.
    * 'combined': `answer.verdict.score`.
    """
    out: dict[str, float | None] = {}

    labels = answer.evidence_by_kind("label")
    if labels and any(e.data.drug_known for e in labels):
        out["label"] = 1.0 if any(e.direction == "supports" for e in labels) else 0.0
        # Listed with one of the condition's narrow terms (a broad-only listing is a weaker claim).
        narrow = any(e.direction == "supports" and e.data.listed_narrow_pts for e in labels)
        out["label:narrow"] = 1.0 if narrow else 0.0
    else:
        out["label"] = out["label:narrow"] = None

    lit = answer.evidence_by_kind("literature")
    if lit and any(e.data.drug_known for e in lit):
        out["literature"] = float(sum(e.data.n_records for e in lit if e.direction == "supports"))
    else:
        out["literature"] = None

    for e in answer.evidence_by_kind("reports"):
        name = f"reports:{e.data.source_name}"
        if e.data.scope == "broad":
            name += ":broad"
        v = _reports_score(e.data)
        prev = out.get(name)
        out[name] = v if prev is None else (prev if v is None else max(prev, v))

    tables = answer.evidence_by_kind("count_table")
    pool = [e for e in tables if e.direction == "supports"] or tables
    vals = [_log(c["ror_lo"]) for e in pool for c in _scored_cells(e)]
    out["count_table"] = max((v for v in vals if v is not None), default=None)

    out[COMBINED] = finite(answer.verdict.score)
    return out


RULE_CALL = "signal by the one rule (adrlens.signals.rules)"


def source_calls(answer: Answer) -> dict[str, bool]:
    """Report sources and count tables call a pair by the one signal rule (each record's direction comes from
    `adrlens.signals.rules.call`), named as in `source_scores`."""
    out: dict[str, bool] = {}
    for e in answer.evidence_by_kind("reports"):
        if e.direction == "not_available":
            continue
        name = f"reports:{e.data.source_name}" + (":broad" if e.data.scope == "broad" else "")
        out[name] = out.get(name, False) or e.data.signal
    # The same pairs as the count-table score: those with a counted cell whose ROR interval is defined.
    tables = [e for e in answer.evidence_by_kind("count_table") if _scored_cells(e)]
    if tables:
        out["count_table"] = any(e.direction == "supports" for e in tables)
    return out


# The call each source's score makes at its natural threshold, for sensitivity/specificity (report sources
# and count tables use the one signal rule instead: `source_calls`).
def _threshold(source: str) -> tuple[str, Callable[[float], bool]] | None:
    if source in ("label", "label:narrow"):
        return "listed on a label", lambda s: s >= 1
    if source == "literature":
        return ">= 1 supporting record", lambda s: s >= 1
    if source.startswith("reports:"):
        return "lower bound > 0 (IC025 > 0)", lambda s: s > 0
    if source == "count_table":
        return "ROR lower bound > 1", lambda s: s > 0
    return None


# -- the report -----------------------------------------------------------------------------------------
@dataclass
class SourceResult:
    name: str
    n_pairs: int  # pairs in the reference set
    n_covered: int  # pairs with a score from this source (AUC is computed on these)
    n_pos: int  # covered positives
    n_neg: int  # covered negatives
    auc: float | None
    auc_lo: float | None
    auc_hi: float | None
    sens_spec: dict[str, dict[str, Any]] = field(default_factory=dict)  # cut-off -> {sensitivity, specificity, n}

    @property
    def n_excluded(self) -> int:
        return self.n_pairs - self.n_covered


@dataclass
class EvaluationReport:
    refset: str
    n_pairs: int
    n_resolved: int
    unresolved: list[dict[str, Any]]  # {drug, condition, truth, reason, candidates}
    sources: list[SourceResult]
    per_pair: list[dict[str, Any]]  # {drug, condition, truth, resolved, grade, scores}
    n_boot: int = 2000
    seed: int = 0
    # Calibration: per grade (GRADES order) {grade, pairs, positives, share_positive}
    calibration: list[dict[str, Any]] = field(default_factory=list)

    def source(self, name: str) -> SourceResult | None:
        return next((s for s in self.sources if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        from adrlens.jsonsafe import json_safe

        d = asdict(self)
        for s, sd in zip(self.sources, d["sources"], strict=True):
            sd["n_excluded"] = s.n_excluded
        return json_safe(d)

    def to_markdown(self) -> str:
        """The evaluation as Markdown tables (for the README): coverage and AUC per source, then the
        verdict's sensitivity and specificity at each grade cut-off."""

        def f(x: float | None, nd: int = 2) -> str:
            return "n/a" if x is None else f"{x:.{nd}f}"

        n_pos = sum(p["truth"] for p in self.per_pair)
        lines = [
            f"**{self.refset}**: {self.n_pairs} pairs ({n_pos} positive, {self.n_pairs - n_pos} negative); "
            f"{self.n_resolved} resolved. AUC on the pairs each source covers, 95% CI from a stratified "
            f"bootstrap ({self.n_boot} resamples, seed {self.seed}).",
            "",
            "| Source | Pairs with data | Positives / negatives | Excluded | AUC (95% CI) |",
            "|---|---:|---:|---:|---|",
        ]
        for s in self.sources:
            a = "n/a" if s.auc is None else f"{s.auc:.2f} ({f(s.auc_lo)}-{f(s.auc_hi)})"
            lines.append(f"| {s.name} | {s.n_covered} / {s.n_pairs} | {s.n_pos} / {s.n_neg} | {s.n_excluded} | {a} |")
        lines += [
            "",
            "| Source | Call | Sensitivity | Specificity | TP | FP | TN | FN |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for s in self.sources:
            for cut, r in s.sens_spec.items():
                lines.append(
                    f"| {s.name} | {cut} | {f(r['sensitivity'])} | {f(r['specificity'])} | "
                    f"{r['tp']} | {r['fp']} | {r['tn']} | {r['fn']} |"
                )
        if self.calibration:
            lines += [
                "",
                "Calibration: the share of positives among the pairs given each grade.",
                "",
                "| Grade | Pairs | Positives | Share positive |",
                "|---|---:|---:|---:|",
            ]
            for c in self.calibration:
                lines.append(f"| {c['grade']} | {c['pairs']} | {c['positives']} | {f(c['share_positive'])} |")
        if self.unresolved:
            lines += ["", f"Not resolved ({len(self.unresolved)}):"]
            lines += [f"- {u['drug']} / {u['condition']}: {u['reason']}" for u in self.unresolved]
        return "\n".join(lines) + "\n"


def calibration(grades: Sequence[str], truth: Sequence[int]) -> list[dict[str, Any]]:
    """The share of positives per grade, strongest grade first (a well-calibrated verdict falls along it)."""
    out = []
    for g in GRADES:
        t = [tr for gr, tr in zip(grades, truth, strict=True) if gr == g]
        out.append({"grade": g, "pairs": len(t), "positives": sum(t), "share_positive": sum(t) / len(t) if t else None})
    return out


def _default_answer_fn(store: str | Path | None) -> AnswerFn:
    from adrlens.engine import answer_pair  # the engine loads the store and vocabularies: only when used

    def fn(drug: str, condition: str) -> Answer:
        return answer_pair(drug, condition, store=store)

    return fn


def _source_result(
    name: str,
    rows: list[tuple[float, int]],
    n_pairs: int,
    n_boot: int,
    seed: int,
    calls: list[tuple[bool, int]] | None = None,
) -> SourceResult:
    s = np.array([r[0] for r in rows], dtype=float)
    t = np.array([r[1] for r in rows], dtype=int)
    n_pos, n_neg = int(t.sum()), int(len(t) - t.sum())
    a = lo = hi = None
    if n_pos and n_neg:
        a = auc(s, t)
        lo, hi = bootstrap_auc(s, t, n_boot=n_boot, seed=seed)
    th = _threshold(name)
    if calls:
        ss = {RULE_CALL: _rates([c for c, _ in calls], [tr for _, tr in calls])}
    else:
        ss = {th[0]: _rates([th[1](x) for x in s], t)} if th and len(t) else {}
    return SourceResult(name, n_pairs, len(rows), n_pos, n_neg, a, lo, hi, ss)


def evaluate(
    refset_path: str | Path,
    answer_fn: AnswerFn | None = None,
    store: str | Path | None = None,
    n_boot: int = 2000,
    progress: Progress | None = None,
    seed: int = 0,
) -> EvaluationReport:
    """Answer every pair of a reference set and score the answers per evidence source.

    `answer_fn(drug, condition) -> Answer` defaults to `adrlens.engine.answer_pair(..., store=store)`.
    A ResolutionError for a pair counts it as unresolved (with the reason); another AdrlensError for one
    pair is recorded the same way (reason prefixed 'error:'), except store and data errors, which stop the
    run because every other pair would fail too. `progress(message, done, total)` is called per pair."""
    pairs = read_refset(refset_path)
    fn = answer_fn or _default_answer_fn(store)
    unresolved: list[dict[str, Any]] = []
    per_pair: list[dict[str, Any]] = []
    by_source: dict[str, list[tuple[float, int]]] = {}
    by_call: dict[str, list[tuple[bool, int]]] = {}
    grades: list[tuple[str, int]] = []
    for i, (drug, cond, truth) in enumerate(pairs):
        if progress:
            progress(f"{drug} / {cond}", i, len(pairs))
        row: dict[str, Any] = {"drug": drug, "condition": cond, "truth": truth}
        try:
            ans = fn(drug, cond)
        except (StoreError, DataNotFoundError):
            raise
        except ResolutionError as exc:
            unresolved.append({**row, "reason": str(exc), "candidates": list(exc.candidates)})
            per_pair.append({**row, "resolved": False, "grade": None, "scores": {}})
            continue
        except AdrlensError as exc:
            unresolved.append({**row, "reason": f"error: {exc}", "candidates": []})
            per_pair.append({**row, "resolved": False, "grade": None, "scores": {}})
            continue
        scores = source_scores(ans)
        for name, v in scores.items():
            if v is not None:
                by_source.setdefault(name, []).append((v, truth))
        for name, called in source_calls(ans).items():
            by_call.setdefault(name, []).append((called, truth))
        grades.append((ans.verdict.grade, truth))
        per_pair.append(
            {
                **row,
                "resolved": True,
                "resolved_drug": ans.drug.name,
                "resolved_condition": ans.condition.label,
                "grade": ans.verdict.grade,
                "scores": scores,
            }
        )
    if progress:
        progress("scoring", len(pairs), len(pairs))

    # Fixed sources first (even when empty, so a missing source shows as 0 covered), reports by name.
    names = [COMBINED, "label", "label:narrow", "literature", "count_table"]
    names += sorted(n for n in by_source if n not in names)
    results = [_source_result(n, by_source.get(n, []), len(pairs), n_boot, seed, by_call.get(n)) for n in names]
    combined = results[0]
    if grades:
        combined.sens_spec = grade_sens_spec([g for g, _ in grades], [t for _, t in grades])
    return EvaluationReport(
        refset=Path(refset_path).name,
        n_pairs=len(pairs),
        n_resolved=len(pairs) - len(unresolved),
        unresolved=unresolved,
        sources=results,
        per_pair=per_pair,
        n_boot=n_boot,
        seed=seed,
        calibration=calibration([g for g, _ in grades], [t for _, t in grades]),
    )
