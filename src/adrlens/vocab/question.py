"""Question understanding: "Can Norvasc cause pins and needles?" -> amlodipine + Peripheral neuropathy.

Two steps:

* `parse(text)` finds which words name the drug and which the condition. It knows the usual phrasings
  ("Can X cause Y", "Is Y a side effect of X", "Does X have Y as a side effect", "Y from X", "X and Y")
  and, failing those, tries every split of the words into two parts ("metformin lactic acidosis"),
  keeping the split where both parts resolve with the best combined score.
* `understand(...)` resolves both parts against the drug, vaccine and condition vocabularies and says,
  in `notes`, how each was read ("Norvasc is a brand of amlodipine"), so the answer can show it.

Every failure is a ResolutionError whose message says what to do and whose `candidates` list the
closest drugs or conditions (or the readings of an ambiguous word).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from adrlens.errors import ResolutionError
from adrlens.vocab.resolve import ResolvedCondition, ResolvedDrug, quoted, resolve_condition, resolve_drug

EXAMPLE = "Can amlodipine cause peripheral neuropathy?"
# A question is one sentence: longer text is refused before any matching, whose work grows with its length.
MAX_INPUT_CHARS = 1000


def _prepared(text: str | None, what: str) -> str | None:
    """User text in compatibility-normal form (full-width "ＮＯＲＶＡＳＣ" is "NORVASC"), refused when too long."""
    if not isinstance(text, str):
        return text
    t = unicodedata.normalize("NFKC", text)
    if len(t) > MAX_INPUT_CHARS:
        raise ResolutionError(
            f"{what} is {len(t):,} characters long; adrlens reads at most {MAX_INPUT_CHARS:,}. "
            f"Ask one short question, like: {EXAMPLE}"
        )
    return t


@dataclass(frozen=True)
class Question:
    """A question split into its drug words and condition words."""

    text: str
    drug_text: str
    condition_text: str
    form: str  # which phrasing matched: cause | side_effect_of | has_as_side_effect | caused_by | ...


@dataclass(frozen=True)
class Understood:
    """A question with both parts resolved, and notes on how they were read."""

    question: Question
    drug: ResolvedDrug
    condition: ResolvedCondition
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
# Phrasings. Regexes run on the question with punctuation and filler words removed; they are tried in
# order and the first one whose drug and condition both resolve wins.


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that add nothing to who-causes-what, dropped wherever they occur.
_FILLER = _wordset(
    "really ever actually possibly sometimes also even truly definitely potentially please honestly "
    "perhaps maybe usually commonly generally occasionally"
)
_Q = (
    r"(?:(?:why|how) (?:does|do|can|could|would|did)|can|could|does|do|did|may|might|will|would|should|has|have|"
    r"is it (?:possible|true|likely) (?:that|for))"
)
_VERB = (
    r"(?:cause[sd]?|give[sn]?|gave|lead(?:s)? to|led to|trigger(?:s|ed)?|result(?:s|ed)? in|induce[sd]?|"
    r"bring(?:s)? on|brought on|provoke[sd]?|produce[sd]?|make[s]?|made|"
    r"increase[sd]? (?:the |your )?(?:risk|chance)s? (?:of|for)|raise[sd]? (?:the |your )?(?:risk|chance)s? (?:of|for)|"
    r"be (?:linked|associated|related|connected) (?:to|with)|contribute[sd]? to)(?!\s+by\b)"
)
_WHO = r"(?:(?:you|me|him|her|them|us|people|someone|somebody|anyone|patients|a person)\s+)?"
_GET = r"(?:(?:to\s+)?(?:have|get|develop|experience|suffer from|suffer|feel)\s+)?"
_SE = (
    r"(?:side[- ]?effects?|adverse (?:drug )?(?:effects?|reactions?|events?)|reactions?|complications?|"
    r"risks?|toxicit(?:y|ies))"
)
_ADJ = (
    r"(?:(?:known|common|rare|uncommon|possible|recognised|recognized|documented|listed|real|serious|typical|"
    r"frequent|reported|potential|likely|usual|well[- ]known|established)\s+)*"
)
_ART = r"(?:(?:a|an|the|one of the|one of its|its|their)\s+)?"
_TAKING = r"(?:(?:taking|using|being on|starting|having)\s+)?"

_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx, re.I))
    for name, rx in (
        ("cause", rf"^{_Q}\s+{_TAKING}(?P<drug>.+?)\s+{_VERB}\s+{_WHO}{_GET}(?P<cond>.+)$"),
        (
            "side_effect_of",
            rf"^(?:is|are|was|were|can|could)\s+(?P<cond>.+?)\s+{_ART}{_ADJ}{_SE}\s+"
            rf"(?:of|from|with|to|for|caused by)\s+{_TAKING}(?P<drug>.+)$",
        ),
        (
            "has_as_side_effect",
            rf"^(?:does|do|did|can|could|will|would|is|has)\s+{_TAKING}(?P<drug>.+?)\s+"
            rf"(?:have|has|list|lists|include|includes|carry|carries|mention|mentions)\s+(?P<cond>.+?)\s+"
            rf"(?:as|among)\s+{_ART}{_ADJ}{_SE}$",
        ),
        (
            "caused_by",
            rf"^(?:is|are|was|were|can|could|may|might)\s+(?P<cond>.+?)\s+(?:be\s+)?"
            rf"(?:caused by|a result of|due to|triggered by|induced by|brought on by|linked to|associated with|"
            rf"related to)\s+{_TAKING}(?P<drug>.+)$",
        ),
        ("x_causes_y", rf"^{_TAKING}(?P<drug>.+?)\s+{_VERB}\s+{_WHO}{_GET}(?P<cond>.+)$"),
        (
            "y_from_x",
            rf"^(?:(?:i have|i got|i get|i am getting|i'm getting|getting|having|i've had|i had|"
            rf"(?:can|could|will|would|might|may|do|did) (?:i|you|one|someone|people) "
            rf"(?:get|develop|have|experience|suffer from)|"
            rf"(?:has|have|did|does) (?:anyone|anybody|someone|somebody) (?:else )?"
            rf"(?:had|got|get|have|experienced|experience|developed))\s+)?(?P<cond>.+?)\s+"
            rf"(?:caused by|due to|from|after|because of|while on|while taking|when taking|since starting|"
            rf"since taking|on|with)\s+{_TAKING}(?P<drug>.+)$",
        ),
    )
)
# Forms where the order of drug and condition is not fixed by the words ("is X linked to Y").
_EITHER_ORDER = {"caused_by", "y_from_x"}
# Joiners of the "X and Y" form.
_JOINERS = frozenset({"and", "&", "+", "with", "vs", "versus"})

# Words at the edges of the drug part that are not part of its name.
_DRUG_LEAD = re.compile(
    # Question words lead too: when "Can X cause Y" fails on X, the "X causes Y" reading must not take
    # "Can X" for the drug ("can dermatan" is spelt like the brand "candersatan").
    r"^(?:(?:can|could|does|do|did|will|would|may|might|should|is|are|"
    r"my|the|a|an|your|his|her|their|our|this|that|these|those|some|taking|take|using|use|being on|"
    r"on|starting|too much|a lot of|prescription|generic|daily|regular)\s+)+",
    re.I,
)
_DRUG_TRAIL = re.compile(r"(?:\s+(?:long[- ]term|every day|daily|regularly|for a long time|for years|too))+$", re.I)
# Words at the edges of the condition part.
_COND_LEAD = re.compile(
    r"^(?:(?:a|an|the|my|some|any|to|have|get|develop|developing|experience|cause|causing|of)\s+)+", re.I
)
_COND_TRAIL = re.compile(
    r"(?:\s+(?:as a (?:known |possible |common |rare )?side[- ]?effects?|at all|in some people|later|"
    r"long[- ]term|over time|afterwards|in me|to me|for me))+$",
    re.I,
)
# Who the question is about: kept out of the condition and reported in a note (the counts are not split).
_POPULATION = re.compile(
    r"\s+(?:in|for|among)\s+(?P<who>(?:young |older |elderly |old |pregnant )?(?:children|kids|adults|people|"
    r"patients|the elderly|elderly|women|men|babies|infants|teenagers|teens|pregnancy|seniors|adolescents))$",
    re.I,
)

# A condition part made of these words only names no condition ("what are the side effects of").
_GENERIC_CONDITION_WORDS = _wordset(
    "what which are is the a an any side effect effects adverse reaction reactions problem problems issue issues "
    "risk risks of from with thing things symptom symptoms"
)
# "What are the side effects of X?": a list question, not a drug-condition pair.
_LIST_NOUN = r"(?:side[- ]?effects?|adverse (?:effects?|reactions?)|risks?|dangers?)"
_LIST_QUESTION = re.compile(
    rf"^(?:what|which)\s+(?:are|is)\s+(?:the\s+)?(?:\w+\s+)?{_LIST_NOUN}(?:\s+(?:or|and)\s+{_LIST_NOUN})?"
    r"(?:\s+(?:of|from|with)\s+(?P<drug>.+))?$",
    re.I,
)

# Drug methods that mean the drug words held extra words the vocabulary looked past ("metformin lactic"
# -> metformin by prefix): weaker evidence that a split point is right.
_LOOSE_DRUG_METHODS = frozenset({"prefix", "suffix", "truncated", "paren", "split", "denoise"})
# Longest drug name in words worth trying when splitting ("measles mumps rubella varicella vaccine").
_MAX_DRUG_WORDS = 6


def _clean(text: str) -> str:
    """Punctuation and filler words out, spacing collapsed, case kept ("Norvasc")."""
    t = str(text).replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", " ").replace("\u201d", " ")
    # Sentence punctuation, not "covid-19" or "5.0". Commas stay: they separate the ingredients of a
    # combination ("acetaminophen, butalbital, and caffeine") and the parts of a condition list.
    t = re.sub(r"[?!.;:\"()\[\]]+(?=\s|$)", " ", t)
    t = re.sub(r",+(?=\s|$)", ", ", t)
    t = re.sub(r"(?<=\s)[\"(\[]+|^[\"(\[]+", "", t)
    words = [w for w in t.split() if w.lower() not in _FILLER]
    return " ".join(words).strip(" ?!.,;:'\"")


def _clean_drug(text: str) -> str:
    t = _DRUG_LEAD.sub("", text.strip())
    return _DRUG_TRAIL.sub("", t).strip()


def _clean_condition(text: str) -> tuple[str, str | None]:
    """(condition words, population words or None): "neuropathy in children" -> ("neuropathy", "children")."""
    t = _COND_LEAD.sub("", text.strip())
    who = None
    for _ in range(2):  # "pins and needles in children as a side effect"
        t = _COND_TRAIL.sub("", t).strip()
        m = _POPULATION.search(t)
        if m:
            who, t = m.group("who"), t[: m.start()].strip()
    return t, who


@dataclass
class _Reading:
    """One way of splitting a question, with how well each side resolved."""

    drug_text: str
    cond_text: str
    form: str
    drug: ResolvedDrug | None = None
    cond: ResolvedCondition | None = None
    drug_err: ResolutionError | None = None
    cond_err: ResolutionError | None = None

    @property
    def complete(self) -> bool:
        return self.drug is not None and self.cond is not None

    def score(self, loose: bool) -> float:
        """Combined score; loose=True (split forms) discounts readings that had to look past words."""
        s = 0.0
        if self.drug is not None:
            d = self.drug.score
            s += d * 0.85 if loose and self.drug.method in _LOOSE_DRUG_METHODS else d
        elif self.drug_err is not None and self.drug_err.candidates and "ambiguous" in str(self.drug_err):
            s += 0.3  # an ambiguous word is still a drug word: this split is likely right
        if self.cond is not None:
            c = self.cond.score
            s += c * 0.9 if loose and self.cond.method == "fuzzy" else c
        elif self.cond_err is not None and "ambiguous" in str(self.cond_err):
            s += 0.3
        return s


def _read(drug_text: str, cond_text: str, form: str, lazy: bool = False) -> _Reading | None:
    """Resolve both sides of one split. lazy=True (split search) skips the drug, whose fuzzy matching
    costs ~30 ms, when the condition side is plainly unknown: such a split cannot win."""
    d_txt = _clean_drug(drug_text)
    c_txt, _who = _clean_condition(cond_text)
    if not d_txt or not c_txt:
        return None
    if all(w in _GENERIC_CONDITION_WORDS for w in c_txt.lower().split()):
        return None
    r = _Reading(d_txt, c_txt, form)
    try:
        r.cond = resolve_condition_words(c_txt)
    except ResolutionError as e:
        r.cond_err = e
    if not lazy or r.cond is not None or "ambiguous" in str(r.cond_err):
        _read_drug(r)
    return r


def _read_drug(r: _Reading) -> None:
    if r.drug is None and r.drug_err is None:
        try:
            r.drug = resolve_drug(r.drug_text)
        except ResolutionError as e:
            r.drug_err = e


def resolve_condition_words(text: str, scope: str = "narrow") -> ResolvedCondition:
    """resolve_condition, plus "tingling and numbness" / "rash or itching": when the whole does not
    resolve, each part is tried; parts naming one concept give it, different concepts are ambiguous."""
    try:
        return resolve_condition(text, scope)
    except ResolutionError as first:
        parts = [p for p in re.split(r"\s*(?:\band\b|\bor\b|,|/|&)\s*", text, flags=re.I) if p.strip()]
        if len(parts) < 2 or "ambiguous" in str(first):
            raise
        found: list[ResolvedCondition] = []
        for p in parts:
            try:
                found.append(resolve_condition(p, scope))
            except ResolutionError:
                raise first from None
        labels = list(dict.fromkeys(c.label for c in found))
        if len(labels) == 1:
            c = found[0]
            return ResolvedCondition(
                c.label, c.concept_id, c.pts, c.narrow, c.broad, text, c.method, min(x.score for x in found), c.via_pt
            )
        raise ResolutionError(
            f"{quoted(text)} names several conditions ({', '.join(labels)}); ask about one at a time.",
            candidates=labels,
        ) from None


def _splits(words: list[str], form: str) -> list[_Reading]:
    """Every split of words into (drug, condition) and (condition, drug), drug at most _MAX_DRUG_WORDS."""
    out = []
    for i in range(1, len(words)):
        left, right = " ".join(words[:i]), " ".join(words[i:])
        if i <= _MAX_DRUG_WORDS:
            r = _read(left, right, form, lazy=True)
            if r:
                out.append(r)
        if len(words) - i <= _MAX_DRUG_WORDS:
            r = _read(right, left, form + "_reversed", lazy=True)
            if r:
                out.append(r)
    return out


def _joined(words: list[str]) -> list[_Reading]:
    """ "X and Y": split at each joiner word, both orders ("pins and needles" keeps its own "and")."""
    out = []
    for i, w in enumerate(words):
        if w.lower() in _JOINERS and 0 < i < len(words) - 1:
            left, right = " ".join(words[:i]), " ".join(words[i + 1 :])
            for r in (_read(left, right, "and", lazy=True), _read(right, left, "and_reversed", lazy=True)):
                if r:
                    out.append(r)
    return out


def _best(readings: list[_Reading], loose: bool) -> _Reading | None:
    """The complete reading with the best score; the first one (drug-first order) wins ties."""
    full = [r for r in readings if r.complete]
    if not full:
        return None
    return max(full, key=lambda r: (round(r.score(loose), 6), -readings.index(r)))


def _best_partial(readings: list[_Reading]) -> _Reading | None:
    """The incomplete reading whose resolved side is strongest: its failing side explains the error."""
    part = [r for r in readings if r.score(True) > 0]
    if not part:
        return None
    return max(part, key=lambda r: (round(r.score(True), 6), -readings.index(r)))


def _find(text: str) -> tuple[_Reading | None, _Reading | None]:
    """(complete reading or None, most informative partial reading or None) for a question."""
    t = _clean(text)
    first_partial: _Reading | None = None
    swaps: list[tuple[str, str, str]] = []
    for name, rx in _FORMS:
        m = rx.match(t)
        if not m:
            continue
        readings = [r for r in [_read(m.group("drug"), m.group("cond"), name)] if r]
        if name in _EITHER_ORDER:
            readings += [r for r in [_read(m.group("cond"), m.group("drug"), name + "_reversed")] if r]
        best = _best(readings, loose=False)
        if best:
            return best, None
        if name not in _EITHER_ORDER:
            swaps.append((m.group("cond"), m.group("drug"), name + "_swapped"))
        if first_partial is None and readings:
            first_partial = _best_partial(readings) or readings[0]
    for drug_words, cond_words, form in swaps:
        # "Can headache cause amlodipine?": the two parts only make sense the other way round.
        swapped = _read(drug_words, cond_words, form)
        if swapped and swapped.complete:
            return swapped, None
    if first_partial is not None and first_partial.form in ("cause", "side_effect_of", "has_as_side_effect"):
        # The phrasing said plainly which words are the drug and which the condition: report the part
        # that failed instead of guessing another split.
        return None, first_partial
    words = t.split()
    if words and re.fullmatch(_Q, words[0], re.I):
        words = words[1:]  # "Can amlodipine tingling": the question word is no part of either name
    readings = _joined(words)
    best = _best(readings, loose=True)
    if best:
        return best, None
    split = _splits(words, "two_part")
    best = _best(split, loose=True)
    if best:
        return best, None
    if first_partial is None and not _best_partial(readings + split):
        # No condition anywhere: resolve the drug sides skipped above, so the error can at least say
        # "amlodipine" was understood and the condition was not.
        for r in readings + split:
            _read_drug(r)
    return None, first_partial or _best_partial(readings + split)


def parse(text: str) -> Question:
    """Split a question into drug words and condition words.

    Raises ResolutionError (with an example phrasing) when no split into a drug and a condition is found.
    When one part is found but the other does not resolve, the Question is still returned and
    `understand` reports the failing part (unknown drug, ambiguous condition ...)."""
    text = _prepared(text, "the question")  # type: ignore[assignment]
    if not isinstance(text, str) or not _clean(text):
        raise ResolutionError(f"no question given. Ask like: {EXAMPLE}")
    m = _LIST_QUESTION.match(_clean(text))
    if m:
        drug = _clean_drug(m.group("drug") or "") or "amlodipine"
        raise ResolutionError(
            f"adrlens answers about one drug and one condition at a time. Ask like: Can {quoted(drug)[1:-1]} cause "
            "peripheral neuropathy?",
            kind=ResolutionError.AMBIGUOUS,
        )
    best, partial = _find(text)
    r = best or partial
    if r is None:
        raise ResolutionError(
            f"could not find a drug and a condition in {quoted(text)}. Ask like: {EXAMPLE} "
            "(or give them separately: --drug amlodipine --condition tingling).",
            candidates=[],
        )
    return Question(text.strip(), r.drug_text, r.cond_text, r.form)


def list_question_drug(text: str) -> str | None:
    """The drug words of a list question ("What are the side effects or risks of Abacavir?" -> "Abacavir"),
    or None when the text is no list question or names no drug."""
    if not isinstance(text, str) or not _LIST_QUESTION.match(_clean(text)):
        return None
    # The drug words as written: brackets and commas carry the ingredients of a product ("MMR Vaccine
    # (Measles, Mumps, and Rubella)", "Acetaminophen, Butalbital, and Caffeine").
    m = _LIST_QUESTION.match(" ".join(text.replace("\u2019", "'").split()).rstrip(" ?!."))
    if not m or not m.group("drug"):
        return None
    return _clean_drug(m.group("drug")) or None


# ---------------------------------------------------------------------------------------------------------
# Understanding


# "Can X not cause Y?", "Why doesn't X cause Y": a negated question is refused, never read as "Can X cause Y".
_NEGATED = re.compile(
    r"\b(?:not|never|cannot|can't|doesn't|don't|won't|wouldn't|couldn't|isn't|aren't|shouldn't)\s+"
    r"(?:\w+\s+)?(?:cause|causes|give|gives|lead|leads|trigger|triggers|make|makes|result|results|bring|"
    r"brings|induce|induces|produce|produces|be caused|linked|associated|related)\b",
    re.I,
)


def _refuse_negation(text: str | None) -> None:
    if text and _NEGATED.search(" ".join(text.replace("\u2019", "'").split())):
        raise ResolutionError(
            "adrlens answers whether a drug can cause a condition; this question is negated ('not'). Ask it "
            f"without the negation, like: {EXAMPLE}"
        )


def _refuse_conflict(text: str, d: ResolvedDrug, c: ResolvedCondition, scope: str) -> None:
    """A question given with --drug/--condition must ask the same thing, or the article would be titled
    with one question and answer another."""
    try:
        asked = parse(text)
        qd = resolve_drug(asked.drug_text)
        qc = resolve_condition_words(asked.condition_text, scope)
    except ResolutionError as e:
        raise ResolutionError(
            f"the question {quoted(text)} could not be read ({e}); give either a question or --drug and "
            "--condition, not both"
        ) from None
    if qd.name != d.name or (qc.concept_id or qc.label) != (c.concept_id or c.label):
        raise ResolutionError(
            f"the question asks about {qd.name} and {qc.label.lower()}, but --drug/--condition say {d.name} and "
            f"{c.label.lower()}: give one or the other"
        )


def understand(
    text: str | None = None,
    drug: str | None = None,
    condition: str | None = None,
    scope: str = "narrow",
) -> Understood:
    """Resolve a question (or a drug and a condition given separately) to an ingredient and a condition.

    With drug= and condition= given, those are resolved as they are and text (if any) is only kept as
    the question's wording. scope: 'narrow' (the concept's specific PTs) or 'broad' (related PTs too).
    Raises ResolutionError with candidates when a part is unknown or ambiguous."""
    notes: list[str] = []
    text = _prepared(text, "the question")
    drug, condition = _prepared(drug, "--drug"), _prepared(condition, "--condition")
    _refuse_negation(text)
    if drug is not None or condition is not None:
        if not (drug and drug.strip()) or not (condition and condition.strip()):
            raise ResolutionError(
                "give both a drug and a condition (for example drug=amlodipine, condition=tingling), "
                f"or a whole question like: {EXAMPLE}"
            )
        d_txt = _clean_drug(_clean(drug)) or drug.strip()
        c_txt, who = _clean_condition(_clean(condition))
        c_txt = c_txt or condition.strip()
        q = Question((text or f"Can {drug.strip()} cause {condition.strip()}?").strip(), d_txt, c_txt, "separate")
    else:
        q = parse(text or "")
        who = _clean_condition(_clean(text or ""))[1]
    d = resolve_drug(q.drug_text)
    c = resolve_condition_words(q.condition_text, scope)
    if q.form == "separate" and text and text.strip():
        _refuse_conflict(text, d, c, scope)
    notes += _drug_notes(q.drug_text, d)
    notes += _condition_notes(q.condition_text, c)
    if q.form.endswith("_swapped"):
        notes.append(f"read the other way round: does {d.name} cause {c.label.lower()}?")
    if who:
        notes.append(
            f"'{who}' noted: the report counts here are for all ages and both sexes, not only for {who.lower()}."
        )
    return Understood(q, d, c, notes)


def _same(a: str, b: str) -> bool:
    return re.sub(r"[^a-z0-9]", "", a.lower()) == re.sub(r"[^a-z0-9]", "", b.lower())


def _drug_notes(words: str, d: ResolvedDrug) -> list[str]:
    if d.kind == "vaccine":
        out = [] if _same(words, d.name) else [f"'{words}' read as {d.name}"]
        if d.also:
            shown = ", ".join(d.also[:4]) + (" ..." if len(d.also) > 4 else "")
            out.append(f"{d.name} counted alone; combination vaccines with the same antigen ({shown}) are not")
        return out
    if _same(words, d.name):
        return []
    if d.method == "fuzzy":
        return [f"{words} read as {d.name} (closest spelling)"]
    if words.lower().startswith(d.name + " "):
        return [f"'{words}' counted as {d.name} (strength, form and salt do not change the ingredient)"]
    if d.method == "brand":
        return [f"{words} is a brand of {d.name}"]
    if d.method == "synonym":
        return [f"{words} is another name for {d.name}"]
    return [f"'{words}' read as {d.name}"]


def _condition_notes(words: str, c: ResolvedCondition) -> list[str]:
    from adrlens.vocab.resolve import condition_vocabulary

    if _same(words, c.label) or (c.method == "concept" and c.concept_id):
        return []
    how = " (closest spelling)" if c.method == "fuzzy" else ""
    if c.concept_id is None:
        return [f"'{words}' read as the reported term {condition_vocabulary().pt_display(c.label)}{how}"]
    if c.via_pt and c.via_pt.lower() not in c.label.lower():
        pt = condition_vocabulary().pt_display(c.via_pt)
        return [f"'{words}' read as {pt} ({c.label}){how}"]
    return [f"'{words}' read as {c.label}{how}"]
