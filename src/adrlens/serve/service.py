"""What the server does, apart from HTTP: warm engines, a cache of finished answers, and the screening tables.

    svc = Service(ServeSettings(store=Path("stores/adrlens.duckdb")))
    svc.answer_json(question="Can amlodipine cause peripheral neuropathy?")   # bytes, the `ask --format json` JSON
    svc.drug_signals("Norvasc", TableQuery(sort="eb05"))

One Service per process. It opens the store read-only (refusing a store whose build did not complete) and keeps
`settings.engines` Engines, each with its own DuckDB connection, so that answers run side by side without sharing
a connection; vocabularies are loaded once at start, not per request. The API and the web pages both call it.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import queue
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from adrlens import __version__, lookup
from adrlens.engine import Engine
from adrlens.errors import AdrlensError, ResolutionError
from adrlens.jsonsafe import json_safe
from adrlens.model import Answer
from adrlens.serve.settings import RETRY_AFTER_S, ServeSettings
from adrlens.signals.pair import trend
from adrlens.signals.tables import SignalSettings
from adrlens.sources import registry
from adrlens.sources.online.settings import OnlineSettings
from adrlens.store import db, queries, screening
from adrlens.store.screening import TableQuery
from adrlens.vocab.resolve import (
    condition_vocabulary,
    describe_condition,
    drug_vocabulary,
    resolve_condition,
    resolve_drug,
)

SUGGEST_KINDS = ("drug", "brand", "vaccine", "condition", "lay term", "reported term")
_WORD = re.compile(r"[a-z0-9]+")


class Busy(AdrlensError):
    """Too many new questions are waiting for an engine: come back in `retry_after` seconds (HTTP 503)."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER_S) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OnlineNotEnabled(AdrlensError):
    """An answer with online sources asked of a server started without --online (HTTP 400)."""


@dataclass(frozen=True)
class Suggestion:
    """One autocomplete entry: the text to show, what kind of name it is, and what it stands for."""

    text: str
    kind: str  # one of SUGGEST_KINDS
    means: str  # the ingredient, vaccine or condition concept the text resolves to
    cases: int  # reports holding it in the store (ranks the entries)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind, "means": self.means, "cases": self.cases}


class _SuggestIndex:
    """Autocomplete entries sorted by key, and every later word of a key sorted with its entry: a prefix is
    two binary searches, not a scan (the names run to some 18,000)."""

    def __init__(self, entries: dict[str, Suggestion]) -> None:
        items = sorted(entries.items())
        self.keys = [k for k, _ in items]
        self.entries = [e for _, e in items]
        words = sorted((w, i) for i, k in enumerate(self.keys) for w in set(_WORD.findall(k)[1:]))
        self.words = [w for w, _ in words]
        self.word_entry = [i for _, i in words]

    def _range(self, keys: list[str], prefix: str, cap: int) -> range:
        lo = bisect.bisect_left(keys, prefix)
        hi = bisect.bisect_left(keys, prefix + "\uffff", lo)
        return range(lo, min(hi, lo + cap))

    def starting(self, prefix: str, cap: int = 500) -> list[Suggestion]:
        return [self.entries[i] for i in self._range(self.keys, prefix, cap)]

    def word_starting(self, prefix: str, cap: int = 500) -> list[Suggestion]:
        idx = dict.fromkeys(self.word_entry[j] for j in self._range(self.words, prefix, cap))
        return [self.entries[i] for i in idx]


