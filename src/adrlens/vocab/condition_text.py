"""Plain-language condition profiles from MedQuAD (Ben Abacha & Demner-Fushman 2019; CC BY 4.0; NIH pages).

MedQuAD keeps one XML document per NIH consumer page: Focus (the condition), UMLS CUIs, URL, sometimes
synonyms, and question/answer pairs by qtype ("information", "symptoms", "causes", "outlook" ...).
`load_index` parses the collections that kept their answers into clean sentences per qtype, cached as JSON
under `config.cache_dir()` keyed by the tarballs' sizes and mtimes. `condition_text` picks one page per
concept (exact name keys, then careful word-keeping variants; never fuzzy spelling, which could attach another
disease), so every field cites one page. `sentences_naming` finds the page sentences naming given terms.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import tarfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from adrlens import config
from adrlens.vocab.conditions import bag_key, spelling_key

INDEX_VERSION = 2
MEDQUAD_DIR = Path("conditions_text/medquad")
# Collection tarball -> the source name shown to a reader, in order of preference: MedlinePlus writes for
# lay readers; NINDS and NIDDK are plain too; GARD and the rest are fuller but more technical.
COLLECTIONS: dict[str, str] = {
    "4_MPlus_Health_Topics_QA": "MedlinePlus", "6_NINDS_QA": "NINDS", "5_NIDDK_QA": "NIDDK", "2_GARD_QA": "GARD",
    "8_NHLBI_QA_XML": "NHLBI", "7_SeniorHealth_QA": "NIHSeniorHealth", "9_CDC_QA": "CDC",
    "3_GHR_QA": "Genetics Home Reference",
}
_SOURCE_RANK = {name: i for i, name in enumerate(COLLECTIONS.values())}
MAX_WORDS = 45
BOILERPLATE_DOCS = 4  # a sentence (focus masked) found in this many documents is a site template


@dataclass(frozen=True)
class ConditionText:
    what_it_is: str
    symptoms: str | None
    causes: str | None
    seek_care: str | None
    url: str
    source: str
    focus: str


class Passage(NamedTuple):
    text: str
    url: str
    source: str


# Text cleaning: the answers carry flattened HTML (bullets as " - ", headings on their own line, runs of
# spaces for paragraph breaks, attributions like "NIH: National Institute of ..."); a reader sees none of it.
_ABBREV = frozenset(["e.g", "i.e", "dr", "mr", "mrs", "ms", "vs", "st", "etc", "u.s", "no", "approx", "fig", "al"])
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z0-9\"(])")
_TAGS = re.compile(r"<[^>]{0,200}>")
_LIST_ITEM = re.compile(r"\s+-\s+")
# Navigation and template wording that is no statement about the condition.
_NAV = re.compile(
    r"\b(click|learn more|www\.|https?:|visit (www|the|our|\w+\.gov)|video|to enlarge|press the|fact sheet|"
    r"for more information|more information (is|about)|is provided in|the following list|table below|"
    r"see the (following|list|section)|listed below|read more|this page|this section|this topic)\b", re.I)


def _split_sentences(paragraph: str) -> list[str]:
    out, start = [], 0
    for m in _BOUNDARY.finditer(paragraph):
        prev = paragraph[start : m.start()].rsplit(None, 1)
        last = prev[-1].rstrip(".!?").lower() if prev else ""
        # "e.g. Smith", "Dr. Reye", "U.S. adults", a lone initial ("J. Smith"): no sentence ends there.
        if last in _ABBREV or (len(last) == 1 and last.isalpha()):
            continue
        out.append(paragraph[start : m.start() + 1 + (m.group(0)[0] in "\"')]")].strip())
        start = m.end()
    return [s for s in [*out, paragraph[start:].strip()] if s]


def _join_list(lead: str, items: list[str]) -> str:
    """'They include' + ['Numbness', 'Pain'] -> 'They include numbness and pain.' (short items only)."""
    items = [i.strip(" ;,.") for i in items if i.strip(" ;,.")]
    items = [i if i[:2].isupper() else i[:1].lower() + i[1:] for i in items]  # keep "HIV", lower "Pain"
    body = items[0] if len(items) == 1 else f"{', '.join(items[:-1])}{',' * (len(items) > 2)} and {items[-1]}"
    return f"{lead.rstrip(' :')} {body}."


def clean_sentences(answer: str) -> list[str]:
    """The complete, readable sentences of one answer, in order (headings, lists of long items, questions
    and navigation text dropped; short bullet lists folded into their lead sentence)."""
    text = html.unescape(_TAGS.sub(" ", answer)).replace("\u00a0", " ").replace("\r", "")
    text = re.sub(r"[ \t]{3,}(?=-\s)", "\n", text)  # MedlinePlus bullets: "include     -  Numbness"
    text = re.sub(r"[ \t]{3,}", "\n", text)  # MedlinePlus paragraph breaks are runs of spaces
    out: list[str] = []
    lead: str | None = None  # a line that ends in a list ("Symptoms include"), waiting for its items
    items: list[str] = []

    def flush() -> None:
        nonlocal lead, items
        if lead is not None and items and all(len(i.split()) <= 6 for i in items) and len(items) <= 8:
            out.extend(_split_sentences(_join_list(lead, items)))
        lead, items = None, []

    for raw in text.split("\n"):
        line = " ".join(raw.split())
        if not line:
            continue
        if line.startswith("- ") or line == "-":
            items.extend(p for p in _LIST_ITEM.split(" " + line) if p.strip())
            continue
        flush()
        head, *bullets = _LIST_ITEM.split(line) if " - " in line and not line.endswith(".") else [line]
        if bullets and not head.endswith((".", "?", "!")):
            lead, items = head, bullets  # "They include - a - b" on one line
            continue
        if not line.endswith((".", "?", "!", '."', ".)")) and len(line.split()) <= 12:
            lead = line  # a heading, or the lead of a list on the next lines; dropped unless items follow
            continue
        out.extend(_split_sentences(line))
    flush()
    return [s for s in out if _readable(s)]


def _readable(s: str) -> bool:
    # A question restating the heading, a cut fragment, an unfolded list (GARD phenotype tables: "a - b - c")
    # or navigation text is no sentence to show.
    ok = 4 <= len(s.split()) <= 80 and s.endswith((".", "!", '."', ".)")) and (s[0].isupper() or s[0] in '"(')
    return ok and not _NAV.search(s) and s.count(" - ") < 2 and s.count("(") == s.count(")")


def _parse_document(data: bytes, source: str) -> dict[str, Any] | None:
    """One MedQuAD XML file -> {focus, synonyms, cui, url, source, answers: {qtype: [answer, ...]}}.
    Reads both layouts in the corpus (<Document><Focus><QAPair> and a few NINDS files <doc><doctitle-focus>)."""
    root = ET.fromstring(data)
    focus, synonyms, cuis = "", [], []
    answers: dict[str, list[str]] = {}
    for el in root.iter():
        tag, text = el.tag.rsplit("}", 1)[-1].lower(), " ".join((el.text or "").split())
        if tag in ("focus", "doctitle-focus") and not focus:
            focus = text
        elif tag in ("synonym", "cui") and text:
            (synonyms if tag == "synonym" else cuis).append(text)
        elif tag in ("qapair", "pair"):
            q = next((c for c in el if c.tag.lower().endswith("question")), None)
            a = next((c for c in el if c.tag.lower().endswith("answer")), None)
            if q is not None and a is not None and (a.text or "").strip():
                answers.setdefault(q.get("qtype", "information"), []).append(a.text or "")
    if not focus or not answers:
        return None
    return dict(focus=focus, synonyms=synonyms, cui=cuis, url=root.get("url", ""), source=source, answers=answers)


def _tarballs(folder: Path) -> list[tuple[Path, str]]:
    paths = [(folder / f"{stem}.tar.gz", src) for stem, src in COLLECTIONS.items()]
    return [(p, src) for p, src in paths if p.is_file()]


def build_index(tarballs: Sequence[tuple[Path, str]]) -> dict[str, Any]:
    """Parse the (tarball, source name) pairs into the index: documents with clean sentences per qtype, and
    the count of XML files that failed to parse ("malformed": counted and skipped, never fatal)."""
    docs: list[dict[str, Any]] = []
    malformed = 0
    for path, source in tarballs:
        with tarfile.open(path, "r:gz") as tar:
            for member in sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name):
                fh = tar.extractfile(member) if member.name.endswith(".xml") else None
                try:
                    doc = _parse_document(fh.read(), source) if fh is not None else None
                except ET.ParseError:
                    malformed += 1
                    continue
                if doc is not None:
                    doc["answers"] = {qt: [clean_sentences(a) for a in ans] for qt, ans in doc["answers"].items()}
                    docs.append(doc)

    # Site templates ("The Human Phenotype Ontology provides the following list ...") recur across pages
    # with only the focus changed: count each sentence once per document, masked, and drop the common ones.
    def mask(doc: dict[str, Any], s: str) -> str:
        return re.sub(re.escape(doc["focus"].lower()), "#", s.lower())

    seen: Counter[str] = Counter()
    for doc in docs:
        seen.update({mask(doc, s) for ans in doc["answers"].values() for a in ans for s in a})
    for doc in docs:
        doc["answers"] = {
            qt: kept
            for qt, ans in doc["answers"].items()
            if (kept := [[s for s in a if seen[mask(doc, s)] < BOILERPLATE_DOCS] for a in ans])
        }
    exact, bag = _name_keys(docs)
    return {"version": INDEX_VERSION, "documents": docs, "malformed": malformed, "exact": exact, "bag": bag}


def _signature(tarballs: Sequence[tuple[Path, str]]) -> str:
    """The cache key: index version and each tarball's name, size and mtime (any change rebuilds)."""
    parts = [f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)}" for p, _ in tarballs]
    return hashlib.sha1(f"v{INDEX_VERSION}|{'|'.join(parts)}".encode()).hexdigest()[:16]


