"""Knowledge tables: what labels, the literature and drug references say about a drug.

`build_knowledge(con)` reads the knowledge sources of the shared data folder (see the readers in
`adrlens.sources.knowledge.sider / labels / literature / profiles`), normalises every drug name to a lower-case
active ingredient with the project's drug vocabulary, maps adverse-effect terms to MedDRA preferred-term
names, and (re)creates these tables in the given DuckDB connection:

* `label_effect`   one row per label statement: ingredient, pt, source, source_id, section, frequency
                   text and bounds, placebo frequency, note, context (SPL adverse reactions: where the
                   mention sits: "uncertain causality", "postmarketing", "rate stated" or NULL);
* `label_safety_change` the latest FDA safety labelling change (SrLC) of a product whose single active
                   ingredient is the drug: ingredient, drug_name, application, date, link, source;
* `pgx_risk`       PharmGKB level 1A/1B toxicity annotations and CPIC pairs: ingredient, gene, variant,
                   level, phenotypes, the PTs they map to (`pts`), phenotypes that are the disease treated
                   (`context_phenotypes`), source, annotation id, url, PMID count, CPIC level;
* `literature_pair` one row per (ingredient, effect, article, stance): term as published, mapped PT, PMID,
                   study type, stance (supporting | contradicting | protective), the source's predicate,
                   sentence;
* `literature_drug` one row per (ingredient, literature source): the articles that name the drug at all
                   (what "the literature tables know the drug" means);
* `drug_profile`, `drug_class`, `drug_indication`: description, half-life, ATC codes; EPC / MoA / ATC
                   classes; indications, each with its source;
* `disease_link`:  Disease Ontology edges (disease -> parent 'is_a', disease -> 'symptom'), to read an
                   indication's subtypes and manifestations;
* `knowledge_issue`: rows skipped or repaired while reading, counted by reason with one example.

The query helpers at the bottom (`label_listing`, `literature`, `drug_profile`, `same_class_drugs`) are
what the evidence layer uses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from adrlens import config
from adrlens.errors import DataNotFoundError
from adrlens.sources.base import FileResult
from adrlens.sources.knowledge import labels as labels_src
from adrlens.sources.knowledge import profiles as prof_src
from adrlens.sources.knowledge import sider as sider_src
from adrlens.store.knowledge_literature import build_literature
from adrlens.store.knowledge_pgx import build_pgx, one_mapped
from adrlens.store.knowledge_rows import F64, STR, count_rows, register_rows, schema_of
from adrlens.vocab.names import IngredientNamer  # the package's one drug namer

KNOWLEDGE_TABLES = (
    "label_effect",
    "label_safety_change",
    "literature_pair",
    "literature_drug",
    "drug_profile",
    "drug_class",
    "drug_indication",
    "disease_link",
    "pgx_risk",
)

Progress = Callable[[str], None]


# -- build ----------------------------------------------------------------------------------------------
def build_knowledge(
    con: duckdb.DuckDBPyConnection, data_dir: str | Path | None = None, progress: Progress | None = None
) -> dict[str, int]:
    """(Re)create the knowledge tables in `con` from the shared data folder; -> row count per table.

    Idempotent: every table is CREATE OR REPLACE'd. Rows that cannot be used are counted by reason in
    `knowledge_issue`. Raises DataNotFoundError when a source file is missing.
    """
    base = Path(data_dir) if data_dir is not None else config.data_dir()
    if not (base / "labels").is_dir() or not (base / "vocab").is_dir():
        raise DataNotFoundError(
            f"{base} does not look like the shared data folder (no labels/ or vocab/). Set ADRLENS_DATA."
        )
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    results: list[FileResult] = []
    say("loading the drug vocabulary")
    namer = IngredientNamer(base)

    # Profiles first: DrugBank's PubChem map names SIDER compounds whose SIDER name is cut short.
    say("drug profiles: DrugBank, DrugCentral, ATC, indications")
    drugs_dir = base / "vocab" / "drugs"
    db_rows, db_by_cid, res = prof_src.read_drugbank(drugs_dir / "drugbank")
    results += res
    _build_profiles(con, namer, drugs_dir, db_rows, results)

    say("labels: SIDER 4.1")
    sider_dir = base / "labels" / "sider41"
    stitch_rows, res1 = sider_src.stitch_names(sider_dir, namer, db_by_cid)
    results.append(res1)
    register_rows(
        con,
        "_k_stitch",
        [dict(zip(("stitch_id", "drug_name", "ingredient", "mapped"), r, strict=True)) for r in stitch_rows],
        schema_of(stitch_id=STR, drug_name=STR, ingredient=STR, mapped=pa.bool_()),
    )
    results += sider_src.load_side_effects(con, sider_dir, "_k_sider_se")
    results.append(sider_src.load_indications(con, sider_dir, "_k_sider_ind"))

    say("labels: US SPL (TAC 2017), EU SmPC")
    spl_rows, spl_texts, res2 = labels_src.read_spl(base / "labels" / "spl_tac2017")
    results += res2
    spl_out: list[dict] = []
    spl_res = FileResult(source="spl_tac2017", layout="knowledge", table_name="label names")
    for label_id in sorted({r["label_id"] for r in spl_rows}):
        spl_res.rows_read += 1
        ings, mapped = namer(label_id)
        if not mapped:
            # The label's own text names the ingredients: "BREO ELLIPTA (fluticasone furoate and vilanterol".
            for cand in labels_src.generic_names_in_text(label_id, spl_texts.get(label_id, [])):
                ings, mapped = namer(cand)
                if mapped and ings:
                    break
        if not mapped or not ings:
            spl_res.skip("label (brand) name not in the drug vocabulary", 0, label_id)
            continue
        spl_res.rows_loaded += 1
        combo = f"combination product: {' + '.join(ings)}" if len(ings) > 1 else None
        for r in (r for r in spl_rows if r["label_id"] == label_id):
            notes = [n for n in (combo, "stated for the drug class" if r["kind"] == "drug_class" else None) if n]
            for ing in ings:
                spl_out.append({**r, "ingredient": ing, "note": "; ".join(notes) or None})
    results.append(spl_res)
    register_rows(
        con,
        "_k_spl",
        spl_out,
        schema_of(label_id=STR, section=STR, pt=STR, mention=STR, kind=STR, context=STR, ingredient=STR, note=STR),
    )
    eu_rows, res3 = labels_src.read_eu_spc(
        base / "labels" / "eu_spc" / "drug_hoi_pairs_2015.tsv",
        labels_src.omop_ingredient_names(drugs_dir / "rxnorm" / "rxnorm_ingredients_2023.tsv.gz"),
        labels_src.omop_meddra_names(base / "faers" / "aggregates" / "aers_ebgm_3drugs" / "evidence.psv"),
    )
    results.append(res3)
    eu_out = []
    for r in eu_rows:
        for ing in namer(r["drug_name"])[0] or [r["drug_name"]]:
            eu_out.append({**r, "ingredient": ing})
    register_rows(con, "_k_eu", eu_out, schema_of(drug_name=STR, pt=STR, source_id=STR, ingredient=STR))

    con.execute(
        f"""
        CREATE OR REPLACE TABLE label_effect AS
        SELECT * FROM (
            SELECT n.ingredient, s.pt, '{sider_src.SOURCE}' AS source, s.stitch_id AS source_id,
                   CASE WHEN s.freq_text = 'postmarketing' THEN 'postmarketing' END AS section,
                   s.freq_lower, s.freq_upper, s.freq_text,
                   s.placebo_freq_text, s.placebo_freq_lower, s.placebo_freq_upper,
                   NULL::VARCHAR AS context,
                   nullif(concat_ws('; ',
                       CASE WHEN s.freq_text = 'postmarketing' THEN 'postmarketing report: '
                            || 'SIDER''s bounds 0-0.1% are a convention, not a rate' END,
                       CASE WHEN NOT n.mapped
                            THEN 'drug name ' || n.drug_name || ' not in the vocabulary' END,
                       CASE WHEN lower(n.drug_name) <> n.ingredient
                            THEN 'SIDER name ' || n.drug_name END), '') AS note
            FROM _k_sider_se s JOIN _k_stitch n USING (stitch_id)
            UNION ALL
            SELECT ingredient, pt, '{labels_src.SPL_SOURCE}', label_id, section,
                   NULL, NULL, NULL, NULL, NULL, NULL, context,
                   concat_ws('; ', note, 'label mention: "' || mention || '"')
            FROM _k_spl
            UNION ALL
            SELECT ingredient, pt, '{labels_src.EU_SOURCE}', source_id, 'undesirable effects',
                   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
            FROM _k_eu
        )
        ORDER BY ingredient, pt, source, source_id
        """
    )

    say("labels: FDA safety labelling changes (SrLC)")
    results.append(_build_safety_changes(con, namer, base / "labels" / "fda_srlc" / "label_changes_20251022.csv"))

    say("literature: ADE corpus, MEDLINE MeSH, SemMedDB, BC5CDR, curated reviews")
    known_pts = {r[0] for r in con.execute("SELECT DISTINCT pt FROM label_effect").fetchall()}
    known_pts |= {r[0] for r in con.execute("SELECT DISTINCT lower(pt) FROM report_event").fetchall() if r[0]}
    build_literature(con, namer, base, known_pts, results)

    # SIDER label indications join the other indication sources.
    con.execute(
        f"""
        INSERT INTO drug_indication
        SELECT DISTINCT n.ingredient, i.indication, NULL, '{sider_src.SOURCE}', 'label indication (NLP)'
        FROM _k_sider_ind i JOIN _k_stitch n USING (stitch_id)
        """
    )
    con.execute("CREATE OR REPLACE TABLE drug_indication AS SELECT * FROM drug_indication ORDER BY ingredient")

    say("pharmacogenomics: PharmGKB, CPIC")
    results += build_pgx(con, namer, base / "pgx", known_pts)

    _write_issues(con, results)
    for t in ("_k_stitch", "_k_sider_se", "_k_sider_ind", "_k_spl", "_k_eu"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    counts = {t: count_rows(con, t) for t in KNOWLEDGE_TABLES}
    elapsed = time.perf_counter() - t0
    con.execute(
        "INSERT INTO meta VALUES ('knowledge_built', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [f"{time.strftime('%Y-%m-%dT%H:%M:%S')} in {elapsed:.1f}s; names by {namer.method}"],
    )
    say(f"knowledge tables built in {elapsed:.1f}s: " + ", ".join(f"{k}={v:,}" for k, v in counts.items()))
    return counts


def _build_safety_changes(con: duckdb.DuckDBPyConnection, namer: IngredientNamer, path: Path) -> FileResult:
    """label_safety_change: per ingredient, the latest SrLC row of a product with that single ingredient."""
    rows, res = labels_src.read_srlc(path)
    latest: dict[str, dict] = {}
    for r in rows:
        if len(r["ingredients"]) != 1:
            res.skip("combination product: the change is not about one ingredient", 0, r["drug_name"])
            continue
        ing = one_mapped(namer, r["ingredients"][0])
        if ing is None:
            res.skip("active ingredient not in the drug vocabulary", 0, r["ingredients"][0])
            continue
        if ing not in latest or (r["date"], r["application"]) > (latest[ing]["date"], latest[ing]["application"]):
            latest[ing] = {**r, "ingredient": ing}
    keep = ("ingredient", "drug_name", "application", "date", "link")
    out = [{k: r[k] for k in keep} | {"source": labels_src.SRLC_SOURCE} for r in latest.values()]
    register_rows(
        con,
        "_k_srlc",
        out,
        schema_of(ingredient=STR, drug_name=STR, application=STR, date=STR, link=STR, source=STR),
    )
    con.execute("CREATE OR REPLACE TABLE label_safety_change AS SELECT * FROM _k_srlc ORDER BY ingredient")
    con.execute("DROP TABLE _k_srlc")
    return res


def _build_profiles(
    con: duckdb.DuckDBPyConnection,
    namer: IngredientNamer,
    drugs_dir: Path,
    db_rows: list[dict],
    results: list[FileResult],
) -> None:
    """drug_profile, drug_class and drug_indication (the last without SIDER, added by the caller)."""
    # One DrugBank entry per ingredient: the one named exactly like it, then the most informative.
    res = FileResult(source="drugbank", layout="knowledge", table_name="ingredient profiles")
    best: dict[str, tuple[tuple, dict]] = {}
    for d in db_rows:
        res.rows_read += 1
        ing = namer.one(d["drug_name"])
        if ing is None:
            res.skip("DrugBank name maps to no single ingredient", 0, d["drug_name"])
            continue
        rank = (
            d["drug_name"].lower() != ing,
            d["half_life_hours"] is None,
            d["half_life_text"] is None,
            d["description"] is None,
            d["drugbank_id"],
        )
        if ing not in best or rank < best[ing][0]:
            best[ing] = (rank, d)
        res.rows_loaded += 1
    results.append(res)

    classes: list[dict] = []
    for ing, (_, d) in best.items():
        for cat in d["categories"]:
            classes.append(
                {
                    "ingredient": ing,
                    "class_type": "DrugBank category",
                    "class_name": cat,
                    "class_id": None,
                    "source": prof_src.DRUGBANK_SOURCE,
                }
            )
    dc_rows, r_dc = prof_src.read_drugcentral_classes(drugs_dir / "drugcentral")
    atc_rows, r_atc = prof_src.read_atc(drugs_dir / "atc")
    results += [r_dc, r_atc]
    for source, rows in ((prof_src.DRUGCENTRAL_SOURCE, dc_rows), (prof_src.ATC_SOURCE, atc_rows)):
        for r in rows:
            ing = namer.one(r["drug_name"])
            if ing is not None:
                classes.append(
                    {
                        "ingredient": ing,
                        "class_type": r["class_type"],
                        "class_name": r["class_name"],
                        "class_id": r["class_id"],
                        "source": source,
                    }
                )
    register_rows(
        con, "_k_class", classes, schema_of(ingredient=STR, class_type=STR, class_name=STR, class_id=STR, source=STR)
    )
    con.execute(
        "CREATE OR REPLACE TABLE drug_class AS SELECT DISTINCT * FROM _k_class "
        "ORDER BY ingredient, class_type, class_name"
    )
    con.execute("DROP TABLE _k_class")

    atc5: dict[str, set[str]] = {}
    for c in classes:
        if c["class_type"] == "ATC5" and c["class_id"]:
            atc5.setdefault(c["ingredient"], set()).add(c["class_id"])
    profiles = []
    for ing in sorted(set(best) | set(atc5)):
        d = best.get(ing, (None, {}))[1]
        codes = sorted(set(d.get("atc_codes") or []) | atc5.get(ing, set()))
        profiles.append(
            {
                "ingredient": ing,
                "drugbank_id": d.get("drugbank_id"),
                "drugbank_name": d.get("drug_name"),
                "description": d.get("description"),
                "half_life_text": d.get("half_life_text"),
                "half_life_hours": d.get("half_life_hours"),
                "atc_codes": codes,
                "categories": d.get("categories") or [],
                "source": prof_src.DRUGBANK_SOURCE if d else prof_src.ATC_SOURCE,
                "half_life_source": (
                    "DrugBank 4 (curated hours)"
                    if d.get("half_life_hours") is not None
                    else prof_src.DRUGBANK_SOURCE
                    if d.get("half_life_text")
                    else None
                ),
            }
        )
    register_rows(
        con,
        "_k_prof",
        profiles,
        schema_of(
            ingredient=STR,
            drugbank_id=STR,
            drugbank_name=STR,
            description=STR,
            half_life_text=STR,
            half_life_hours=F64,
            atc_codes=pa.list_(STR),
            categories=pa.list_(STR),
            source=STR,
            half_life_source=STR,
        ),
    )
    con.execute("CREATE OR REPLACE TABLE drug_profile AS SELECT * FROM _k_prof ORDER BY ingredient")
    con.execute("DROP TABLE _k_prof")

    ind_rows: list[dict] = []
    r_dci: FileResult
    dci, r_dci = prof_src.read_drugcentral_indications(drugs_dir / "drugcentral")
    medi, r_medi = prof_src.read_medi(drugs_dir / "medi" / "medi_hps.csv")
    doid, r_doid = prof_src.read_doid_indications(drugs_dir / "indications_drugbank_doid.tsv")
    results += [r_dci, r_medi, r_doid]
    for source, rows, r_res in (
        (prof_src.DRUGCENTRAL_SOURCE, dci, r_dci),
        (prof_src.MEDI_SOURCE, medi, r_medi),
        (prof_src.DOID_SOURCE, doid, r_doid),
    ):
        for r in rows:
            ing = namer.one(r["drug_name"])
            if ing is None:
                # A combination's indication is not evidence about either ingredient alone.
                r_res.skip("drug maps to no single ingredient (combination)", 0, r["drug_name"])
                continue
            ind_rows.append(
                {
                    "ingredient": ing,
                    "indication": r["indication"],
                    "indication_id": r["indication_id"],
                    "source": source,
                    "note": r["note"],
                }
            )
    register_rows(
        con, "_k_ind", ind_rows, schema_of(ingredient=STR, indication=STR, indication_id=STR, source=STR, note=STR)
    )
    con.execute("CREATE OR REPLACE TABLE drug_indication AS SELECT DISTINCT * FROM _k_ind")
    con.execute("DROP TABLE _k_ind")

    # The treated diseases' subtypes and symptoms (Disease Ontology), to tell a manifestation of a treated
    # disease from a side effect.
    do_rows, r_do = prof_src.read_disease_ontology(drugs_dir.parent / "conditions" / "disease_ontology_2026")
    results.append(r_do)
    register_rows(con, "_k_do", do_rows, schema_of(disease_id=STR, disease=STR, relation=STR, target=STR))
    con.execute(
        f"CREATE OR REPLACE TABLE disease_link AS SELECT DISTINCT *, '{prof_src.DISEASE_ONTOLOGY_SOURCE}' AS source "
        "FROM _k_do ORDER BY disease, relation, target"
    )
    con.execute("DROP TABLE _k_do")


def _write_issues(con: duckdb.DuckDBPyConnection, results: Iterable[FileResult]) -> None:
    rows = []
    for r in results:
        for action, counter in (("skipped", r.skipped), ("repaired", r.repaired)):
            for reason, n in counter.items():
                _line, example = r.examples.get((action, reason), (0, ""))
                rows.append(
                    {
                        "source": r.source,
                        "file": r.table_name,
                        "action": action,
                        "reason": reason,
                        "n": int(n),
                        "example": example or None,
                    }
                )
        rows.append(
            {
                "source": r.source,
                "file": r.table_name,
                "action": "read",
                "reason": "rows read",
                "n": int(r.rows_read),
                "example": None,
            }
        )
        rows.append(
            {
                "source": r.source,
                "file": r.table_name,
                "action": "loaded",
                "reason": "rows loaded",
                "n": int(r.rows_loaded),
                "example": None,
            }
        )
    register_rows(
        con, "_k_issue", rows, schema_of(source=STR, file=STR, action=STR, reason=STR, n=pa.int64(), example=STR)
    )
    con.execute("CREATE OR REPLACE TABLE knowledge_issue AS SELECT * FROM _k_issue")
    con.execute("DROP TABLE _k_issue")
