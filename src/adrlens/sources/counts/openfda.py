"""openFDA drug/event API client (online mode): report counts -> the common 2x2 `PairCounts`.

The 2x2 for (drug, event) comes from four searches on https://api.fda.gov/drug/event.json, each asking
only for `meta.results.total` (limit=1):

    a   = reports matching  drug AND event
    a+b = reports matching  drug
    a+c = reports matching  event
    N   = all reports (in the period, when one is given)

openFDA counts *reports* (the latest version of each safety report, not deduplicated across senders), and
its nested drug fields cannot be tied to one drug entry, so "suspect only" cannot be expressed per drug.

Rules this client never breaks:
* an error is never a zero: only HTTP 404 with openFDA's documented body
  {"error": {"code": "NOT_FOUND", ...}} means "no matching reports";
* a truncated count (count= queries return at most 1000 buckets) never turns a missing term into 0;
* it keeps under openFDA's limits (240 requests/min; 1,000/day without a key, 120,000/day with one from
  $OPENFDA_API_KEY) and retries 429/5xx politely, honouring Retry-After;
* offline, it raises `OpenFdaUnavailableError` pointing at the local FAERS store;
* every query, retries included, ends by its deadline (`adrlens.sources.net`: --timeout, $ADRLENS_TIMEOUT),
  with "openFDA did not answer within N s" instead of waiting on a proxy that never answers.

The HTTP transport is injectable (`transport=`), so tests serve openFDA-format fixtures through
`httpx.MockTransport` and never touch the network.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from adrlens.errors import AdrlensError
from adrlens.sources import net
from adrlens.sources.counts.base import (
    STATUS_COUNTED,
    STATUS_ZERO,
    UNIT_REPORTS,
    PairCounts,
    normalise_drug,
    normalise_event,
)
from adrlens.sources.online.cache import ResponseCache, now_iso

OPENFDA_EVENT_URL = "https://api.fda.gov/drug/event.json"
OPENFDA_URL_ENV = "ADRLENS_OPENFDA_URL"  # another endpoint (a mirror, a test server) instead of OPENFDA_EVENT_URL
MAX_COUNT_BUCKETS = 1000  # openFDA's cap on count= results
PER_MINUTE = 240
PER_DAY_NO_KEY = 1_000
PER_DAY_WITH_KEY = 120_000
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SOURCE = "openfda"

# Drug fields ORed together: the harmonised generic name (missing for some reports, see FDA/openfda#77),
# FAERS's active substance (2014 on) and the verbatim product name (all years). Phrase matches, so
# "amlodipine" also finds "AMLODIPINE BESYLATE" and combination products containing it.
DEFAULT_DRUG_FIELDS = (
    "patient.drug.openfda.generic_name",
    "patient.drug.activesubstance.activesubstancename",
    "patient.drug.medicinalproduct",
)
EVENT_FIELD = "patient.reaction.reactionmeddrapt.exact"  # exact match: "paraesthesia" != "paraesthesia oral"

UNREACHABLE_HINT = (
    "use a local FAERS store instead: adrlens ingest <folder of FAERS quarterly zips> (see `adrlens --help`)"
)


class OpenFdaError(AdrlensError):
    """openFDA answered with an error or something that is not a usable count."""


class OpenFdaUnavailableError(OpenFdaError):
    """openFDA could not be reached (offline, DNS, timeout)."""


class OpenFdaRateLimitError(OpenFdaError):
    """openFDA's request quota is exhausted (or would be) and waiting is not sensible."""


@dataclass(frozen=True)
class CountResult:
    """Buckets of one count= query. `truncated`: openFDA returned its maximum, more terms may exist."""

    field: str
    search: str | None
    buckets: dict[str, int]
    truncated: bool

    def get(self, term: str) -> int | None:
        """The count for a term; 0 only when the list is complete, None (unknown) when truncated."""
        if term in self.buckets:
            return self.buckets[term]
        return None if self.truncated else 0


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def drug_search(drug: str, fields: Iterable[str] = DEFAULT_DRUG_FIELDS) -> str:
    """openFDA search clause for an ingredient (lower case is fine: these fields are analysed)."""
    name = _quote(drug.strip())
    parts = [f"{f}:{name}" for f in fields]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def event_search(events: str | Iterable[str]) -> str:
    """openFDA search clause for one PT or any of several (exact, upper case as openFDA indexes them)."""
    evs = [events] if isinstance(events, str) else list(events)
    terms = sorted({e.strip().upper() for e in evs if e.strip()})  # canonical order: same clause, same cache
    if not terms:
        raise OpenFdaError("No event term given; name at least one MedDRA preferred term.")
    parts = [f"{EVENT_FIELD}:{_quote(t)}" for t in terms]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def period_search(start: str, end: str) -> str:
    """receivedate range clause; start/end as YYYYMMDD."""
    for v in (start, end):
        if not (len(v) == 8 and v.isdigit()):
            raise OpenFdaError(f"Period bounds must be YYYYMMDD dates, got {v!r}.")
    return f"receivedate:[{start} TO {end}]"


