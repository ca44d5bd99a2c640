"""openFDA drug label endpoint (online mode): the most recent US label of one ingredient, and where a
condition's phrases occur in its safety sections.

`fetch_label` asks https://api.fda.gov/drug/label.json for labels whose harmonised generic name names the
ingredient (an analysed field, so "amlodipine" also finds "AMLODIPINE BESYLATE" and combination products),
newest first, and keeps the newest whose every generic and substance name is the ingredient alone (a salt
is the ingredient; a combination product is skipped). It goes through `OpenFdaClient.get_json`, so the
throttle, retries, deadline and disk cache are the client's, and an error is never an absent label: only
openFDA's documented NOT_FOUND, or no single-ingredient label among the newest ones, is `None`.

`find_mentions` reads the label like a person would: whole words, British and American spellings folded
(condition names are British, US labels American), a two-word name in either order; a table row is a
stated rate, the "Postmarketing Experience" part of adverse reactions is reports of unknown frequency, and a
condition named as the patient's own ("in patients with X", "history of X", a contraindication) is never a
listing of a side effect.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from adrlens.sources.counts.openfda import OpenFdaClient, OpenFdaError, drug_search
from adrlens.sources.knowledge.labels import _UNCERTAIN  # one "causality is uncertain" pattern for both readers
from adrlens.vocab.conditions import spelling_key
from adrlens.vocab.names import default_namer

OPENFDA_LABEL_URL = "https://api.fda.gov/drug/label.json"
LABEL_URL_ENV = "ADRLENS_OPENFDA_LABEL_URL"  # another endpoint (a mirror, a test server)
SOURCE = "openFDA drug label"

# openFDA label field -> our section name (the names of the offline US-label reader where they exist).
SECTION_OF: dict[str, str] = {
    "boxed_warning": "boxed warning",
    "warnings_and_cautions": "warnings and precautions",
    "warnings": "warnings and precautions",
    "precautions": "warnings and precautions",
    "adverse_reactions": "adverse reactions",
    "adverse_reactions_table": "adverse reactions",
    "contraindications": "contraindications",
    "use_in_specific_populations": "use in specific populations",
}
GENERIC_FIELD = "openfda.generic_name"
PAGE_SIZE = 20  # labels per request; the newest single-ingredient label is nearly always on the first page
MAX_PAGES = 2  # then one exact-name search (for a drug sold mostly in combination products)
SNIPPET_CHARS = 300

CONTEXT_TABLE = "table"
CONTEXT_RATE = "rate"
CONTEXT_POSTMARKETING = "postmarketing"
CONTEXT_TEXT = "text"
CONTEXT_PRE_EXISTING = "pre-existing"
# Contexts a mention found twice keeps the first of: the patient's own condition outranks everything.
_CONTEXT_ORDER = (CONTEXT_PRE_EXISTING, CONTEXT_TABLE, CONTEXT_POSTMARKETING, CONTEXT_RATE, CONTEXT_TEXT)
# Sections whose every condition is the patient's own ("contraindicated in patients with ...").
_PATIENT_SECTIONS = frozenset({"contraindications"})

_TAG = re.compile(r"<[^>]+>")
_ROW_END = re.compile(r"</tr\s*>|<br\s*/?>", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# A sentence ends at . ! ? followed by a capital, a bracket or a digit-led heading ("6.2 Postmarketing"); a
# bullet, or a cross-reference closing a flattened bullet ("... [see Warnings and Precautions (5.3)] Central"),
# ends one too.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\u2022-])|(?<=\])\s+(?=[A-Z])|\s*\u2022\s*")
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|vs|approx|Dr|No|Fig|al)\.$")
# The heading of the postmarketing part of adverse reactions, and the next subsection heading that ends it.
_POSTMARKETING_HEADING = re.compile(
    r"(?:\b\d+(?:\.\d+)+\s+)?\bPost[- ]?[Mm]arketing\s+(?:Experience|Reports|Adverse|Data|Surveillance)"
)
_NEXT_HEADING = re.compile(r"\b\d+\.\d+\s+(?:[A-Z][a-z]+\s+){0,5}(?:Experience|Trials|Studies|Reactions)\b")
_POSTMARKETING_WORDS = re.compile(r"post[- ]?marketing|post[- ]?approval|spontaneous(?:ly)? report", re.I)
# A rate in the sentence: "12%", "83 (1.4)", "28 (2.1%)", "8 of 46", "8/46".
_RATE = re.compile(r"\d+(?:\.\d+)?\s*%|\b\d+\s*\(\s*<?\d+(?:\.\d+)?\s*%?\s*\)|\b\d+\s*(?:of|/)\s*\d+\b")
# Words right before a phrase that make it the patient's condition, with up to four words between
# ("in patients with severe aortic stenosis", "a known history of myasthenia gravis", "exacerbation of X").
_PRE_EXISTING = re.compile(
    r"(?:\bin\s+patients\s+with|\bpatients\s+(?:who\s+have|with)|\bhistory\s+of|\bpre-?\s?existing|\bexacerbation\s+of"
    r"|\bunderlying|\bcontraindicated\s+in|\bwith\s+known|\bwith\s+(?:a\s+)?(?:diagnosis|diagnosed)\s+(?:of|with))"
    r"(?:\s+[\w-]+){0,4}\s*$",
    re.IGNORECASE,
)
# A list item continuing a list an earlier sentence introduced: "Central Nervous System: hypoesthesia, ...".
_LIST_ITEM = re.compile(r"^[A-Z][A-Za-z ,/&()-]{2,80}:\s")


@dataclass(frozen=True)
class LabelDocument:
    """One label (SPL document) as openFDA serves it; `sections` holds only the fields of SECTION_OF."""

    set_id: str
    spl_id: str | None
    version: str | None
    effective_date: str | None  # YYYY-MM-DD from effective_time
    generic_names: tuple[str, ...]
    brand_names: tuple[str, ...]
    manufacturer: str | None
    sections: dict[str, tuple[str, ...]]  # openFDA field -> its text blocks (tables: the HTML strings)
    fetched_at: str
    from_cache: bool


@dataclass(frozen=True)
class SectionMention:
    """One phrase of a condition found in one sentence (or table row) of a label section."""

    pt: str  # the PT the phrase stands for, as given in `phrases`
    phrase: str  # the phrase found (as given)
    field: str  # openFDA field
    section: str  # SECTION_OF[field]
    context: str  # table | rate | postmarketing | text | pre-existing (see the module docstring)
    snippet: str  # <= SNIPPET_CHARS of the sentence, whitespace collapsed
    # The sentence, or the list it belongs to, says a causal relationship is uncertain or not established.
    uncertain: bool = False


# --------------------------------------------------------------------------------------------------
# Fetching


def label_url() -> str:
    return os.environ.get(LABEL_URL_ENV) or OPENFDA_LABEL_URL


def _strings(value: Any) -> tuple[str, ...]:
    """openFDA fields are lists of strings; a bare string (some mirrors) is one block."""
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, (str, int, float)) and str(v).strip())
    return ()


def _iso_date(value: Any) -> str | None:
    text = str(value or "").strip()
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return None


def _single_ingredient(result: dict[str, Any], key: str) -> bool:
    """True when every generic and substance name of the label names the ingredient alone."""
    namer = default_namer()
    meta = result.get("openfda") if isinstance(result.get("openfda"), dict) else {}
    generics = _strings(meta.get("generic_name"))
    if not generics:
        return False
    names = generics + _strings(meta.get("substance_name"))
    return all(namer.key(n) == key for n in names)


def _document(result: dict[str, Any], fetched_at: str, from_cache: bool) -> LabelDocument:
    set_id = str(result.get("set_id") or "").strip()
    if not set_id:
        raise OpenFdaError("openFDA returned a label without a set_id; the label is unknown, not absent.")
    meta = result.get("openfda") if isinstance(result.get("openfda"), dict) else {}
    makers = _strings(meta.get("manufacturer_name"))
    return LabelDocument(
        set_id=set_id,
        spl_id=str(result["id"]) if result.get("id") else None,
        version=str(result["version"]) if result.get("version") else None,
        effective_date=_iso_date(result.get("effective_time")),
        generic_names=_strings(meta.get("generic_name")),
        brand_names=_strings(meta.get("brand_name")),
        manufacturer=makers[0] if makers else None,
        sections={f: blocks for f in SECTION_OF if (blocks := _strings(result.get(f)))},
        fetched_at=fetched_at,
        from_cache=from_cache,
    )


def fetch_label(client: OpenFdaClient, ingredient: str) -> LabelDocument | None:
    """The newest single-ingredient US label of `ingredient`, or None when openFDA has none.

    Raises the client's OpenFdaError (or its subclasses for unreachable and rate-limited) for every failure
    and for an answer that is not a list of labels: an error is never read as "no label". When the newest
    labels naming it are all combinations and more exist than were read, one exact-name search follows;
    if that finds none either, the label is unknown (an error), not absent."""
    key = default_namer().key(ingredient)
    if not key or "; " in key:
        raise OpenFdaError(f"{ingredient!r} is not one ingredient; ask for the label of each ingredient.")
    examined, total = 0, 0
    for page in range(MAX_PAGES):
        found = _search(client, ingredient, key, drug_search(key, (GENERIC_FIELD,)), page * PAGE_SIZE)
        if found is None:
            return None  # documented NOT_FOUND: openFDA has no label naming it (or no more pages)
        doc, n_results, total = found
        if doc is not None:
            return doc
        examined += n_results
        if examined >= total or n_results < PAGE_SIZE:
            return None  # every label naming it was read: all are combination products
    # Salts differ, but the plain name is the whole generic name of many single-ingredient labels.
    exact = _search(client, ingredient, key, f'{GENERIC_FIELD}.exact:"{key.upper()}"', 0)
    if exact is not None and exact[0] is not None:
        return exact[0]
    raise OpenFdaError(
        f"none of the {examined} newest of {total} openFDA labels naming {ingredient} is a single-ingredient "
        "label; the label is unknown, not absent."
    )


def _search(
    client: OpenFdaClient, ingredient: str, key: str, search: str, skip: int
) -> tuple[LabelDocument | None, int, int] | None:
    """One page of labels -> (the newest single-ingredient one or None, labels read, total), or None for
    openFDA's NOT_FOUND."""
    params: dict[str, str | int] = {"search": search, "limit": PAGE_SIZE, "sort": "effective_time:desc"}
    if skip:
        params["skip"] = skip
    hits_before = client.cache_hits  # this client's own hits (the cache may serve other clients at once)
    body = client.get_json(params, url=label_url())
    if body is None:
        return None
    results = body.get("results")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise OpenFdaError(
            f"openFDA's label answer for {ingredient} has no list of labels; the label is unknown, not absent."
        )
    total = _total(body)
    total = total if total is not None else skip + len(results)
    singles = [r for r in results if _single_ingredient(r, key)]
    if not singles:
        return None, len(results), total
    # openFDA sorts by effective_time already; sorting again also serves a mirror that ignores `sort`.
    best = max(singles, key=lambda r: str(r.get("effective_time") or ""))
    from_cache = client.cache_hits > hits_before
    fetched_at = client.fetched_at[-1] if client.fetched_at else ""
    return _document(best, fetched_at, from_cache), len(results), total


