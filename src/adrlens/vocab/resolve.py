"""User words -> a drug (ingredient or vaccine product group) and a condition (concept or lone PT).

Raises ResolutionError with candidate suggestions when nothing fits, and when a query is ambiguous
(two readings score within a hair of each other, or a brand names a combination of ingredients) so
the caller can offer the choices.

Both vocabularies are loaded once per process (per data folder): loading them costs ~1.5 s cold, a
resolution then costs milliseconds (tens of ms when a misspelling needs the fuzzy matcher).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from adrlens import config
from adrlens.errors import ResolutionError
from adrlens.vocab.drugs import DrugMatch

if TYPE_CHECKING:
    from adrlens.vocab.conditions import ConditionVocabulary
    from adrlens.vocab.drugs import DrugVocabulary

# Drug readings below this score are not trusted (fuzzy scores are 0.95 x spelling similarity, so a
# misspelling must be >= ~84% similar to a known name, and pass `plausible_misspelling` too).
DRUG_MIN_SCORE = 0.8
# Two fuzzy drug readings closer than this are a coin toss: ask instead of guessing.
DRUG_FUZZY_MARGIN = 0.02
# Fuzzy condition readings below this (0.8 x trigram Dice) are noise: "loss" is not "Taste disturbance".
CONDITION_FUZZY_MIN = 0.5
CONDITION_FUZZY_MARGIN = 0.02

# User words quoted in a message are cut to this many characters: a pasted page must not come back whole.
ECHO_CHARS = 80


def quoted(text: str, limit: int = ECHO_CHARS) -> str:
    """text as a message quotes it: printable characters only (no control, bidi or zero-width characters reach
    the terminal), whitespace collapsed, cut to `limit` characters (with an ellipsis), in quotes."""
    t = " ".join("".join(c for c in str(text) if c.isprintable() or c.isspace()).split())
    return repr(t if len(t) <= limit else t[: limit - 1] + "…")


_LOCK = threading.Lock()
_CONDITION_VOCABS: dict[str, ConditionVocabulary] = {}
_MEMO_LIMIT = 4096
_DRUG_MEMO: dict[str, ResolvedDrug] = {}
_COND_MEMO: dict[tuple[str, str], ResolvedCondition] = {}


@dataclass(frozen=True)
class ResolvedDrug:
    name: str  # ingredient or vaccine product group, lower-case
    kind: str  # 'drug' | 'vaccine'
    matched: str
    method: str  # 'exact' | 'salt' | 'brand' | 'synonym' | 'fuzzy' | 'vaccine vocabulary' | ...
    score: float = 1.0  # 1.0 exact .. ~0.8 for a doubtful misspelling
    also: tuple[str, ...] = ()  # vaccines: other product groups the words name (combination vaccines)


@dataclass(frozen=True)
class ResolvedCondition:
    label: str  # what to show: concept name or PT
    concept_id: str | None
    pts: tuple[str, ...]  # lower-case PTs counted as the event
    narrow: tuple[str, ...]
    broad: tuple[str, ...]
    matched: str
    method: str  # 'concept' | 'synonym' | 'pt' | 'llt' | 'hpo_lay' | 'hpo' | 'do' | 'label' | 'fuzzy'
    score: float = 1.0
    via_pt: str | None = None  # the PT that led to the concept ("tingling" -> paraesthesia), if any


def drug_vocabulary() -> DrugVocabulary:
    """The drug vocabulary of the configured data folder (DrugVocabulary caches it per process)."""
    from adrlens.vocab.drugs import DrugVocabulary

    return DrugVocabulary.load()


def condition_vocabulary() -> ConditionVocabulary:
    """The condition vocabulary of the configured data folder, loaded once per process."""
    from adrlens.vocab.conditions import ConditionVocabulary

    key = str(config.data_dir())
    with _LOCK:
        vocab = _CONDITION_VOCABS.get(key)
        if vocab is None:
            vocab = ConditionVocabulary.load()
            _CONDITION_VOCABS[key] = vocab
        return vocab


def _remember(memo: dict, key: object, value: object) -> None:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value


# ---------------------------------------------------------------------------------------------------------
# Drugs


def visible(text: str) -> str:
    """Text without invisible format characters (category Cf: bidi overrides, zero-width spaces, byte-order
    marks), which copied text carries: "amlodipine" after a right-to-left override is still amlodipine."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf") if not text.isascii() else text


def resolve_drug(text: str) -> ResolvedDrug:
    """A drug or vaccine name (brand, generic, salt, misspelling, "the flu shot") -> one ingredient/group."""
    q = " ".join(visible(str(text or "")).split())
    if not q:
        raise ResolutionError("no drug given. Name a medicine or vaccine (for example Norvasc or amlodipine).")
    hit = _DRUG_MEMO.get(q)
    if hit is None:
        hit = _resolve_drug(q)
        _remember(_DRUG_MEMO, q, hit)
    return hit