def load_index(folder: Path | None = None) -> dict[str, Any]:
    """The parsed index of the MedQuAD folder: the cached JSON when its key matches, else built and cached."""
    folder = Path(folder) if folder is not None else config.data_dir() / MEDQUAD_DIR
    tarballs = _tarballs(folder)
    cache_file = config.cache_dir() / f"medquad_conditions_{_signature(tarballs)}.json"
    if cache_file.is_file():
        try:
            index = json.loads(cache_file.read_text(encoding="utf-8"))
            if index.get("version") == INDEX_VERSION:
                index["from_cache"] = True
                return index
        except (OSError, json.JSONDecodeError):
            pass  # a damaged cache is rebuilt
    index = build_index(tarballs)
    tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")
    tmp.replace(cache_file)  # atomic: a concurrent reader never sees half a file
    index["from_cache"] = False
    return index


def _is_acronym(name: str) -> bool:
    # "AD", "ALL", "PE": the same letters name different diseases on different pages.
    letters = re.sub(r"[^A-Za-z]", "", name)
    return (len(letters) <= 5 and letters.isupper()) or len(letters) < 3


def _variants(name: str) -> list[str]:
    """Careful spellings of one name: as given, without a parenthetical, the parenthetical alone ("Syncope
    (fainting)"), each side of " / " ("Anaphylaxis / anaphylactic shock"). Every variant keeps all its words."""
    out = [name, re.sub(r"\s*\([^()]*\)", "", name).strip(), *re.findall(r"\(([^()]+)\)", name)]
    for part in list(out):
        out.extend(p.strip() for p in part.split(" / ") if " / " in part)
    return [v for v in dict.fromkeys(out) if v and not _is_acronym(v)]