def _total(body: dict[str, Any]) -> int | None:
    try:
        return int(body["meta"]["results"]["total"])
    except (KeyError, TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------------
# Reading


def table_rows(block: str) -> list[str]:
    """An HTML table -> its rows as text (tags stripped, entities decoded, whitespace collapsed)."""
    rows = [" ".join(html.unescape(_TAG.sub(" ", r)).split()) for r in _ROW_END.split(block)]
    return [r for r in rows if r]


def sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) of a flattened label text; abbreviations ("e.g.") do not end a sentence."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        piece = text[start : m.start()]
        if _ABBREVIATIONS.search(piece):
            continue
        if piece.strip():
            out.append((start, piece.strip()))
        start = m.end()
    if text[start:].strip():
        out.append((start, text[start:].strip()))
    return out


def postmarketing_span(text: str) -> tuple[int, int] | None:
    """(start, end) of the "Postmarketing Experience" part of an adverse reactions text, found by heading."""
    m = _POSTMARKETING_HEADING.search(text)
    if m is None:
        return None
    nxt = _NEXT_HEADING.search(text, m.end())
    return m.start(), nxt.start() if nxt else len(text)


def _phrase_keys(phrases: Mapping[str, str]) -> list[tuple[tuple[str, ...], str, str]]:
    """(word keys, phrase, pt), longest first; a two-word phrase also in the other word order."""
    out: dict[tuple[str, ...], tuple[str, str]] = {}
    for phrase, pt in phrases.items():
        words = tuple(spelling_key(phrase).split())
        if not words:
            continue
        out.setdefault(words, (phrase, pt))
        if len(words) == 2:
            out.setdefault((words[1], words[0]), (phrase, pt))
    return sorted(((k, p, t) for k, (p, t) in out.items()), key=lambda x: -len(x[0]))


