"""The answer engine: a question in, an `adrlens.model.Answer` out.

    from adrlens.engine import Engine
    eng = Engine()                                    # opens (or first builds) the default store
    a = eng.answer("Can amlodipine cause peripheral neuropathy?")
    a.verdict.grade, a.verdict.headline

The engine keeps its vocabularies and a read-only store connection, so a warm answer is fast.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from adrlens import __version__
from adrlens.action import action_for, drug_class_names
from adrlens.build import ensure_store
from adrlens.evidence import PROVIDERS, EvidenceQuery, EvidenceSettings
from adrlens.evidence.online import summary as online_summary
from adrlens.evidence.reports import chart_data, describe_sources
from adrlens.model import Answer, ConditionInfo, DrugInfo, Evidence
from adrlens.related import related
from adrlens.signals import rules
from adrlens.signals.allpairs import prior_lines
from adrlens.sources.online.settings import OnlineSettings
from adrlens.store import db, queries
from adrlens.verdict import grade
from adrlens.vocab.resolve import describe_condition
from adrlens.wording import compose

_ENGINES: dict[str, Engine] = {}
_SCANS_REPORTS = frozenset(
    {
        "adrlens.evidence.reports",
        "adrlens.evidence.confounding",
        "adrlens.evidence.classeffect",
        "adrlens.evidence.stimulated",
    }
)


class Engine:
    def __init__(
        self, store: str | Path | None = None, progress=None, settings: EvidenceSettings | None = None
    ) -> None:
        self.settings = settings or EvidenceSettings()  # exposure and population of every report count
        self.store = ensure_store(Path(store) if store else None, progress=progress)
        self.con = db.connect(self.store)
        self.sources = describe_sources(self.con)
        self._methods_cache: dict | None = None

    def close(self) -> None:
        self.con.close()

    # -- question -> drug and condition ------------------------------------------------------------------
    def understand(self, question: str | None, drug: str | None, condition: str | None, scope: str):
        from adrlens.vocab.question import understand  # the vocabularies load on first use

        return understand(question, drug=drug, condition=condition, scope=scope)

    def answer(
        self,
        question: str | None = None,
        drug: str | None = None,
        condition: str | None = None,
        scope: str = "narrow",
        online: OnlineSettings | None = None,
    ) -> Answer:
        """The answer; `online` also asks openFDA and PubMed (adrlens.evidence.online), named apart."""
        u = self.understand(question, drug, condition, scope)
        settings = dataclasses.replace(self.settings, online=online) if online is not None else self.settings
        d, c = u.drug, u.condition
        narrow, broad = list(c.narrow), list(c.broad)
        drug_info = DrugInfo(
            input=drug or u.question.drug_text,
            name=d.name,
            kind=d.kind,
            matched=d.matched,
            method=d.method,
            profile=self._profile(d.name),
            synonyms=self._synonyms(d.name, d.kind),
        )
        cond_info = ConditionInfo(
            input=condition or u.question.condition_text,
            label=c.label,
            concept_id=c.concept_id,
            scope=scope,
            pts=list(c.pts),
            narrow=narrow,
            broad=broad,
            description=describe_condition(c),
        )
        q = EvidenceQuery(d.name, d.kind, c.label, tuple(narrow), tuple(broad))
        # The providers are independent: run them on separate cursors (DuckDB releases the GIL).
        # The providers that scan the reports start first, so the pool does not leave them for last.
        # The related questions need no evidence record: they are counted alongside, on a cursor of their own.
        with ThreadPoolExecutor(max_workers=3) as pool:
            related_future = pool.submit(self._related, d.name, c.label, narrow, broad, self.con.cursor())
            order = sorted(PROVIDERS, key=lambda p: p.__module__ not in _SCANS_REPORTS)
            futures = {p: pool.submit(p, self.con.cursor(), q, settings) for p in order}
            ev: list[Evidence] = [e for p in PROVIDERS for e in futures[p].result()]
            related_block = related_future.result()
        charts = chart_data(self.con, q, self.settings, ev)
        verdict = grade(ev, d.name, c.label)
        action = action_for(verdict, narrow, ev, d.name, drug_class_names(drug_info.profile))
        answer = Answer(
            question=question or f"Can {drug} cause {condition}?",
            drug=drug_info,
            condition=cond_info,
            evidence=ev,
            verdict=verdict,
            charts=charts,
            related=related_block,
            methods=self._methods(),
            action=action.to_dict(),
            generated_at=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            online=online_summary(ev, online),
        )
        # Every sentence a person reads is written once, by adrlens.wording; the headline is the short answer.
        answer.layers = compose(answer)
        verdict.headline = " ".join(answer.layers.short_answer)
        return answer

    # -- pieces ------------------------------------------------------------------------------------------
    def _profile(self, drug: str) -> dict | None:
        return queries.drug_profile(self.con, drug)

    def _synonyms(self, drug: str, kind: str) -> list[str]:
        if kind != "drug":
            from adrlens.vocab.vaccines import all_vaccine_names

            return all_vaccine_names().get(drug, [])[:6]
        from adrlens.vocab.drugs import DrugVocabulary

        return DrugVocabulary.load().synonyms(drug)[:6]

    def _related(self, drug: str, label: str, narrow: list[str], broad: list[str], cur=None) -> dict:
        cur = cur or self.con.cursor()
        try:
            return related(cur, drug, label, narrow, broad, self.settings)
        finally:
            cur.close()

    def _methods(self) -> dict:
        if self._methods_cache is None:
            self._methods_cache = self._compute_methods()
        return self._methods_cache

    def _compute_methods(self) -> dict:
        info = db.status(self.con, top_unmapped=0)
        mapped = {d["source"]: round(d["mapped"] / d["rows"], 4) if d["rows"] else None for d in info["drug_rows"]}
        return {
            "software": f"adrlens {__version__}",
            "store": str(self.store),
            "data_sources": [
                {**v, "source": k, "drug_rows_mapped_share": mapped.get(k)} for k, v in self.sources.items()
            ],
            "label_sources": ["SIDER 4.1 (2015)", "US SPL labels (TAC 2017 ADR track)", "EU SmPC (PROTECT, 2015)"],
            "literature_sources": [
                "ADE corpus v2 (Gurulingappa et al. 2012)",
                "MEDLINE MeSH drug-ADE (OHDSI LAERTES)",
                "SemMedDB predications (with negations)",
                "BioCreative V CDR chemical-induced-disease relations (Li et al. 2016)",
                "IOM 2012, Adverse Effects of Vaccines: Evidence and Causality (doi:10.17226/13164)",
            ],
            "deduplication": "one row per case: the latest version (highest caseversion, then latest FDA date, then "
            "highest primaryid); cases in FDA DELETE lists removed",
            "drug_mapping": "prod_ai first, then reported names through FAERS product map, UNII, RxNorm and "
            "brand lists; salts stripped; combinations split; vaccines by VAERS VAX_TYPE",
            "case_definition": "a case counts once when it carries any preferred term of the condition concept",
            "exposure": "drug reported as primary or secondary suspect (FAERS); every vaccine given (VAERS)",
            "measures": "PRR (Yates chi2), ROR, IC with Gamma credibility interval, EBGM (MGPS, 2-gamma prior fitted "
            "by maximum likelihood over all pairs of the source and its zero cells)",
            "ebgm": prior_lines(self.con),  # per source: converged with the prior, or why no EBGM is given
            "expected_count": "Mantel-Haenszel over age band x sex x report year for the pair; crude for all pairs",
            "thresholds": rules.methods_text(),
            "intervals": "95% for PRR and ROR (log scale), IC025-IC975, EB05-EB95",
            "limitations": "spontaneous reports: under-reporting, stimulated reporting, no denominator (no incidence), "
            "duplicates beyond case ids, confounding by indication",
        }


def answer(question: str, store: str | Path | None = None, online: OnlineSettings | bool | None = None) -> Answer:
    """Answer a free-text question (engine cached per store); `online=True` also asks openFDA and PubMed."""
    key = str(store or "")
    if key not in _ENGINES:
        _ENGINES[key] = Engine(store)
    return _ENGINES[key].answer(question, online=OnlineSettings() if online is True else online or None)


def answer_pair(drug: str, condition: str, store: str | Path | None = None) -> Answer:
    """Answer for a drug and a condition given separately (evaluation, API)."""
    key = str(store or "")
    if key not in _ENGINES:
        _ENGINES[key] = Engine(store)
    return _ENGINES[key].answer(drug=drug, condition=condition)