_Keys = dict[str, list[list[int]]]  # name key -> [[kind: 0 focus / 1 page synonym, document number], ...]


def _name_keys(docs: Sequence[dict[str, Any]]) -> tuple[_Keys, _Keys]:
    """(exact spelling keys, order-free keys) of every page's focus variants and synonyms (cached with them)."""
    exact: _Keys = {}
    bag: _Keys = {}
    for i, d in enumerate(docs):
        names = [(0, v) for v in _variants(d["focus"])] + [(1, s) for s in d["synonyms"] if not _is_acronym(s)]
        for kind, n in names:
            exact.setdefault(spelling_key(n), []).append([kind, i])
            if len(n.split()) > 1:  # one word has no order to vary; its plural is handled by bag_key's stem
                bag.setdefault(bag_key(n), []).append([kind, i])
    return exact, bag


@cache
def _lookup_index(folder: str | None) -> tuple[list[dict[str, Any]], _Keys, _Keys]:
    """(documents, exact keys, order-free keys), read once per process (functools.cache)."""
    index = load_index(Path(folder) if folder else None)
    return index["documents"], index["exact"], index["bag"]


def _matched_docs(names: Sequence[str], folder: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """(name number, document) for the documents matching any of `names`, best first: earlier name, then
    exact before word-order match, focus before page synonym, then the preferred source."""
    docs, exact, bag = _lookup_index(folder)
    ranked: dict[int, tuple[int, int, int, int, int]] = {}
    for n_i, name in enumerate(names):
        for v_i, v in enumerate(_variants(name)):
            key = spelling_key(v)
            candidates = [(0, k, i) for k, i in exact.get(key, ())]
            # "Reye's" -> a page on "Reye's syndrome": a possessive eponym names that disease or syndrome.
            if re.search(r"['’]s$", v.strip()):
                candidates += [(0, k, i) for head in ("disease", "syndrome") for k, i in exact.get(f"{key} {head}", ())]
            if len(v.split()) > 1:
                candidates += [(1, k, i) for k, i in bag.get(bag_key(v), ())]
            for how, kind, i in candidates:
                rank = (n_i, how, kind, _SOURCE_RANK.get(docs[i]["source"], 99), v_i)
                ranked[i] = min(ranked.get(i, rank), rank)
    return [(ranked[i][0], docs[i]) for i in sorted(ranked, key=lambda i: (ranked[i], i))]


def _sentences(doc: dict[str, Any], *qtypes: str) -> list[str]:
    return [s for qt in qtypes for a in doc["answers"].get(qt, ()) for s in a]


def _take(sentences: Sequence[str], start: int, used: set[str], follow: re.Pattern[str] | None = None) -> str | None:
    """sentences[start], plus the next one when both fit in MAX_WORDS (and, given `follow`, the next one
    continues it: "They include ..."); None when the first alone is too long or already shown."""
    if start >= len(sentences) or sentences[start] in used or len(sentences[start].split()) > MAX_WORDS:
        return None
    nxt = sentences[start + 1] if start + 1 < len(sentences) else ""
    fits = nxt and nxt not in used and len(f"{sentences[start]} {nxt}".split()) <= MAX_WORDS
    picked = [sentences[start], nxt] if fits and (not follow or follow.search(nxt)) else [sentences[start]]
    used.update(picked)
    return " ".join(picked)


def _first_short(sentences: Sequence[str], used: set[str]) -> str | None:
    return next((t for i in range(min(3, len(sentences))) if (t := _take(sentences, i, used))), None)


def _first_naming(sentences: Sequence[str], pattern: re.Pattern[str], used: set[str]) -> str | None:
    for i, s in enumerate(sentences):
        if pattern.search(s) and not _CONTEXTUAL.search(s) and (t := _take(sentences, i, used, _CONTINUES)):
            return t
    return None


_VERB = r"(is|are|was|happens?|occurs?|describes?|refers?|means?|results?|causes?)"  # "<condition> is ..."
_DEFINES = re.compile(rf"^(an? |the |most |many )?(?P<subject>[\w\s'’,-]{{2,80}}?) (\([^)]*\) )?{_VERB}\b", re.I)
_IF_YOU_HAVE = re.compile(r"^(If|When) you have (an? )?(?P<subject>[\w\s'’-]{2,60}?),")
# Symptom and cause sentences that state them, not ones that merely mention the word ("its own symptoms").
_SYMPTOM = re.compile(
    r"\b(symptoms?|signs?)( of [\w\s'’-]{1,40}?)? (may |can |often |usually )?(include|including|are|such as)\b"
    r"|\bmay (feel|have|notice)\b", re.I)
_CAUSE = re.compile(
    r"\b(caused by|causes? (of [^.]{1,60} )?(include|is|are)|cause is|result(s|ing)? from|due to|risk factors?)\b", re.I
)
_NOT_CAUSE = re.compile(r"^(?!.*(\bcause|\bsymptom|\bsigns?\b|\brisk\b))", re.I)  # a definition goes on
_CONTINUES = re.compile(r"^(They|These|Symptoms|Signs|Causes|Other causes) (may |can |often )?include\b")
_CARE_WHO = re.compile(
    r"\b(medical (attention|help|care)|emergency|911|9-1-1|doctor|health care provider|physician|hospital)\b", re.I
)
_CARE_ACT = re.compile(r"\b(seek|call|get|go to|see|contact|tell|talk to|consult(ed)?|sought)\b", re.I)
_CARE_WHEN = re.compile(r"\b(if|when|right away|immediately|as soon as|promptly|quickly|urgent(ly)?)\b", re.I)
# A sentence leaning on its neighbours ("If you have any of these symptoms ...") says nothing alone.
_CONTEXTUAL = re.compile(r"\b(these|those|the following|above|below)\b|^(Others|Some|This|That)\b", re.I)
_INFO_QTYPES = ("information", "symptoms", "complications", "considerations", "outlook", "causes", "treatment")


def _what_it_is(info: Sequence[str], doc: dict[str, Any], names: Sequence[str], used: set[str]) -> str | None:
    """The sentence that defines the condition ("Pancreatitis is inflammation of the pancreas."), found by
    its subject being the page's focus or one of the caller's names; else the first short sentences."""
    keys = {bag_key(n) for n in [doc["focus"], *doc["synonyms"], *names]}
    for i, s in enumerate(info[:12]):
        m = _DEFINES.match(s) or _IF_YOU_HAVE.match(s)
        if m and bag_key(m.group("subject")) in keys and (t := _take(info, i, used, _NOT_CAUSE)):
            return t
    return _first_short(info, used)


def _seek_care(doc: dict[str, Any]) -> str | None:
    for s in _sentences(doc, *_INFO_QTYPES):
        short = len(s.split()) <= MAX_WORDS and not _CONTEXTUAL.search(s)
        if short and all(p.search(s) for p in (_CARE_WHO, _CARE_ACT, _CARE_WHEN)):
            return s
    return None


def _profile(doc: dict[str, Any], names: Sequence[str]) -> ConditionText | None:
    info = _sentences(doc, "information")
    used: set[str] = set()
    if (what := _what_it_is(info, doc, names, used)) is None:
        return None
    symptoms = _first_short(_sentences(doc, "symptoms"), used) or _first_naming(info, _SYMPTOM, used)
    causes = _first_short(_sentences(doc, "causes"), used) or _first_naming(info, _CAUSE, used)
    return ConditionText(what, symptoms, causes, _seek_care(doc), doc["url"], doc["source"], doc["focus"])


def condition_text(names: Sequence[str], folder: Path | str | None = None) -> ConditionText | None:
    """The plain-language profile of the first matching MedQuAD page for a concept's names (its name, then
    synonyms, then narrow PT names, in order of preference); None when no page matches carefully."""
    names = list(names)
    for _, doc in _matched_docs(names, str(folder) if folder else None):
        if (profile := _profile(doc, names)) is not None:
            return profile
    return None


# A sentence that names who is at risk or tells the reader what to do is the useful kind of mention.
_POPULATION = re.compile(
    r"\b(child(ren)?|kids?|teen(s|agers?)?|adolescents?|infants?|bab(y|ies)|newborns?|pregnan(t|cy)|breastfeeding|"
    r"older (adults|people)|elderly|young (patients|people))\b", re.I)
_ADVICE = re.compile(r"\b(should|do not|don't|avoid|before (giving|taking)|consult|recommend(ed)?|never)\b", re.I)


def sentences_naming(names: Sequence[str], terms: Sequence[str], limit: int = 2, folder: Path | str | None = None
                     ) -> list[Passage]:
    """Up to `limit` sentences naming any of `terms` (whole word, any case) in the pages matched by the first
    of `names` that matches any page (a later, looser name would widen the search to other conditions).
    Sentences that also name a population or give advice come first, research answers last; else page order."""
    if not (words := [re.escape(t.strip()) for t in terms if t.strip()]) or limit <= 0:
        return []
    term = re.compile(r"(?<!\w)(" + "|".join(words) + r")(?!\w)", re.I)
    found: list[tuple[int, int, Passage]] = []
    seen: set[str] = set()  # the same sentence on two pages (MedlinePlus quoting NINDS) is shown once
    matched = _matched_docs(list(names), str(folder) if folder else None)
    for _, doc in (m for m in matched if m[0] == matched[0][0]):
        for qt, answers in doc["answers"].items():
            for s in (s for a in answers for s in a if term.search(s) and s.lower() not in seen):
                seen.add(s.lower())
                score = len({m.lower() for m in term.findall(s)}) + bool(_POPULATION.search(s))
                score += bool(_ADVICE.search(s)) - 2 * (qt == "research")
                found.append((-score, len(found), Passage(s, doc["url"], doc["source"])))
    return [p for _, _, p in sorted(found)[:limit]]