@functools.lru_cache(maxsize=65_536)
def _word_key(word: str) -> str:
    return spelling_key(word)


def _word_matches(
    words: list[tuple[int, int, str]], starts: dict[str, list[int]], key: tuple[str, ...]
) -> Iterator[tuple[int, int]]:
    """(start, end) character spans where the words equal `key` (the last word may be plural); `starts`
    indexes the words by key, so only the places a phrase's first word occurs are tried."""
    n = len(key)
    first = [key[0]] if n > 1 else [key[0], key[0] + "s", key[0] + "es", key[0][:-1] + "ies"]
    for i in sorted(i for k in first for i in starts.get(k, ())):
        if i + n > len(words):
            continue
        if all(words[i + j][2] == key[j] for j in range(n - 1)):
            last = words[i + n - 1][2]
            if last == key[-1] or last in (key[-1] + "s", key[-1] + "es", key[-1][:-1] + "ies"):
                yield words[i][0], words[i + n - 1][1]


def _snippet(sentence: str, start: int, end: int) -> str:
    flat = " ".join(sentence.split())
    if len(flat) <= SNIPPET_CHARS:
        return flat
    # Keep the phrase in view: a window around it, cut at word boundaries.
    lead = max(0, min(start - SNIPPET_CHARS // 3, len(sentence) - SNIPPET_CHARS))
    window = " ".join(sentence[lead : lead + SNIPPET_CHARS * 2].split())[: SNIPPET_CHARS - 2]
    if lead and sentence[lead - 1].isalnum() and " " in window:  # started inside a word: drop its tail
        window = window.split(" ", 1)[1]
    cut = window.rsplit(" ", 1)[0] if " " in window else window
    return ("\u2026" if lead else "") + cut + "\u2026"


def _units(field: str, block: str) -> Iterator[tuple[str, str, int | None]]:
    """(sentence or table row, base context, uncertain_from) of one text block of a field: mentions at or
    after `uncertain_from` sit where the label says causality is uncertain (None: nowhere)."""
    if field.endswith("_table"):
        for row in table_rows(block):
            yield row, CONTEXT_TABLE, None
        return
    text = " ".join(html.unescape(_TAG.sub(" ", block)).split())
    post = postmarketing_span(text) if field == "adverse_reactions" else None
    open_list = False  # inside a list whose intro says causality is uncertain
    for offset, sent in sentences(text):
        said = [m.end() for m in _UNCERTAIN.finditer(sent)]
        if open_list and _LIST_ITEM.match(sent):
            uncertain_from: int | None = 0
        elif said:
            # "... is uncertain; they are listed ...: a, b, c": the list after the colon, else the sentence.
            colon = sent.find(":", said[0])
            uncertain_from = colon if colon >= 0 else 0
        else:
            uncertain_from = None
        open_list = uncertain_from is not None and ":" in sent[uncertain_from or 0 :]
        if (post is not None and post[0] <= offset < post[1]) or _POSTMARKETING_WORDS.search(sent):
            base = CONTEXT_POSTMARKETING
        elif _RATE.search(sent):
            base = CONTEXT_RATE
        else:
            base = CONTEXT_TEXT
        yield sent, base, uncertain_from


def find_mentions(doc: LabelDocument, phrases: Mapping[str, str]) -> list[SectionMention]:
    """Where the phrases (phrase -> PT) occur in the label's sections, in section order, one mention per
    PT and sentence (the longest phrase wins where phrases overlap, "peripheral neuropathy" over
    "neuropathy")."""
    keys = _phrase_keys(phrases)
    if not keys:
        return []
    out: list[SectionMention] = []
    for field, section in SECTION_OF.items():
        for block in doc.sections.get(field, ()):
            for sent, base, uncertain_from in _units(field, block):
                words = [(m.start(), m.end(), _word_key(m.group(0).lower())) for m in _WORD.finditer(sent)]
                starts: dict[str, list[int]] = {}
                for i, (_a, _b, k) in enumerate(words):
                    starts.setdefault(k, []).append(i)
                taken: list[tuple[int, int]] = []
                seen_pts: dict[str, int] = {}
                for key, phrase, pt in keys:
                    for start, end in _word_matches(words, starts, key):
                        if any(start < b and a < end for a, b in taken):
                            continue
                        taken.append((start, end))
                        context = base
                        if field in _PATIENT_SECTIONS or _PRE_EXISTING.search(sent[:start]):
                            context = CONTEXT_PRE_EXISTING
                        uncertain = uncertain_from is not None and start >= uncertain_from
                        mention = SectionMention(
                            pt, phrase, field, section, context, _snippet(sent, start, end), uncertain
                        )
                        if pt in seen_pts:  # the same PT twice in a sentence: keep the stronger reading
                            i = seen_pts[pt]
                            if _CONTEXT_ORDER.index(context) < _CONTEXT_ORDER.index(out[i].context):
                                out[i] = mention
                            continue
                        seen_pts[pt] = len(out)
                        out.append(mention)
    return out


# --------------------------------------------------------------------------------------------------
# What the label tells a prescriber to do

# "Discontinue X immediately", "stop ... at the first sign of", "immediately discontinue": the label's own
# instruction to stop the drug at once (a reader is then told to stop and get care, not to carry on).
_STOP_AT_ONCE = re.compile(
    r"\b(?:discontinue|stop)\b[^.;]{0,120}?\b(?:immediately|at the first (?:sign|appearance|symptom)s?|promptly|"
    r"right away)\b|\b(?:immediately|promptly)\s+(?:discontinue|stop)\b",
    re.IGNORECASE,
)
# A numbered subsection of the warnings ("5.3 Peripheral Neuropathy ..."): an instruction there is about
# that subsection's topic only; a boxed warning is one short block, its instruction covers all it names.
_SUBSECTION = re.compile(r"(?=\b\d{1,2}\.\d{1,2}\s+[A-Z])")
STOP_FIELDS = ("boxed_warning", "warnings_and_cautions", "warnings")
STOP_WINDOW = 5  # sentences before an instruction that it may be about


@dataclass(frozen=True)
class StopInstruction:
    pt: str
    section: str
    text: str  # the label's sentence, whitespace collapsed, at most SNIPPET_CHARS


def stop_instructions(doc: LabelDocument, phrases: Mapping[str, str]) -> dict[str, StopInstruction]:
    """PT -> the label's instruction to stop the drug at once, where a warning block (the boxed warning, or
    one numbered warnings subsection) names the condition as a side effect and says to stop immediately."""
    out: dict[str, StopInstruction] = {}
    for field in STOP_FIELDS:
        for block in doc.sections.get(field, ()):
            parts = [block] if field == "boxed_warning" else [p for p in _SUBSECTION.split(block) if p.strip()]
            for part in parts:
                sents = [s for _i, s in sentences(part)]
                for j, stop in enumerate(sents):
                    if not _STOP_AT_ONCE.search(stop):
                        continue
                    # the instruction and what it is about: the sentence itself and the few before it (a
                    # boxed warning lists the reactions, then says to stop for any of them)
                    window = " ".join(sents[max(0, j - STOP_WINDOW) : j + 1])
                    sub = dataclasses.replace(doc, sections={field: (window,)})
                    for m in find_mentions(sub, phrases):
                        if m.context != CONTEXT_PRE_EXISTING and m.pt not in out:
                            text = " ".join(stop.split())[:SNIPPET_CHARS]
                            out[m.pt] = StopInstruction(m.pt, SECTION_OF[field], text)
    return out