def _resolve_drug(q: str) -> ResolvedDrug:
    from adrlens.vocab.vaccines import resolve_vaccine

    vax = resolve_vaccine(q)
    if vax:
        return ResolvedDrug(vax[0], "vaccine", q, "vaccine vocabulary", 1.0, tuple(vax[1:]))
    vocab = drug_vocabulary()
    matches = vocab.resolve(q)
    named = [m for m in matches if m.method != "fuzzy" and m.score >= DRUG_MIN_SCORE]
    if not named:
        _refuse_class(q)
        combo = _hyphen_combination(q)
        if combo:
            named = [DrugMatch(i, q, "split", 0.9) for i in combo]
    if named:
        top = named[0]
        # One name, several ingredients: a combination product (Lotrel = amlodipine + benazepril).
        combo = [m.ingredient for m in named if m.method == top.method and m.matched == top.matched]
        if len(combo) > 1:
            raise ResolutionError(
                f"{quoted(q)} names several ingredients ({', '.join(combo)}); the reports are counted per "
                f"ingredient, so ask about one of them (for example: Can {combo[0]} cause headache?).",
                candidates=combo,
                kind=ResolutionError.AMBIGUOUS,
            )
        return ResolvedDrug(top.ingredient, "drug", top.matched, top.method, top.score)
    fuzzy = [m for m in matches if m.method == "fuzzy" and plausible_misspelling(q, m.matched)]
    good = [m for m in fuzzy if m.score >= DRUG_MIN_SCORE]
    if good:
        top = good[0]
        close = [m for m in good if top.score - m.score < DRUG_FUZZY_MARGIN]
        if len({m.ingredient for m in close}) == 1:
            return ResolvedDrug(top.ingredient, "drug", top.matched, top.method, top.score)
        # Two spellings of different drugs are equally close: a coin toss is no answer.
        shown = ", ".join(f"{m.matched} ({m.ingredient})" if m.matched != m.ingredient else m.ingredient for m in close)
        raise ResolutionError(
            f"unknown drug {quoted(q)}: it is spelt like {shown}, and no one of them is clearly meant. "
            "Check the spelling, or give the generic name (for example amlodipine).",
            candidates=list(dict.fromkeys(m.ingredient for m in close)),
            kind=ResolutionError.AMBIGUOUS,
        )
    raise ResolutionError(
        f"unknown drug {quoted(q)}. Give a brand or generic name (for example Norvasc or amlodipine) "
        "or a vaccine (for example flu vaccine)."
        + (f" Did you mean: {', '.join(sugg)}?" if (sugg := drug_suggestions(q)) else ""),
        candidates=drug_suggestions(q),
        kind=ResolutionError.UNKNOWN,
    )


def plausible_misspelling(query: str, name: str) -> bool:
    """True when `name` is close enough to `query` to be its misspelling, not merely a similar word.

    Three rules, by length: the edit distance (a swap of two neighbouring letters counts once) may be
    at most 1 for words of 5 to 8 letters, 2 up to 12 and 3 beyond (none below 5); the two must begin
    with the same two letters or share a whole word of 4+ letters that is no dose-form word ("ganciclovir
    injection" is no misspelling of "aciclovir injection"); and the query must not be a known word part."""
    from rapidfuzz.distance import OSA

    from adrlens.vocab.drugs import _FORM_WORDS, clean_name

    a, b = clean_name(query), clean_name(name)
    n = len(a)
    allowed = 0 if n < 5 else 1 if n <= 8 else 2 if n <= 12 else 3
    if OSA.distance(a, b) > allowed:
        return False
    if a[:2] == b[:2]:
        return True
    shared = {w for w in a.split() if len(w) >= 4 and w not in _FORM_WORDS} & set(b.split())
    return bool(shared)


def _refuse_class(q: str) -> None:
    """A class name ("statins", "ACE inhibitors") is no drug: say so and name some of its drugs."""
    from adrlens.vocab.drug_classes import find_class

    c = find_class(q)
    if c is None:
        return
    shown = ", ".join(c.members[:6]) + (f" and {len(c.members) - 6} more" if len(c.members) > 6 else "")
    raise ResolutionError(
        f"{quoted(q)} is a drug class ({c.name}, {c.source}), not one drug: its drugs include {shown}. "
        f"Which one do you mean? Ask, for example: Can {c.members[0]} cause headache?",
        candidates=list(c.members[:10]),
        kind=ResolutionError.AMBIGUOUS,
    )


def _hyphen_combination(q: str) -> tuple[str, ...]:
    """ "Antipyrine-Benzocaine Otic": a combination written with hyphens, read by the package's drug namer."""
    from adrlens.vocab.names import default_namer

    if "-" not in q.strip("-"):
        return ()
    ings, mapped = default_namer()(q)
    return tuple(ings) if mapped and len(ings) > 1 else ()


