"""User words -> a drug (ingredient or vaccine product group) and a condition (concept or lone PT).

Raises ResolutionError with candidate suggestions when nothing fits, and when a query is ambiguous
(two readings score within a hair of each other) so the caller can offer the choices.
"""

from __future__ import annotations

from dataclasses import dataclass

from adrlens.errors import ResolutionError


@dataclass(frozen=True)
class ResolvedDrug:
    name: str  # ingredient or vaccine product group, lower-case
    kind: str  # 'drug' | 'vaccine'
    matched: str
    method: str


@dataclass(frozen=True)
class ResolvedCondition:
    label: str  # what to show: concept name or PT
    concept_id: str | None
    pts: tuple[str, ...]  # lower-case PTs counted as the event
    narrow: tuple[str, ...]
    broad: tuple[str, ...]
    matched: str
    method: str


def resolve_drug(text: str) -> ResolvedDrug:
    from adrlens.vocab.vaccines import resolve_vaccine

    q = text.strip()
    if not q:
        raise ResolutionError("no drug given")
    vax = resolve_vaccine(q)
    if vax:
        return ResolvedDrug(vax[0], "vaccine", q, "vaccine vocabulary")
    from adrlens.vocab.drugs import DrugVocabulary

    vocab = DrugVocabulary.load()
    matches = vocab.resolve(q)
    if matches and matches[0].score >= 0.8:
        m = matches[0]
        return ResolvedDrug(m.ingredient, "drug", m.matched, m.method)
    raise ResolutionError(
        f"unknown drug {text!r}. Give a brand or generic name (for example Norvasc or amlodipine).",
        candidates=[m.ingredient for m in matches[:5]],
    )


def resolve_condition(text: str, scope: str = "narrow") -> ResolvedCondition:
    from adrlens.vocab.conditions import ConditionVocabulary, is_ambiguous

    vocab = ConditionVocabulary.load()
    matches = vocab.resolve(text)
    if not matches:
        raise ResolutionError(
            f"unknown condition {text!r}. Try a medical term (peripheral neuropathy) or a symptom (tingling)."
        )
    if is_ambiguous(matches) and matches[0].label != matches[1].label:
        raise ResolutionError(
            f"{text!r} could mean several conditions; say which one.",
            candidates=list(dict.fromkeys(m.label for m in matches)),
        )
    m = matches[0]
    if m.concept is not None:
        c = m.concept
        return ResolvedCondition(c.name, c.id, c.pts(scope), c.pts("narrow"), c.pts("broad"), m.matched, m.method)
    pt = (m.pt or m.matched).lower()
    return ResolvedCondition(pt, None, (pt,), (pt,), (pt,), m.matched, m.method)
