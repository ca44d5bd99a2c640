"""The pharmacogenomic knowledge table `pgx_risk` (PharmGKB level 1A/1B toxicity annotations, CPIC pairs),
part of the knowledge build (`adrlens.store.knowledge`)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from adrlens.sources.base import FileResult
from adrlens.sources.knowledge import pgx as pgx_src
from adrlens.store.knowledge_rows import STR, register_rows, schema_of
from adrlens.vocab.names import IngredientNamer
from adrlens.vocab.terms import map_to_pt

_GENERIC_WORDS = frozenset({"disease", "diseases", "disorder", "disorders", "infection", "infections", "syndrome"})


def one_mapped(namer: IngredientNamer, name: str) -> str | None:
    """The single ingredient a name maps to in the vocabulary (None for a class, combination or unknown)."""
    ings, mapped = namer(name)
    return ings[0] if mapped and len(ings) == 1 else None


def _words(text: str) -> set[str]:
    """Content words of a name, singular ("HIV Infections" -> {"hiv"}; generic disease words dropped)."""
    out = set()
    for w in "".join(ch if ch.isalnum() else " " for ch in text.lower()).split():
        if w in _GENERIC_WORDS or len(w) < 3:
            continue
        out.add(w[:-1] if w.endswith("s") and not w.endswith("ss") else w)
    return out


def build_pgx(
    con: duckdb.DuckDBPyConnection, namer: IngredientNamer, folder: Path, known_pts: set[str]
) -> list[FileResult]:
    """pgx_risk: PharmGKB 1A/1B toxicity annotations (phenotypes mapped to PTs) and CPIC gene-drug pairs.

    A phenotype is the disease treated, not a toxicity, when PharmGKB names it for the same drug in an
    annotation without Toxicity, or when its content words all occur in one of the drug's indications
    (`drug_indication`); such phenotypes go to `context_phenotypes` and map to no PT."""
    ann, context, r_ann = pgx_src.read_clinical_annotations(
        folder / "pharmgkb_2022-07-05" / "clinicalAnnotations" / "clinical_annotations.tsv"
    )
    cpic, r_cpic = pgx_src.read_cpic_pairs(folder / "cpic" / "pair.tsv")
    curated = pgx_src.curated_phenotypes()
    r_map = FileResult(source="pharmgkb", layout="knowledge", table_name="phenotype -> PT")
    indications: dict[str, list[set[str]]] = {}
    for ing, ind in con.execute("SELECT ingredient, indication FROM drug_indication").fetchall():
        indications.setdefault(ing, []).append(_words(ind or ""))
    cpic_by: dict[tuple[str, str], dict] = {}
    for c in cpic:
        ing = one_mapped(namer, c["drug_name"])
        if ing is None:
            r_cpic.skip("drug (or drug class) maps to no single ingredient", 0, c["drug_name"])
            continue
        cpic_by[(ing, c["gene"])] = c

    def phenotype_pts(name: str) -> list[str]:
        key = " ".join(name.lower().split())
        if key in curated:
            return curated[key]
        pt, _how = map_to_pt(name, known_pts)
        return [pt] if pt else []

    out: list[dict] = []
    seen_pairs: set[tuple[str, str]] = set()
    for a in ann:
        for drug in a["drugs"]:
            ing = one_mapped(namer, drug)
            if ing is None:
                r_ann.skip("drug (class or combination) maps to no single ingredient", 0, drug)
                continue
            pts: list[str] = []
            ctx: list[str] = []
            for ph in a["phenotypes"]:
                words = _words(ph)
                in_indication = bool(words) and any(words <= ind for ind in indications.get(ing, []))
                if ph.lower() in context.get(drug.lower(), set()) or in_indication:
                    ctx.append(ph)
                    continue
                mapped = phenotype_pts(ph)
                if not mapped:
                    r_map.skip("phenotype maps to no MedDRA PT", 0, ph)
                pts += [p for p in mapped if p not in pts]
            c = cpic_by.get((ing, a["gene"]))
            seen_pairs.add((ing, a["gene"]))
            out.append(
                {
                    "ingredient": ing,
                    "gene": a["gene"],
                    "variant": a["variant"],
                    "level": a["level"],
                    "phenotypes": [p for p in a["phenotypes"] if p not in ctx],
                    "pts": pts,
                    "context_phenotypes": ctx,
                    "category": a["category"],
                    "source": pgx_src.PHARMGKB_SOURCE,
                    "annotation_id": a["annotation_id"],
                    "url": a["url"],
                    "pmid_count": a["pmid_count"],
                    "cpic_level": c["level"] if c else None,
                    "cpic_pmids": c["pmids"] if c else [],
                }
            )
            r_map.rows_loaded += 1
    for (ing, gene), c in sorted(cpic_by.items()):
        if (ing, gene) in seen_pairs:
            continue
        out.append(
            {
                "ingredient": ing,
                "gene": gene,
                "variant": None,
                "level": None,
                "phenotypes": [],
                "pts": [],
                "context_phenotypes": [],
                "category": None,
                "source": pgx_src.CPIC_SOURCE,
                "annotation_id": None,
                "url": None,
                "pmid_count": len(c["pmids"]) or None,
                "cpic_level": c["level"],
                "cpic_pmids": c["pmids"],
            }
        )
    lst = pa.list_(STR)
    register_rows(
        con,
        "_k_pgx",
        out,
        schema_of(
            ingredient=STR,
            gene=STR,
            variant=STR,
            level=STR,
            phenotypes=lst,
            pts=lst,
            context_phenotypes=lst,
            category=STR,
            source=STR,
            annotation_id=STR,
            url=STR,
            pmid_count=pa.int64(),
            cpic_level=STR,
            cpic_pmids=lst,
        ),
    )
    con.execute("CREATE OR REPLACE TABLE pgx_risk AS SELECT * FROM _k_pgx ORDER BY ingredient, gene, level, variant")
    con.execute("DROP TABLE _k_pgx")
    return [r_ann, r_cpic, r_map]