def drug_suggestions(text: str, limit: int = 5) -> list[str]:
    """Known drug and vaccine names loosely similar to text (for "did you mean"), as ingredients/groups."""
    from rapidfuzz import fuzz, process

    from adrlens.vocab.vaccines import all_vaccine_names

    key = " ".join(str(text).lower().split())
    if len(key) < 3:
        return []
    vocab = drug_vocabulary()
    # The vocabulary's own list of short, letters-only ingredient and brand names (no chemical names);
    # its public resolve() only offers matches >= 80% similar, too strict for "did you mean".
    choices = vocab._fuzzy_choices()
    out: list[str] = []
    for name, _score, _ in process.extract(key, choices, scorer=fuzz.ratio, limit=limit * 3, score_cutoff=60):
        ing = vocab.canonical(name)
        if ing and ing not in out:
            out.append(ing)
    vax_names = {s.lower(): g for g, syns in all_vaccine_names().items() for s in (g, *syns)}
    for name, _score, _ in process.extract(key, list(vax_names), scorer=fuzz.ratio, limit=3, score_cutoff=70):
        if vax_names[name] not in out:
            out.append(vax_names[name])
    return out[:limit]


# ---------------------------------------------------------------------------------------------------------
# Conditions


def resolve_condition(text: str, scope: str = "narrow") -> ResolvedCondition:
    """Condition words (medical or lay: "pins and needles", "heart attack") -> a concept or a lone PT."""
    if scope not in ("narrow", "broad"):
        raise ResolutionError(f"unknown scope {quoted(scope)}; use 'narrow' or 'broad'.")
    q = " ".join(str(text or "").split())
    if not q:
        raise ResolutionError("no condition given. Name a side effect (for example tingling or hair loss).")
    key = (q.lower(), scope)
    hit = _COND_MEMO.get(key)
    if hit is None:
        hit = _resolve_condition(q, scope)
        _remember(_COND_MEMO, key, hit)
    return hit


def _resolve_condition(q: str, scope: str) -> ResolvedCondition:
    from adrlens.vocab.conditions import is_ambiguous

    vocab = condition_vocabulary()
    matches = vocab.resolve(q, limit=8)
    if matches and matches[0].method == "fuzzy":
        if matches[0].score < CONDITION_FUZZY_MIN:
            raise ResolutionError(
                f"unknown condition {quoted(q)}. Try a medical term (peripheral neuropathy) or a symptom (tingling).",
                candidates=list(dict.fromkeys([*condition_suggestions(q), *(m.label for m in matches)]))[:6],
                kind=ResolutionError.UNKNOWN,
            )
        close = [m for m in matches if matches[0].score - m.score < CONDITION_FUZZY_MARGIN]
        if len({m.label for m in close}) > 1:
            raise ResolutionError(
                f"{quoted(q)} is ambiguous: it is spelt like {', '.join(dict.fromkeys(m.label for m in close))}; "
                "say which one you mean.",
                candidates=list(dict.fromkeys(m.label for m in close)),
                kind=ResolutionError.AMBIGUOUS,
            )
    if not matches:
        raise ResolutionError(
            f"unknown condition {quoted(q)}. Try a medical term (peripheral neuropathy) or a symptom (tingling).",
            candidates=condition_suggestions(q),
            kind=ResolutionError.UNKNOWN,
        )
    if is_ambiguous(matches) and matches[0].label != matches[1].label:
        tied = [m.label for m in matches if matches[0].score - m.score <= 0.015]
        raise ResolutionError(
            f"{quoted(q)} is ambiguous: it could mean {', '.join(dict.fromkeys(tied))}; say which one "
            "(for example: gastrointestinal bleeding).",
            candidates=list(dict.fromkeys(m.label for m in matches)),
            kind=ResolutionError.AMBIGUOUS,
        )
    m = matches[0]
    if m.concept is not None:
        c = m.concept
        via = m.pt
        if via is None:
            # A synonym hit ("tingling") still has a PT behind it when another reading went through one.
            via = next((x.pt for x in matches[1:] if x.pt and x.pt in c.pts("broad") and x.method != "fuzzy"), None)
        return ResolvedCondition(
            c.name, c.id, c.pts(scope), c.pts("narrow"), c.pts("broad"), m.matched, m.method, m.score, via
        )
    pt = (m.pt or m.matched).lower()
    return ResolvedCondition(pt, None, (pt,), (pt,), (pt,), m.matched, m.method, m.score, pt)


def describe_condition(c: ResolvedCondition) -> dict | None:
    """What a resolved condition is (definition, sources, ontology facts), or None when nothing describes it."""
    v = condition_vocabulary()
    try:
        return v.describe(v.concept(c.concept_id) if c.concept_id else c.label)
    except Exception:  # a PT with no description is not an error for an answer or a page
        return None


def condition_suggestions(text: str, limit: int = 5) -> list[str]:
    """Catalogue concepts loosely similar to text (for "did you mean")."""
    from rapidfuzz import fuzz, process

    key = " ".join(str(text).lower().split())
    if len(key) < 3:
        return []
    names: dict[str, str] = {}
    for c in condition_vocabulary().concepts():
        for s in (c.name, *c.synonyms):
            names.setdefault(re.sub(r"\s+", " ", s.lower()), c.name)
    out: list[str] = []
    for name, _score, _ in process.extract(key, list(names), scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=70):
        if names[name] not in out:
            out.append(names[name])
    return out[:limit]
