"""PubMed client (online mode, NCBI E-utilities): how many articles tie a drug to a condition, by kind of study.

Search design, and why:
* The pair is searched by MeSH, as indexers describe the article, not by the words in it: the drug side is
  `"<drug>/adverse effects"[MeSH Terms]`, the condition side ORs `"<term>/chemically induced"[MeSH Terms]` over
  the condition's name and a few synonyms (the caller gives them, US spelling; at most MAX_CONDITION_TERMS).
  The subheadings keep articles where the drug is the suspected cause of the condition; a words search also
  finds every trial that merely lists both. [MeSH Terms] explodes (narrower headings count too). MeSH
  indexing lags publication by weeks to months, so the newest articles are missing (MESH_LAG_NOTE).
* A name PubMed does not know comes back in `errorlist.phrasesnotfound` or `warninglist.quotedphrasesnotfound`,
  and PubMed then runs the rest of the query: that count belongs to another search. So the client searches
  again: the drug as `"<drug>"[Title/Abstract]` (drug_as_mesh False, with a note); unknown condition terms are
  dropped, and when none is known the condition goes to titles and abstracts too. A side PubMed finds nowhere,
  even in titles and abstracts, makes the pair a true zero (no further requests).
* Then one esearch per publication type (`<pair query> AND <filter>`, retmax=0) and one esummary for the top
  PMIDs (relevance order): their titles, journal, year and publication types.

Rules it never breaks (like adrlens.sources.counts.openfda): an error is never a zero (an answer with "ERROR",
a 200 that is not JSON or has no count raises `PubMedError`; only a count of "0" is zero); it keeps under
NCBI's limits (3 requests/s, 10/s with $NCBI_API_KEY) and retries 429/5xx/timeouts honouring Retry-After; a
429 that persists, a DNS failure or a refused connection raise `PubMedUnavailableError` in one line; every
call, retries included, ends by its deadline (adrlens.sources.net); only usable answers are cached
(ResponseCache), without the API key or the e-mail address. The transport is injectable (`transport=`), so
tests serve E-utilities-format fixtures through `httpx.MockTransport` and never touch the network.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from adrlens.errors import AdrlensError
from adrlens.sources import net
from adrlens.sources.online.cache import ResponseCache, now_iso

EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
EUTILS_URL_ENV = "ADRLENS_EUTILS_URL"  # another base URL (a mirror, a test server)
API_KEY_ENV = "NCBI_API_KEY"
EMAIL_ENV = "ADRLENS_EMAIL"
SOURCE = "PubMed (NCBI E-utilities)"
TOOL = "adrlens"  # NCBI asks every program to name itself (tool=) and give a contact (email=)
PER_SECOND_NO_KEY = 3
PER_SECOND_WITH_KEY = 10
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_CONDITION_TERMS = 8  # a few synonyms; more make a long query with little gain
MAX_TOP = 100

PUBLICATION_TYPES: dict[str, str] = {
    "randomized controlled trial": '"randomized controlled trial"[Publication Type]',
    "meta-analysis": '"meta-analysis"[Publication Type]',
    "cohort study": '"cohort studies"[MeSH Terms]',  # no publication type exists for cohort studies
    "case report": '"case reports"[Publication Type]',
}
DRUG_MESH = '"{}/adverse effects"[MeSH Terms]'
CONDITION_MESH = '"{}/chemically induced"[MeSH Terms]'
TITLE_ABSTRACT = '"{}"[Title/Abstract]'
MESH_LAG_NOTE = "MeSH indexing lags publication by weeks to months: the newest articles are not counted"
UNKNOWN = "the count is unknown, not zero"
KEY_HINT = "set NCBI_API_KEY (free with an NCBI account: https://www.ncbi.nlm.nih.gov/account/) for 10 requests/s"


class PubMedError(AdrlensError):
    """PubMed answered with an error or with something that is not a usable count (never read as zero)."""


class PubMedUnavailableError(PubMedError):
    """PubMed could not be reached, did not answer in time, or kept refusing (rate limit, 5xx) after retries."""


@dataclass(frozen=True)
class PubMedArticle:
    pmid: str
    title: str
    journal: str | None
    year: str | None
    publication_types: tuple[str, ...]


@dataclass(frozen=True)
class PubMedResult:
    query: str  # the esearch term sent for the pair
    query_translation: str | None  # PubMed's querytranslation
    drug_as_mesh: bool  # the drug side was searched as a MeSH heading with /adverse effects
    condition_as_mesh: bool  # the condition side as MeSH with /chemically induced
    total: int
    by_publication_type: dict[str, int]  # every PUBLICATION_TYPES key present
    top: list[PubMedArticle]  # up to `top`, PubMed's relevance order, titles from esummary
    fetched_at: str  # ISO date of the oldest answer used (cache or network)
    from_cache: bool  # every answer came from the disk cache
    notes: list[str]


@dataclass(frozen=True)
class _Search:
    count: int
    ids: list[str]
    translation: str | None
    not_found: list[str]  # phrases PubMed did not find (it searched without them)


def _phrase(text: str) -> str:
    """A name as one PubMed phrase (quotes, brackets and slashes would change the query's meaning), in lower
    case: PubMed ignores case, so one spelling makes one query and one cache entry."""
    return " ".join(re.sub(r'["\[\]/]', " ", text).lower().split())


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _parse_search(body: dict[str, Any], what: str) -> _Search:
    res = body.get("esearchresult")
    if not isinstance(res, dict) or res.get("ERROR"):
        said = res.get("ERROR") if isinstance(res, dict) else body.get("error") or "no search result"
        raise PubMedError(f"PubMed answered {what} with an error ({str(said)[:200]}); {UNKNOWN}.")
    count, ids = str(res.get("count", "")), res.get("idlist", [])
    errors = res.get("errorlist") if isinstance(res.get("errorlist"), dict) else {}
    warnings = res.get("warninglist") if isinstance(res.get("warninglist"), dict) else {}
    if not count.isdigit() or not isinstance(ids, list) or not all(str(i).isdigit() for i in ids):
        raise PubMedError(f"PubMed's answer for {what} has no count or a damaged id list; {UNKNOWN}.")
    if int(count) < len(ids) or (int(count) > 0 and not ids and str(res.get("retmax", "0")) != "0"):
        raise PubMedError(f"PubMed's answer for {what} is inconsistent ({count} articles, {len(ids)} ids); {UNKNOWN}.")
    if errors.get("fieldsnotfound"):
        raise PubMedError(f"PubMed does not know the fields {errors['fieldsnotfound']} of {what}; {UNKNOWN}.")
    missing = [str(m) for m in [*(errors.get("phrasesnotfound") or []), *(warnings.get("quotedphrasesnotfound") or [])]]
    return _Search(int(count), [str(i) for i in ids], str(res.get("querytranslation") or "") or None, missing)


def _parse_summary(body: dict[str, Any], what: str) -> dict[str, dict[str, Any]]:
    res = body.get("result")
    if not isinstance(res, dict) or not isinstance(res.get("uids"), list):
        said = f" ({str(body['error'])[:200]})" if body.get("error") else ""
        raise PubMedError(f"PubMed's summaries for {what} are missing{said}; try again later.")
    return {k: v for k, v in res.items() if k != "uids" and isinstance(v, dict)}


def _article(pmid: str, doc: dict[str, Any] | None) -> PubMedArticle | None:
    if not doc or doc.get("error") or not str(doc.get("title") or "").strip():
        return None
    year = re.search(r"\b(1[89]|2\d)\d{2}\b", str(doc.get("pubdate") or doc.get("sortpubdate") or ""))
    journal = str(doc.get("source") or doc.get("fulljournalname") or "").strip() or None
    types = doc.get("pubtype") if isinstance(doc.get("pubtype"), list) else []
    return PubMedArticle(
        pmid, str(doc["title"]).strip(), journal, year.group(0) if year else None, tuple(map(str, types))
    )


class PubMedClient:
    """Literature counts for a drug-condition pair from PubMed, polite and honest about what it does not know."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        cache: ResponseCache | None = None,
        max_retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        email: str | None = None,
    ) -> None:
        self.api_key = (api_key if api_key is not None else os.environ.get(API_KEY_ENV)) or None
        self.email = (email if email is not None else os.environ.get(EMAIL_ENV)) or None
        base = base_url or os.environ.get(EUTILS_URL_ENV) or EUTILS_URL
        self.base_url = base if base.endswith("/") else base + "/"
        self.deadline = net.deadline_seconds(timeout)  # each call, retries and back-off included
        self.interval = 1.0 / (PER_SECOND_WITH_KEY if self.api_key else PER_SECOND_NO_KEY)
        self.max_retries = max_retries
        self.backoff = backoff
        self.cache = cache
        self._sleep = sleep
        self._clock = clock
        self._next_slot: float | None = None
        self.requests_made = 0
        self._http = httpx.Client(transport=transport, timeout=net.default_timeout(), headers={"User-Agent": TOOL})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PubMedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the pair -----------------------------------------------------------------------------------------
    def search_pair(self, drug: str, condition_terms: Sequence[str], top: int = 5) -> PubMedResult:
        """Articles on `drug` causing the condition named by `condition_terms` (name and synonyms)."""
        name = _phrase(drug)
        terms = list({_norm(p): p for t in condition_terms if (p := _phrase(t))}.values())[:MAX_CONDITION_TERMS]
        if not name:
            raise PubMedError("No drug name given for the PubMed search; name an ingredient.")
        if not terms:
            raise PubMedError("No condition term given for the PubMed search; name the condition.")
        top = max(0, min(int(top), MAX_TOP))
        seen: list[tuple[str, bool]] = []  # (fetched_at, from cache) of every answer used
        notes: list[str] = []
        drug_mesh = cond_mesh = True
        for _ in range(4):  # each round drops or re-fields what PubMed did not find; 3 settle every case
            query = self._pair_query(name, drug_mesh, terms, cond_mesh)
            found = self._esearch(query, top, seen, pair=True)
            total = found.count
            if not found.not_found:
                break
            drug_missing, cond_missing = self._attribute(found.not_found, name, terms, query)
            if (drug_missing and not drug_mesh) or (not cond_mesh and len(cond_missing) == len(terms)):
                side = name if drug_missing and not drug_mesh else " / ".join(terms)
                notes.append(f"PubMed finds no article naming {side} in its title or abstract")
                total = 0  # PubMed's own count searched without that side: the pair has no article
                break
            if drug_missing and drug_mesh:
                drug_mesh = False
                notes.append(f"{name} is no MeSH heading in PubMed: searched in titles and abstracts")
            if cond_missing:
                kept = [t for t in terms if _norm(t) not in cond_missing]
                if kept:
                    notes.append(f"PubMed does not know {', '.join(sorted(cond_missing))}: searched the other terms")
                    terms = kept
                else:
                    cond_mesh = False
                    notes.append("the condition is no MeSH heading in PubMed: searched in titles and abstracts")
        else:
            raise PubMedError(f"PubMed kept changing the search for {name}; {UNKNOWN}.")
        if drug_mesh or cond_mesh:
            notes.append(MESH_LAG_NOTE)
        by_type = dict.fromkeys(PUBLICATION_TYPES, 0)
        articles: list[PubMedArticle] = []
        if total:  # a zero pair is zero for every kind of study: no more requests
            by_type = {k: self._esearch(f"{query} AND {c}", 0, seen).count for k, c in PUBLICATION_TYPES.items()}
            articles = self._summaries(found.ids[:top], seen, notes)
        fetched_at, from_cache = min(at for at, _ in seen), all(cached for _, cached in seen)
        return PubMedResult(
            query, found.translation, drug_mesh, cond_mesh, total, by_type, articles, fetched_at, from_cache, notes
        )

    @staticmethod
    def _pair_query(drug: str, drug_mesh: bool, terms: list[str], cond_mesh: bool) -> str:
        drug_side = (DRUG_MESH if drug_mesh else TITLE_ABSTRACT).format(drug)
        form = CONDITION_MESH if cond_mesh else TITLE_ABSTRACT
        cond = [form.format(t) for t in terms]
        cond_side = cond[0] if len(cond) == 1 else "(" + " OR ".join(cond) + ")"
        return f"{drug_side} AND {cond_side}"

    @staticmethod
    def _attribute(missing: list[str], drug: str, terms: list[str], query: str) -> tuple[bool, set[str]]:
        """Which side each phrase PubMed did not find belongs to; anything else makes the count unknown."""
        drug_words, term_words = set(_norm(drug).split()), {_norm(t): set(_norm(t).split()) for t in terms}
        drug_missing, cond_missing = False, set()
        for phrase in missing:
            head = _norm(re.sub(r"\[[^\]]*\]\s*$", "", phrase).replace('"', "").split("/")[0])
            if head == _norm(drug) or (head and set(head.split()) <= drug_words):
                drug_missing = True
            elif match := [t for t, words in term_words.items() if head == t or (head and set(head.split()) <= words)]:
                cond_missing.update(match)
            else:
                raise PubMedError(f"PubMed did not understand part of the search {query} ({phrase}); {UNKNOWN}.")
        return drug_missing, cond_missing

    def _summaries(self, ids: list[str], seen: list[tuple[str, bool]], notes: list[str]) -> list[PubMedArticle]:
        if not ids:
            return []
        what = f"PMIDs {','.join(ids)}"
        docs = self._answer("esummary.fcgi", {"id": ",".join(ids)}, lambda b: _parse_summary(b, what), seen)
        articles = [a for pmid in ids if (a := _article(pmid, docs.get(pmid)))]
        lost = [pmid for pmid in ids if pmid not in {a.pmid for a in articles}]
        if lost:
            notes.append(f"PubMed gave no title for PMID {', '.join(lost)}")
        return articles

    # -- one answer: the cache, else the network ----------------------------------------------------------
    def _esearch(self, term: str, retmax: int, seen: list[tuple[str, bool]], pair: bool = False) -> _Search:
        params: dict[str, str | int] = {"term": term, "retmax": retmax, **({"sort": "relevance"} if pair else {})}
        found = self._answer("esearch.fcgi", params, lambda b: _parse_search(b, f"the search {term}"), seen)
        if found.not_found and not pair:  # a count by type PubMed ran without part of its search is no count
            raise PubMedError(f"PubMed did not find {', '.join(found.not_found)} in the search {term}; {UNKNOWN}.")
        return found

    def _answer(self, endpoint: str, params: dict[str, str | int], parse: Callable[[dict], Any], seen: list) -> Any:
        """Parsed answer of one E-utility; a usable one is kept in the cache (without key and e-mail)."""
        url = self.base_url + endpoint
        public: dict[str, str | int] = {"db": "pubmed", "retmode": "json", **params}
        if self.cache is not None:
            kept = self.cache.get(url, public)
            if kept is not None and isinstance(kept.body, dict):
                with contextlib.suppress(PubMedError):  # a kept answer that no longer parses is fetched again
                    parsed = parse(kept.body)
                    seen.append((kept.fetched_at, True))
                    return parsed
        sent = {**public, "tool": TOOL}
        sent.update({k: v for k, v in (("email", self.email), ("api_key", self.api_key)) if v})
        body = self._get(url, sent, str(params.get("term") or endpoint))
        parsed = parse(body)  # raises before anything unusable reaches the cache
        seen.append((self.cache.put(url, public, body) if self.cache is not None else now_iso(), False))
        return parsed

    # -- HTTP ---------------------------------------------------------------------------------------------
    def _throttle(self) -> None:
        """Space requests by 1/3 s (1/10 s with a key): NCBI blocks a site that sends more."""
        now = self._clock()
        if self._next_slot is not None and self._next_slot > now:
            self._sleep(self._next_slot - now)
        self._next_slot = max(self._clock(), self._next_slot or 0.0) + self.interval
        self.requests_made += 1

    def _get(self, url: str, params: dict[str, str | int], what: str) -> dict[str, Any]:
        """One GET over the network -> its JSON object; retries 429/5xx/timeouts; raises on anything else."""
        deadline = net.Deadline(self.deadline, self._clock)
        attempts = self.max_retries + 1
        last = ""
        for attempt in range(attempts):
            paused = self._clock()
            self._throttle()
            deadline.extend(self._clock() - paused)  # waiting for our own rate limit is no network wait
            try:
                resp, content = net.get_within(self._http, url, params, deadline)
            except httpx.TimeoutException:
                last, wait = "timed out", net.backoff(attempt, self.backoff)
                if attempt + 1 < attempts and deadline.remaining() > wait:
                    self._sleep(wait)
                    continue
                raise self._too_slow() from None
            except httpx.TransportError as exc:  # DNS, refused, offline: retrying now will not help
                raise PubMedUnavailableError(
                    f"PubMed is unreachable ({type(exc).__name__}: {str(exc)[:200]}); check your connection or proxy."
                ) from None
            body = net.json_object(content)
            if resp.status_code == 200:
                if body is None:
                    raise PubMedError(f"PubMed's answer for {what} is not JSON; {UNKNOWN}.")
                return body
            said = str(body.get("error") or "")[:200] if body else ""
            last = f"HTTP {resp.status_code}" + (f" {said}" if said else "")
            if resp.status_code not in RETRY_STATUSES:
                raise PubMedError(f"PubMed rejected {what} ({last}); {UNKNOWN}.")
            if attempt + 1 < attempts:
                wait = net.backoff(attempt, self.backoff, net.retry_after(resp.headers.get("Retry-After")))
                if deadline.remaining() <= wait:  # the pause would outlast the call's deadline
                    raise self._too_slow(f" (it kept answering {last})")
                self._sleep(wait)
                continue
        if last.startswith("HTTP 429"):
            raise PubMedUnavailableError(
                f"PubMed rate limited adrlens ({last}) {attempts} times; {UNKNOWN}. "
                + ("Wait a minute and ask again." if self.api_key else f"Wait a minute, or {KEY_HINT}.")
            )
        raise PubMedUnavailableError(f"PubMed kept failing ({last}) after {attempts} attempts; {UNKNOWN}. Try later.")

    def _too_slow(self, detail: str = "") -> PubMedUnavailableError:
        host = httpx.URL(self.base_url).host or self.base_url
        return PubMedUnavailableError(
            f"PubMed ({host}) did not answer within {self.deadline:g} s{detail}; {net.TIMEOUT_HINT}."
        )