def _and(*clauses: str | None) -> str | None:
    parts = [c for c in clauses if c]
    return " AND ".join(parts) if parts else None


class OpenFdaClient:
    """Counts from openFDA's drug/event endpoint, polite and honest about what it does not know."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        per_minute: int = PER_MINUTE,
        per_day: int | None = None,
        drug_fields: Iterable[str] = DEFAULT_DRUG_FIELDS,
        period: tuple[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        cache: ResponseCache | None = None,
    ) -> None:
        self.api_key = api_key if api_key is not None else (os.environ.get("OPENFDA_API_KEY") or None)
        self.base_url = base_url or os.environ.get(OPENFDA_URL_ENV) or OPENFDA_EVENT_URL
        # Each query, retries and back-off included, ends by this many seconds (see adrlens.sources.net).
        self.deadline = net.deadline_seconds(timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.per_minute = per_minute
        self.per_day = per_day or (PER_DAY_WITH_KEY if self.api_key else PER_DAY_NO_KEY)
        self.drug_fields = tuple(drug_fields)
        self.period = period
        self._period_clause = period_search(*period) if period else None
        self._sleep = sleep
        self._clock = clock
        self._recent: deque[float] = deque()
        self._day: deque[float] = deque()
        self.requests_made = 0
        self._http = httpx.Client(transport=transport, timeout=net.default_timeout(), headers={"User-Agent": "adrlens"})
        self._totals: dict[str | None, int] = {}
        self.cache = cache  # usable answers kept on disk with their date (adrlens.sources.online.cache)
        self.fetched_at: list[str] = []  # when each answer used came from the network (cached or now)
        self.cache_hits = 0  # answers of this client served from the disk cache

    # -- lifecycle ----------------------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OpenFdaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- rate limiting ------------------------------------------------------------------------------------
    def _throttle(self) -> None:
        now = self._clock()
        while self._day and now - self._day[0] >= 86_400:
            self._day.popleft()
        if len(self._day) >= self.per_day:
            raise OpenFdaRateLimitError(
                f"openFDA allows {self.per_day:,} requests a day "
                f"{'with this key' if self.api_key else 'without an API key'}; this session has used them. "
                "Set OPENFDA_API_KEY (free at https://open.fda.gov/apis/authentication/) or " + UNREACHABLE_HINT
            )
        while self._recent and now - self._recent[0] >= 60:
            self._recent.popleft()
        if len(self._recent) >= self.per_minute:
            wait = 60 - (now - self._recent[0])
            if wait > 0:
                self._sleep(wait)
            now = self._clock()
            while self._recent and now - self._recent[0] >= 60:
                self._recent.popleft()
        self._recent.append(now)
        self._day.append(now)
        self.requests_made += 1

    # -- HTTP ---------------------------------------------------------------------------------------------
    def get_json(self, params: dict[str, str | int], url: str | None = None) -> dict | None:
        """One query to `url` (default: the event endpoint) -> parsed JSON, or None for openFDA's documented
        'no matches' 404. Served from the disk cache when it holds the answer; kept there when usable."""
        url = url or self.base_url
        if self.cache is not None:
            kept = self.cache.get(url, params)
            if kept is not None:
                self.fetched_at.append(kept.fetched_at)
                self.cache_hits += 1
                return kept.body
        body = self._get(params, url)
        if self.cache is not None:
            self.fetched_at.append(self.cache.put(url, params, body))
        else:
            self.fetched_at.append(now_iso())
        return body

    def _get(self, params: dict[str, str | int], url: str | None = None) -> dict | None:
        """One query over the network -> parsed JSON, or None for openFDA's documented 'no matches' 404."""
        url = url or self.base_url
        if self.api_key:
            params = {**params, "api_key": self.api_key}
        what = f"search={params.get('search', '(all reports)')}" + (
            f" count={params['count']}" if "count" in params else ""
        )
        last = ""
        deadline = net.Deadline(self.deadline, self._clock)
        for attempt in range(self.max_retries + 1):
            paused = self._clock()
            self._throttle()
            deadline.extend(self._clock() - paused)  # waiting for our own rate limit is no network wait
            try:
                resp, content = net.get_within(self._http, url, params, deadline)
            except httpx.TimeoutException as exc:
                last = f"timed out ({type(exc).__name__})"
                wait = net.backoff(attempt, self.backoff, None, self.max_wait)
                if attempt < self.max_retries and deadline.remaining() > wait + 1:
                    self._sleep(wait)
                    continue
                raise self._too_slow() from None
            except httpx.TransportError as exc:  # DNS, refused, offline: retrying will not help now
                raise OpenFdaUnavailableError(
                    f"openFDA is unreachable ({type(exc).__name__}: {str(exc)[:200]}); {UNREACHABLE_HINT}"
                ) from None
            body = net.json_object(content)
            if resp.status_code == 200:
                if body is None:
                    raise OpenFdaError(f"openFDA returned a non-JSON answer for {what}; try again later.")
                return body
            err = body.get("error", {}) if isinstance(body, dict) else {}
            code = err.get("code") if isinstance(err, dict) else None
            message = err.get("message", "") if isinstance(err, dict) else ""
            if resp.status_code == 404 and code == "NOT_FOUND":
                return None  # documented: the query is valid and matched no report
            if resp.status_code in RETRY_STATUSES:
                last = f"HTTP {resp.status_code} {code or ''} {message}".strip()
                if attempt < self.max_retries:
                    hinted = net.retry_after(resp.headers.get("Retry-After"))
                    if hinted is not None and hinted > self.max_wait:
                        raise OpenFdaRateLimitError(
                            f"openFDA asks to wait {hinted:.0f} s ({last}) for {what}; try later, set "
                            f"OPENFDA_API_KEY, or {UNREACHABLE_HINT}"
                        )
                    wait = net.backoff(attempt, self.backoff, hinted, self.max_wait)
                    if deadline.remaining() <= wait:  # the pause would outlast the call's deadline
                        raise self._too_slow(f" (it kept answering {last})")
                    self._sleep(wait)
                    continue
                cls = OpenFdaRateLimitError if resp.status_code == 429 else OpenFdaError
                raise cls(
                    f"openFDA kept failing for {what} after {self.max_retries + 1} attempts ({last}); "
                    f"the count is unknown, not zero. Try later or {UNREACHABLE_HINT}"
                )
            raise OpenFdaError(
                f"openFDA rejected {what}: HTTP {resp.status_code} {code or ''} {message}".strip()
                + ". Check the drug and event names."
            )
        raise OpenFdaError(f"openFDA kept failing for {what} ({last}).")  # pragma: no cover

    def _too_slow(self, detail: str = "") -> OpenFdaUnavailableError:
        host = httpx.URL(self.base_url).host or self.base_url
        return OpenFdaUnavailableError(
            f"openFDA ({host}) did not answer within {self.deadline:g} s{detail}; {net.TIMEOUT_HINT}. "
            f"Offline, {UNREACHABLE_HINT}"
        )

    # -- queries ------------------------------------------------------------------------------------------
    def total(self, search: str | None = None) -> int:
        """Number of reports matching `search` (ANDed with the client's period); 0 only for NOT_FOUND."""
        search = _and(search, self._period_clause)
        if search in self._totals:
            return self._totals[search]
        params: dict[str, str | int] = {"limit": 1}
        if search:
            params["search"] = search
        body = self.get_json(params)
        if body is None:
            value = 0
        else:
            try:
                value = int(body["meta"]["results"]["total"])
            except (KeyError, TypeError, ValueError) as exc:
                raise OpenFdaError(
                    f"openFDA's answer for search={search} has no meta.results.total; the count is unknown."
                ) from exc
        self._totals[search] = value
        return value

    def count(self, field: str, search: str | None = None, limit: int = MAX_COUNT_BUCKETS) -> CountResult:
        """A count= query: term -> number of reports, top `limit` (<= 1000) terms."""
        limit = max(1, min(int(limit), MAX_COUNT_BUCKETS))
        search = _and(search, self._period_clause)
        params: dict[str, str | int] = {"count": field, "limit": limit}
        if search:
            params["search"] = search
        body = self.get_json(params)
        if body is None:
            return CountResult(field, search, {}, truncated=False)
        rows = body.get("results")
        if not isinstance(rows, list):
            raise OpenFdaError(f"openFDA's count answer for {field} has no results list; the counts are unknown.")
        buckets: dict[str, int] = {}
        for r in rows:
            try:
                buckets[str(r["term"])] = int(r["count"])
            except (KeyError, TypeError, ValueError) as exc:
                raise OpenFdaError(f"openFDA returned a malformed count bucket {r!r} for {field}.") from exc
        return CountResult(field, search, buckets, truncated=len(rows) >= limit)

    def drug_clause(self, key: str) -> str:
        """A combination key ('amlodipine; benazepril') asks for reports naming every ingredient."""
        parts = [p for p in key.split("; ") if p]
        if not parts:
            raise OpenFdaError("No drug name given; name an ingredient or product.")
        return _and(*(drug_search(p, self.drug_fields) for p in parts)) or ""

    def pair(self, drug: str, event: str) -> PairCounts:
        """The 2x2 for one drug (ingredient) and one MedDRA PT, in reports."""
        return self._two_by_two(drug, [event], event_key=normalise_event(event))

    def concept(self, drug: str, events: list[str], concept_id: str | None = None) -> PairCounts:
        """The 2x2 for a set of PTs, each report counted once (an OR search does the union)."""
        evs = sorted({normalise_event(e) for e in events if e.strip()})
        key = concept_id or " | ".join(evs)
        return self._two_by_two(drug, evs, event_key=key)

    def _two_by_two(self, drug: str, events: list[str], event_key: str) -> PairCounts:
        dk = normalise_drug(drug)
        ds = self.drug_clause(dk)
        es = event_search(events)
        n = self.total(None)
        drug_total = self.total(ds)
        event_total = self.total(es)
        a = self.total(_and(ds, es))
        if not (a <= drug_total and a <= event_total and drug_total + event_total - a <= n):
            # counts taken moments apart while openFDA updates, or an index inconsistency: never guess
            raise OpenFdaError(
                f"openFDA's counts for {dk} x {event_key} are inconsistent (a={a}, drug={drug_total}, "
                f"event={event_total}, N={n}); try again later."
            )
        b, c = drug_total - a, event_total - a
        period = f"{self.period[0]}-{self.period[1]}" if self.period else None
        return PairCounts(
            source=SOURCE,
            drug=dk,
            event=event_key,
            a=a,
            b=b,
            c=c,
            d=n - a - b - c,
            n=n,
            unit=UNIT_REPORTS,
            status=STATUS_ZERO if a == 0 else STATUS_COUNTED,
            period=period,
            note=(
                "openFDA reports (latest version per safety report, not deduplicated across senders); drug "
                "matched in any role by generic/active-substance/product name, combination products included"
            ),
        )

    def drug_events(self, drug: str, limit: int = MAX_COUNT_BUCKETS) -> list[PairCounts]:
        """2x2s for the drug's most-reported PTs in three requests (drug count, all-PT count, totals).

        c needs the PT's total; it is known only when the PT is in the database-wide top list, else None.
        PTs beyond the drug's top `limit` are not returned (the answer says nothing about them).
        """
        dk = normalise_drug(drug)
        ds = self.drug_clause(dk)
        n = self.total(None)
        drug_total = self.total(ds)
        per_drug = self.count(EVENT_FIELD, ds, limit)
        overall = self.count(EVENT_FIELD, None, MAX_COUNT_BUCKETS)
        out = []
        period = f"{self.period[0]}-{self.period[1]}" if self.period else None
        for term, a in per_drug.buckets.items():
            # a term missing from the database-wide list is unknown, never 0: it has at least `a` reports
            ev_total = overall.buckets.get(term)
            c = ev_total - a if ev_total is not None and ev_total >= a else None
            out.append(
                PairCounts(
                    SOURCE,
                    dk,
                    normalise_event(term),
                    a,
                    drug_total - a,
                    c,
                    (n - drug_total - c) if c is not None else None,
                    n,
                    UNIT_REPORTS,
                    STATUS_COUNTED,
                    period,
                    None if c is not None else "PT total unknown: not in openFDA's top-1000 PT list",
                )
            )
        return out