class _AnswerCache:
    """A bounded LRU of finished work (an answer with its JSON bytes; a table page), shared by threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: tuple, item: dict[str, Any]) -> None:
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._items), "size": self.size, "hits": self.hits, "misses": self.misses}


class Service:
    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.store = settings.store
        # StoreError, with the rebuild command, for a missing or incomplete store. The tables' connection: each
        # request takes its own cursor.
        self.con = db.connect(self.store)
        self.marker = db.read_marker(self.con) or {}
        self.report_sources = queries.sources_in_store(self.con)  # the store never changes under a running server
        self._engines: queue.Queue[Engine] = queue.Queue()
        for _ in range(max(1, settings.engines)):
            self._engines.put(Engine(self.store))
        self._cache = _AnswerCache(settings.answer_cache_size)
        self._tables = _AnswerCache(settings.table_cache_size)  # screening pages, by drug or condition and query
        # Answers are computed on a pool of one thread per engine: a request waiting for an engine waits as an
        # awaitable on the event loop, not as a blocked thread that would keep cached answers from being served.
        self._pool = ThreadPoolExecutor(max_workers=max(1, settings.engines), thread_name_prefix="adrlens-answer")
        self._inflight: dict[tuple, asyncio.Future] = {}  # one computation per question, however many ask it
        self._suggest_lock = threading.Lock()
        self._suggest_index: _SuggestIndex | None = None
        self.warm()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        while not self._engines.empty():
            self._engines.get_nowait().close()
        self.con.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def warm(self) -> None:
        """Load the vocabularies and the autocomplete index now, so the first request is not the slow one."""
        resolve_drug("amlodipine")
        resolve_condition("headache")
        self._suggestions()

    @contextlib.contextmanager
    def _engine(self) -> Iterator[Engine]:
        eng = self._engines.get()
        try:
            yield eng
        finally:
            self._engines.put(eng)

    # -- answers -------------------------------------------------------------------------------------------
    @staticmethod
    def _key(question: str | None, drug: str | None, condition: str | None, scope: str, online: bool = False) -> tuple:
        # Case is kept: the answer repeats the question as asked.
        return (" ".join((question or "").split()), drug, condition, scope, online)

    def _compute(
        self,
        key: tuple,
        question: str | None,
        drug: str | None,
        condition: str | None,
        scope: str,
        online: bool = False,
    ):
        with self._engine() as eng:
            # Online answers come from the disk cache of the services' answers after the first ask.
            settings = OnlineSettings() if online else None
            answer = eng.answer(question, drug=drug, condition=condition, scope=scope, online=settings)
        item = {"answer": answer, "json": json.dumps(answer.to_dict()).encode("utf-8")}
        # An answer missing an online source that could not be reached is not kept: the next ask tries again.
        if not any(s.get("status") == "unavailable" for s in answer.online.get("sources", ())):
            self._cache.put(key, item)
        return item

    def _answer_item(self, question: str | None, drug: str | None, condition: str | None, scope: str) -> dict[str, Any]:
        key = self._key(question, drug, condition, scope)
        item = self._cache.get(key)
        return item if item is not None else self._compute(key, question, drug, condition, scope)

    async def answer_item_async(
        self, question: str | None, drug: str | None, condition: str | None, scope: str = "narrow", online: bool = False
    ) -> dict[str, Any]:
        """The cached answer at once, else computed on the answer pool; concurrent requests for the same
        question share one computation (and its error). `online` needs a server started with --online."""
        if online and not self.settings.online:
            raise OnlineNotEnabled(
                "this server does not ask online sources; start it with `adrlens serve --online`, or leave out online"
            )
        key = self._key(question, drug, condition, scope, online)
        item = self._cache.get(key)
        if item is not None:
            return item
        pending = self._inflight.get(key)
        if pending is None:
            limit = self.settings.pending_per_engine * max(1, self.settings.engines)
            if len(self._inflight) >= limit:
                raise Busy(
                    f"{len(self._inflight)} new questions are being answered; ask again in a few seconds "
                    "(questions asked before are answered at once)."
                )
            loop = asyncio.get_running_loop()
            pending = asyncio.ensure_future(
                loop.run_in_executor(self._pool, self._compute, key, question, drug, condition, scope, online)
            )
            self._inflight[key] = pending
            pending.add_done_callback(lambda _f: self._inflight.pop(key, None))
        return await asyncio.shield(pending)

    def answer(
        self, question: str | None = None, drug: str | None = None, condition: str | None = None, scope: str = "narrow"
    ) -> Answer:
        return self._answer_item(question, drug, condition, scope)["answer"]

    def answer_json(
        self, question: str | None = None, drug: str | None = None, condition: str | None = None, scope: str = "narrow"
    ) -> bytes:
        """The answer as `adrlens ask --format json` prints it (docs/answer.schema.json), UTF-8 bytes."""
        return self._answer_item(question, drug, condition, scope)["json"]

    # -- one pair, every source ----------------------------------------------------------------------------
    def signal(self, drug: str, event: str, **options: Any) -> dict:
        """`adrlens signal --json` for a pair: options are those of lookup.signal (scope, role, by, sources,
        subgroup)."""
        return lookup.signal(drug, event, store=self.store, **options)

    def trend(self, drug: str, pt: str, source: str, role: str = "suspect") -> dict:
        """The cumulative quarterly 2x2 and measures of one (drug, PT) pair in one source."""
        d = resolve_drug(drug)
        if source not in self.report_sources:
            raise ResolutionError(f"source {source!r} is not in the store", kind=ResolutionError.UNKNOWN)
        term = pt.strip().lower()
        cur = self.con.cursor()
        try:
            points = trend(cur, d.name, [term], SignalSettings(source=source, role=role))
        finally:
            cur.close()
        return json_safe({"drug": d.name, "pt": term, "source": source, "role": role, "points": points})

    # -- screening tables ----------------------------------------------------------------------------------
    def _tabled(self, key: tuple, make: Callable[[], dict]) -> dict[str, Any]:
        """A screening table's cache entry ({"table": ...}, later "json" too), made and kept on a miss (the store
        never changes under a running server)."""
        hit = self._tables.get(key)
        if hit is None:
            hit = {"table": make()}
            self._tables.put(key, hit)
        return hit

    def _table_maker(self, kind: str, name: str, q: TableQuery, scope: str) -> tuple[tuple, Callable[[], dict]]:
        if kind == "drug":
            return ("drug", name, q), lambda: self._drug_signals(name, q)
        return ("condition", name, q, scope), lambda: self._condition_drugs(name, q, scope)

    async def table_json_async(self, kind: str, name: str, q: TableQuery, scope: str = "narrow") -> bytes:
        """A drug's ("drug") or a condition's ("condition") table as JSON bytes: a cached page at once on the
        event loop, a new one queried on a worker thread."""
        key, make = self._table_maker(kind, name, q, scope)
        hit = self._tables.get(key)
        if hit is None:
            hit = await asyncio.to_thread(self._tabled, key, make)
        if "json" not in hit:
            hit["json"] = json.dumps(hit["table"]).encode("utf-8")
        return hit["json"]

    def drug_signals(self, drug: str, q: TableQuery) -> dict:
        """Every PT of a drug in the all-pairs table, with a, E, the measures, labelled or not, class co-flags."""
        key, make = self._table_maker("drug", drug, q, "narrow")
        return self._tabled(key, make)["table"]

    def _drug_signals(self, drug: str, q: TableQuery) -> dict:
        d = resolve_drug(drug)
        cur = self.con.cursor()
        try:
            total, rows = screening.drug_signals(cur, d.name, q)
            cases = queries.drug_cases_by_source(cur, d.name)
        finally:
            cur.close()
        return json_safe(
            {
                "drug": {"input": drug, "name": d.name, "kind": d.kind, "matched": d.matched},
                "cases_by_source": cases,
                "query": q.__dict__,
                "page": q.page,
                "per_page": q.limit,
                "total": total,
                "rows": rows,
                "class_types": list(screening.CO_FLAG_CLASS_TYPES),
                "note": "Counts are reports, not patients; a flagged pair is a hypothesis, not proof that the drug "
                "causes the event.",
            }
        )

    def condition_drugs(self, condition: str, q: TableQuery, scope: str = "narrow") -> dict:
        """The drugs with reports of a condition's PTs, each by its best pair (highest EB05)."""
        key, make = self._table_maker("condition", condition, q, scope)
        return self._tabled(key, make)["table"]

    def _condition_drugs(self, condition: str, q: TableQuery, scope: str) -> dict:
        c = resolve_condition(condition, scope=scope)
        cur = self.con.cursor()
        try:
            total, rows = screening.condition_drugs(cur, list(c.pts), q)
        finally:
            cur.close()
        about = describe_condition(c)
        return json_safe(
            {
                "condition": {"input": condition, "label": c.label, "concept": c.concept_id, "scope": scope},
                "pts": list(c.pts),
                "about": about,
                "query": q.__dict__,
                "page": q.page,
                "per_page": q.limit,
                "total": total,
                "rows": rows,
                "note": "Each drug's row is its pair with the condition's terms that has the highest EB05 in any "
                "source; pts_flagged is how many of the terms the signal rule flags for it.",
            }
        )

    # -- autocomplete --------------------------------------------------------------------------------------
    def _suggestions(self) -> _SuggestIndex:
        with self._suggest_lock:
            if self._suggest_index is None:
                self._suggest_index = self._build_suggestions()
            return self._suggest_index

    def _build_suggestions(self) -> _SuggestIndex:
        """Every drug and vaccine the store holds with its brands, and every catalogue concept with its lay
        synonyms and every PT the reports hold, by lower-case key."""
        from adrlens.vocab.vaccines import all_vaccine_names

        drugs, pts = screening.store_names(self.con)
        entries: dict[str, Suggestion] = {}

        def add(text: str, kind: str, means: str, cases: int) -> None:
            key = " ".join(text.lower().split())
            old = entries.get(key)
            if key and (old is None or cases > old.cases):
                entries[key] = Suggestion(text, kind, means, cases)

        vocab = drug_vocabulary()
        vocab.all_synonyms()  # brands of every drug below: one pass over the index
        vaccines = all_vaccine_names()
        for ing, n in drugs.items():
            if ing in vaccines:
                add(ing, "vaccine", ing, n)
                for name in vaccines[ing][:8]:
                    add(name, "vaccine", ing, n)
                continue
            add(ing, "drug", ing, n)
            for brand in vocab.synonyms(ing, limit=6):
                add(brand.title(), "brand", ing, n)
        cvocab = condition_vocabulary()
        for concept in cvocab.concepts():
            n = sum(pts.get(p, 0) for p in concept.narrow)
            add(concept.name, "condition", concept.name, n)
            for s in concept.synonyms:
                add(s, "lay term", concept.name, n)
        for pt, n in pts.items():
            add(cvocab.pt_display(pt), "reported term", pt, n)
        return _SuggestIndex(entries)

    def suggest(self, text: str, limit: int = 10, kinds: tuple[str, ...] = SUGGEST_KINDS) -> list[dict[str, Any]]:
        """Names starting with `text` (or with a word starting with it), most reported first."""
        prefix = " ".join(text.lower().split())
        if not prefix:
            return []
        index = self._suggestions()
        starts = index.starting(prefix)
        words: list[Suggestion] = []
        if len(starts) < limit and len(prefix) >= 3:  # "neuropathy" finds "peripheral neuropathy" too
            found = {id(e) for e in starts}
            words = [e for e in index.word_starting(prefix) if id(e) not in found]
        ranked = sorted(starts, key=lambda s: -s.cases) + sorted(words, key=lambda s: -s.cases)
        return [s.to_dict() for s in ranked if s.kind in kinds][:limit]

    # -- provenance ----------------------------------------------------------------------------------------
    def sources(self) -> dict:
        """What the store was built from: report sources (files, periods, cases), files, priors, the build."""
        cur = self.con.cursor()
        try:
            summary = queries.source_summary(cur)
            files = [
                dict(zip(("source", "path", "sha256", "table", "quarter", "rows_read", "rows_loaded",
                          "rows_repaired", "rows_skipped", "ingested_at"), r, strict=True))
                for r in cur.execute(
                    "SELECT source, path, sha256, table_name, quarter, rows_read, rows_loaded, rows_repaired, "
                    "rows_skipped, ingested_at FROM ingest_log ORDER BY source, path, table_name"
                ).fetchall()
            ]  # fmt: skip
        finally:
            cur.close()
        with self._engine() as eng:
            methods = eng._methods()
        reports = [{"source": k, "name": registry.get(k).name, **v} for k, v in summary.items()]
        return json_safe(
            {
                "adrlens_version": __version__,
                "store": str(self.store),
                "built_at": self.marker.get("built_at"),
                "report_sources": reports,
                "files": files,
                "label_sources": methods.get("label_sources", []),
                "literature_sources": methods.get("literature_sources", []),
                "methods": methods,
            }
        )

    def health(self) -> dict:
        return {
            "status": "ok",
            "adrlens_version": __version__,
            "store": str(self.store),
            "built_at": self.marker.get("built_at"),
            "engines": self.settings.engines,
            "answer_cache": self._cache.stats(),
            "table_cache": self._tables.stats(),
        }
