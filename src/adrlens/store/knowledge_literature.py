"""The literature knowledge tables `literature_pair` and `literature_drug`, part of the knowledge build
(`adrlens.store.knowledge`): findings with stance, study type and PMID from every literature source."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from adrlens.sources.base import FileResult
from adrlens.sources.knowledge import literature as lit_src
from adrlens.store.knowledge_rows import STR, register_rows, schema_of
from adrlens.vocab.names import IngredientNamer
from adrlens.vocab.terms import map_to_pt
from adrlens.vocab.vaccines import resolve_vaccine

# -- literature -----------------------------------------------------------------------------------------
_POSSESSIVE = re.compile(r"'s\b|'")


def _unpossessive(text: str) -> str:
    """ "Reye's syndrome" and "Reye syndrome" -> one key (MeSH drops the possessive, MedDRA keeps it)."""
    return " ".join(_POSSESSIVE.sub("", text.lower().replace("’", "'")).split())


class _TermMapper:
    """Published condition term -> MedDRA PT name: `map_to_pt`, then the same without possessives."""

    def __init__(self, known_pts: set[str]) -> None:
        self._pts = known_pts
        self._by_key: dict[str, str] = {}
        for pt in sorted(known_pts):
            self._by_key.setdefault(_unpossessive(pt), pt)
        self._keys = set(self._by_key)

    def __call__(self, term: str) -> tuple[str | None, str | None]:
        pt, how = map_to_pt(term, self._pts)
        if pt is None:
            key, how2 = map_to_pt(_unpossessive(term), self._keys)
            if key is not None:
                return self._by_key[key], f"{how2}, possessive"
        return pt, how


class _LiteratureNamer:
    """Literature drug names -> ingredients or vaccine product groups.

    MeSH writes vaccines as headings ("Influenza Vaccines", "Measles-Mumps-Rubella Vaccine"); they go to
    the project's vaccine product groups (`adrlens.vocab.vaccines.resolve_vaccine`, the single-antigen
    group first), everything else to the drug namer. A MeSH major-topic star ("*Aspirin") is dropped."""

    def __init__(self, namer: IngredientNamer) -> None:
        self._namer = namer
        self._memo: dict[str, tuple[list[str], bool]] = {}

    def __call__(self, name: str) -> tuple[list[str], bool]:
        hit = self._memo.get(name)
        if hit is None:
            clean = name.strip().lstrip("*").strip()
            hit = self._namer(clean)
            if re.search(r"vaccin|toxoid", clean, re.IGNORECASE):
                for cand in (clean, re.sub(r"[-,]", " ", clean)):
                    groups = resolve_vaccine(cand)
                    if groups:
                        hit = ([groups[0]], True)
                        break
            self._memo[name] = hit
        return hit

    def best(self, names: list[str]) -> tuple[str, list[str], bool]:
        """The first name (most frequent mention first) that maps; abbreviations (< 4 letters) last."""
        ordered = sorted(names, key=lambda n: len(n) < 4)
        for n in ordered:
            ings, mapped = self(n)
            if mapped and ings:
                return n, ings, True
        ings, _ = self(ordered[0])
        return ordered[0], ings, False


def build_literature(
    con: duckdb.DuckDBPyConnection,
    namer: IngredientNamer,
    base: Path,
    known_pts: set[str],
    results: list[FileResult],
) -> None:
    """literature_pair (findings with stance, study type, PMID) and literature_drug (drugs named)."""
    lit_dir = base / "literature"
    drugs_dir = base / "vocab" / "drugs"
    names = _LiteratureNamer(namer)
    to_pt = _TermMapper(known_pts)
    ade, r_ade = lit_src.read_ade_corpus(lit_dir / "ade_corpus_v2" / "DRUG-AE.rel")
    med, med_mentions, r_med = lit_src.read_medline(
        lit_dir / "medline_mesh_ade", drugs_dir / "rxnorm" / "rxnorm_bioportal_2015.csv.gz"
    )
    sem, r_sem = lit_src.read_semmeddb(lit_dir / "semmeddb" / "drug_hoi_predications.nt.gz")
    mesh = lit_src.read_mesh_names(base / "vocab" / "conditions" / "mesh_2015" / "terms.tsv")
    cdr, cdr_mentions, r_cdr = lit_src.read_bc5cdr(lit_dir / "bc5cdr", mesh)
    reviews, r_rev = lit_src.read_curated_reviews()
    results += [r_ade, *r_med, r_sem, *r_cdr, r_rev]

    lit_rows: list[dict] = []
    mentions: set[tuple[str, str, str]] = set()  # (ingredient, source, pmid)
    for source, rows in (
        (lit_src.ADE_SOURCE, ade),
        (lit_src.MEDLINE_SOURCE, med),
        (lit_src.SEMMED_SOURCE, sem),
        (lit_src.BC5CDR_SOURCE, cdr),
        (lit_src.REVIEW_SOURCE, reviews),
    ):
        for r in rows:
            if r.get("drug_names"):
                drug_name, ings, mapped = names.best(r["drug_names"])
            else:
                drug_name = r["drug_name"]
                ings, mapped = names(drug_name)
            term, (pt, how) = r["term"], to_pt(r["term"])
            for alt in r.get("terms", [])[1:]:
                if pt is not None:
                    break
                alt_pt, alt_how = to_pt(alt)
                if alt_pt is not None:
                    term, pt, how = alt, alt_pt, alt_how
            notes = []
            if how and how != "exact":
                notes.append(f"term mapped to PT by {how}")
            if not mapped:
                notes.append(f"drug name {drug_name!r} not in the vocabulary")
            if len(ings) > 1:
                notes.append(f"combination: {' + '.join(ings)}")
            if r.get("agents"):
                notes.append(f"adverse-effect agents indexed: {r['agents']}")
            for ing in ings:
                mentions.add((ing, source, r["pmid"]))
                lit_rows.append(
                    {
                        "ingredient": ing,
                        "pt_or_term": pt or " ".join(term.lower().split()),
                        "pt": pt,
                        "term": term,
                        "source": source,
                        "pmid": r["pmid"],
                        "study_type": r["study_type"],
                        "stance": r["stance"],
                        "predicate": r["predicate"],
                        "sentence": r.get("sentence") or None,
                        "drug_name": drug_name,
                        "note": "; ".join(notes) or None,
                    }
                )
    for source, rows in ((lit_src.MEDLINE_SOURCE, med_mentions), (lit_src.BC5CDR_SOURCE, cdr_mentions)):
        for r in rows:
            _name, ings, mapped = names.best(r["drug_names"]) if "drug_names" in r else ("", *names(r["drug_name"]))
            if mapped:
                mentions.update((ing, source, r["pmid"]) for ing in ings)
    register_rows(
        con,
        "_k_lit",
        lit_rows,
        schema_of(
            ingredient=STR,
            pt_or_term=STR,
            pt=STR,
            term=STR,
            source=STR,
            pmid=STR,
            study_type=STR,
            stance=STR,
            predicate=STR,
            sentence=STR,
            drug_name=STR,
            note=STR,
        ),
    )
    con.execute(
        "CREATE OR REPLACE TABLE literature_pair AS SELECT DISTINCT * FROM _k_lit "
        "ORDER BY ingredient, pt_or_term, source, stance, pmid"
    )
    register_rows(
        con,
        "_k_litdrug",
        [{"ingredient": i, "source": s, "pmid": p} for i, s, p in sorted(mentions)],
        schema_of(ingredient=STR, source=STR, pmid=STR),
    )
    con.execute(
        "CREATE OR REPLACE TABLE literature_drug AS SELECT ingredient, source, count(DISTINCT pmid) AS n_articles "
        "FROM _k_litdrug GROUP BY ALL ORDER BY ingredient, source"
    )
    for t in ("_k_lit", "_k_litdrug"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
