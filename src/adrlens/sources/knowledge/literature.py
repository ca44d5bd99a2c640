"""Published drug-effect findings, each with its PMID, study type and stance (supporting, contradicting,
protective): ADE corpus v2, MEDLINE MeSH ADE indexing, SemMedDB predications, BioCreative V CDR (BC5CDR).

* `literature/ade_corpus_v2/DRUG-AE.rel`: PMID|sentence|effect|begin|end|drug|begin|end, annotated by
  hand in sentences of PubMed case reports (Gurulingappa et al. 2012). Study type: case report. Supporting.
* `literature/medline_mesh_ade/{cr,rct,other}.tsv.gz`: rxcui, mesh_id, pmid, ade_agents, ade_effects
  (OHDSI LAERTES; cr = case reports, rct = clinical trials, other). ade_effects are the MeSH conditions
  indexed "chemically induced" in an article whose ade_agents are indexed "adverse effects". The extract
  is keyed by 57 RxCUIs only, but each article names all its adverse-effect agents: every agent (MeSH
  heading: "Amoxicillin", "Influenza Vaccines") is a drug of the finding, as is the row's RxCUI. Rows
  without ade_effects only say that the drug and the (mesh_id) condition co-occur, often as the
  indication (tamoxifen - breast neoplasms): no finding (counted), but the agents are known drugs.
* `literature/semmeddb/drug_hoi_predications.nt.gz`: SemMedDB predications (N-Triples annotations):
  sentence, PMID, study type (case reports, clinical trial), UMLS drug and condition, UMLS Semantic Network
  predicate and modality. The predicate's name comes from the file's own vocabulary ("T147" rdfs:label
  "causes"). `PREDICATE_STANCE` says what each means: causes / complicates / associated_with /
  predisposes / induces -> supporting, negated -> contradicting; disrupts (the drug suppresses an existing
  condition: "suppression of ventricular arrhythmias with disopyramide"), treats, prevents -> protective
  (positive only); affects (vague) and negated protective predications are skipped (counted).
* `literature/bc5cdr/CDR_*.PubTator.txt.gz`: 1,500 PubMed abstracts with chemical and disease mentions
  (MeSH ids) and document-level chemical-induced-disease (CID) relations (Li et al. 2016). A CID
  relation is a supporting finding. The corpus gives no publication type: the study design is read from
  the title and abstract by `study_design` (documented rules; "animal study" when only laboratory
  animals are named).

Readers return plain rows with the drug as named by the source; the knowledge builder normalises drug
names and maps terms to MedDRA PT names.
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

from adrlens.errors import DataNotFoundError
from adrlens.sources.base import FileResult

ADE_SOURCE = "ADE corpus v2"
MEDLINE_SOURCE = "MEDLINE MeSH ADE"
SEMMED_SOURCE = "SemMedDB"
BC5CDR_SOURCE = "BC5CDR"
REVIEW_SOURCE = "IOM 2012 vaccine causality review"
# Curated causality conclusions of expert systematic reviews, shipped with the package (each row cites its
# article); see the file's header for the reference.
REVIEW_FILE = Path(__file__).parent / "data" / "vaccine_causality_iom2012.tsv"

SUPPORTING, CONTRADICTING, PROTECTIVE = "supporting", "contradicting", "protective"
STANCES = (SUPPORTING, CONTRADICTING, PROTECTIVE)

MEDLINE_STUDY_TYPES = {"cr": "case report", "rct": "clinical trial", "other": "other"}

# Study types whose design compares groups (what "controlled evidence" means in the evidence layer).
CONTROLLED_STUDY_TYPES = frozenset(
    {
        "randomised controlled trial",
        "clinical trial",
        "cohort",
        "case-control",
        "meta-analysis",
        "systematic review",
    }
)
ANIMAL_STUDY = "animal study"


def read_ade_corpus(path: Path) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, term, pmid, sentence, study_type}, one per distinct (pmid, drug, effect)."""
    if not path.exists():
        raise DataNotFoundError(f"ADE corpus file {path} is missing. Check the shared data folder.")
    res = FileResult(source="ade_corpus", layout="knowledge", table_name=path.name)
    seen: set[tuple[str, str, str]] = set()
    rows: list[dict] = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            res.rows_read += 1
            parts = line.split("|")
            # Sentences may themselves contain '|': the last six fields are fixed, the rest is sentence.
            if len(parts) < 8:
                res.skip("fewer than 8 fields", n, line)
                continue
            pmid, effect, drug = parts[0].strip(), parts[-6].strip(), parts[-3].strip()
            sentence = "|".join(parts[1:-6]).strip()
            if not pmid.isdigit() or not effect or not drug:
                res.skip("missing PMID, effect or drug", n, line)
                continue
            key = (pmid, drug.lower(), effect.lower())
            if key in seen:
                res.skip("duplicate (PMID, drug, effect)", n, line)
                continue
            seen.add(key)
            rows.append(
                {
                    "drug_name": drug,
                    "term": effect,
                    "pmid": pmid,
                    "sentence": sentence,
                    "study_type": "case report",
                    "stance": SUPPORTING,
                    "predicate": "adverse effect annotated in the sentence",
                }
            )
            res.rows_loaded += 1
    return rows, res


def rxcui_names(path: Path, wanted: set[str]) -> dict[str, str]:
    """RxCUI -> RxNorm preferred label for the wanted RxCUIs (from the 2015 BioPortal RxNorm extract)."""
    if not path.exists():
        raise DataNotFoundError(f"RxNorm label file {path} is missing. Check the shared data folder.")
    out: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        for row in reader:
            if len(row) < 2:
                continue
            cui = row[0].rsplit("/", 1)[-1]
            if cui in wanted:
                out[cui] = row[1].strip()
    return out


def _agents(text: str) -> list[str]:
    """MeSH agent headings of one article ("*Contraceptives, Oral|Aspirin"): the major-topic '*' dropped."""
    return list(dict.fromkeys(a.strip().lstrip("*").strip() for a in text.split("|") if a.strip().strip("*")))


def read_medline(folder: Path, rxnorm_labels: Path) -> tuple[list[dict], list[dict], list[FileResult]]:
    """-> (findings, mentions).

    findings: rows {drug_name, rxcui, term, pmid, study_type, agents, stance, predicate}, one per (drug,
    pmid, effect), the drug being the row's RxCUI (its RxNorm name) or one of the article's MeSH agents;
    mentions: rows {drug_name, pmid} for every drug the extract names, findings or not.
    """
    raw: list[tuple[str, str, str, str, str, int, FileResult]] = []
    results: list[FileResult] = []
    for stem, study_type in MEDLINE_STUDY_TYPES.items():
        path = folder / f"{stem}.tsv.gz"
        if not path.exists():
            raise DataNotFoundError(f"MEDLINE MeSH ADE file {path} is missing. Check the shared data folder.")
        res = FileResult(source="medline_mesh", layout="knowledge", table_name=path.name)
        results.append(res)
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, [])
            if header[:3] != ["rxcui", "mesh_id", "pmid"]:
                raise DataNotFoundError(f"{path} does not start with rxcui, mesh_id, pmid columns.")
            for n, row in enumerate(reader, start=2):
                res.rows_read += 1
                row = row + [""] * (5 - len(row))
                rxcui, pmid, agents, effects = row[0].strip(), row[2].strip(), row[3].strip(), row[4].strip()
                if not rxcui.isdigit() or not pmid.isdigit():
                    res.skip("missing rxcui or PMID", n, "\t".join(row))
                    continue
                raw.append((rxcui, pmid, agents, effects, study_type, n, res))
    names = rxcui_names(rxnorm_labels, {r[0] for r in raw})
    seen: set[tuple[str, str, str]] = set()
    rows: list[dict] = []
    mentions: dict[tuple[str, str], dict] = {}
    for rxcui, pmid, agents, effects, study_type, n, res in raw:
        name = names.get(rxcui)
        drugs = list(dict.fromkeys([*([name] if name else []), *_agents(agents)]))
        for d in drugs:
            mentions.setdefault((d.lower(), pmid), {"drug_name": d, "pmid": pmid})
        if not effects:
            res.skip("no MeSH term indexed as chemically induced (co-occurrence only)", n, f"{rxcui}\t{pmid}")
            continue
        if not drugs:
            res.skip("rxcui not in the RxNorm label file and no agent indexed", n, rxcui)
            continue
        loaded = False
        for term in (t.strip() for t in effects.split("|")):
            for drug in drugs:
                # The same article appears once per HOI mesh_id; keep one row per (drug, article, effect).
                key = (drug.lower(), pmid, term.lower())
                if not term or key in seen:
                    continue
                seen.add(key)
                rows.append(
                    {
                        "drug_name": drug,
                        "rxcui": rxcui if drug == name else None,
                        "term": term,
                        "pmid": pmid,
                        "study_type": study_type,
                        "agents": "; ".join(_agents(agents)),
                        "stance": SUPPORTING,
                        "predicate": "MeSH: agent/adverse effects, effect/chemically induced",
                    }
                )
                loaded = True
        if loaded:
            res.rows_loaded += 1
        else:
            res.skip("article and effects already read (another HOI row or study-type file)", n, f"{rxcui}\t{pmid}")
    return rows, list(mentions.values()), results


_NT_RE = re.compile(r'^<([^>]+)>\s+<([^>]+)>\s+(?:<([^>]+)>|"((?:[^"\\]|\\.)*)"(?:\^\^<[^>]+>)?)\s*\.\s*$')
_DESC_RE = re.compile(r"UMLS drug (C\d+) \((.*)\) and UMLS HOI (C\d+) \((.*)\)$")
# The file's own vocabulary: `poc:T147 rdfs:label "causes" ;`
_PRED_LABEL_RE = re.compile(r'^poc:(T\d+)\s+rdfs:label\s+"([^"]+)"')

# UMLS Semantic Network / SemRep predicate -> (stance when positive, stance when negated); None = skipped.
PREDICATE_STANCE: dict[str, tuple[str | None, str | None]] = {
    "causes": (SUPPORTING, CONTRADICTING),
    "complicates": (SUPPORTING, CONTRADICTING),
    "associated_with": (SUPPORTING, CONTRADICTING),
    "predisposes": (SUPPORTING, CONTRADICTING),
    "induces": (SUPPORTING, CONTRADICTING),
    "disrupts": (PROTECTIVE, None),  # "suppression of X by drug"; negated says nothing either way
    "treats": (PROTECTIVE, None),
    "prevents": (PROTECTIVE, None),
    "affects": (None, None),  # has a role in, alters, influences: no direction
}


def read_semmeddb(path: Path) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, term, pmid, sentence, study_type, stance, predicate} of the predications whose
    predicate has a direction (`PREDICATE_STANCE`)."""
    if not path.exists():
        raise DataNotFoundError(f"SemMedDB file {path} is missing. Check the shared data folder.")
    res = FileResult(source="semmeddb", layout="knowledge", table_name=path.name)
    props: dict[str, dict[str, str]] = {}
    labels: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            m = _NT_RE.match(line)
            if not m:
                lm = _PRED_LABEL_RE.match(line)
                if lm:
                    labels[lm.group(1)] = lm.group(2).strip().lower()
                continue  # Turtle prefix and vocabulary lines
            subj, pred, obj = m.group(1), m.group(2).rsplit("#", 1)[-1].rsplit("/", 1)[-1], m.group(3)
            value = obj if obj is not None else m.group(4).replace('\\"', '"')
            props.setdefault(subj, {}).setdefault(pred, value)
    rows: list[dict] = []
    for p in props.values():
        if "hasBody" not in p or "hasTarget" not in p:
            continue  # not an annotation item
        res.rows_read += 1
        body, target = props.get(p["hasBody"], {}), props.get(p["hasTarget"], {})
        code = body.get("semanticNetworkPredicate", "").rsplit("#", 1)[-1]
        predicate = labels.get(code, code)
        negated = body.get("modality") == "negative"
        pos, neg = PREDICATE_STANCE.get(predicate, (None, None))
        stance = neg if negated else pos
        if stance is None:
            why = f"predicate {'NEG ' if negated else ''}{predicate!r} has no direction"
            res.skip(why, 0, body.get("description", ""))
            continue
        m = _DESC_RE.search(body.get("description", ""))
        pmid = target.get("hasSource", "").rsplit("/", 1)[-1]
        if not m or not pmid.isdigit():
            res.skip("no drug/condition names or PMID", 0, body.get("description", ""))
            continue
        sentence = props.get(target.get("hasSelector", ""), {}).get("exact", "")
        study = target.get("MeshStudyType", "").replace(" (publication type)", "").strip().lower()
        study = {"case reports": "case report", "clinical trials": "clinical trial"}.get(study, study) or "other"
        rows.append(
            {
                "drug_name": m.group(2),
                "term": m.group(4),
                "pmid": pmid,
                "sentence": sentence,
                "study_type": study,
                "stance": stance,
                "predicate": f"{'NEG_' if negated else ''}{predicate.upper()}",
            }
        )
        res.rows_loaded += 1
    return rows, res


def read_curated_reviews(path: Path = REVIEW_FILE) -> tuple[list[dict], FileResult]:
    """-> rows {drug_name, term, pmid, sentence, study_type, stance, predicate} of a curated review file:
    a '#' header line (the reference), then TSV with drug_name, term, stance, study_type, article (a PMID
    or a doi: id), conclusion."""
    res = FileResult(source="curated reviews", layout="knowledge", table_name=path.name)
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    header = lines[0].split("\t")
    rows: list[dict] = []
    for i, ln in enumerate(lines[1:], start=2):
        res.rows_read += 1
        rec = dict(zip(header, ln.split("\t"), strict=False))
        if rec.get("stance") not in STANCES or not rec.get("drug_name") or not rec.get("term"):
            res.skip("row without drug, term or a known stance", i, ln[:80])
            continue
        rows.append(
            {
                "drug_name": rec["drug_name"],
                "term": rec["term"],
                "pmid": rec.get("article", "").strip(),
                "sentence": rec.get("conclusion") or None,
                "study_type": rec.get("study_type") or "other",
                "stance": rec["stance"],
                "predicate": "REVIEW_CONCLUSION",
            }
        )
        res.rows_loaded += 1
    return rows, res


# -- BC5CDR ---------------------------------------------------------------------------------------------
_WORD = r"(?<![a-z])(?:{})(?![a-z])"
_ANIMALS = re.compile(
    _WORD.format(
        "rats?|mice|mouse|rabbits?|dogs?|guinea[- ]pigs?|hamsters?|monkeys?|primates?|cats?|pigs?|piglets?|"
        "sheep|baboons?|ferrets?|zebrafish|rodents?|murine|rat"
    )
)
_HUMANS = re.compile(
    _WORD.format(
        "patients?|m[ae]n|wom[ae]n|boys?|girls?|child(?:ren)?|infants?|volunteers?|"
        "\\d+[- ]year[- ]old|adults?|humans?|neonates?|pregnan(?:t|cy)"
    )
)
# First match wins: the most specific design the abstract names.
_DESIGNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("meta-analysis", re.compile(r"meta-?analys[ie]s")),
    ("systematic review", re.compile(r"systematic(?:al)? review")),
    ("randomised controlled trial", re.compile(r"randomi[sz]ed|randomly (?:assigned|allocated)|placebo-controlled")),
    ("case-control", re.compile(r"case[- ]control")),
    ("cohort", re.compile(r"cohort|prospective(?:ly)? (?:study|follow)|retrospective(?:ly)? (?:study|review|analys)")),
    ("case report", re.compile(r"case reports?|we (?:report|describe|present)|a case of|\d+[- ]year[- ]old")),
)


def study_design(title: str, abstract: str) -> str:
    """The study design an abstract states: one of `_DESIGNS` (meta-analysis ... case report), "animal
    study" when laboratory animals are named and no people, else "other" (design not stated)."""
    text = f"{title} {abstract}".lower()
    animal = bool(_ANIMALS.search(text)) and not _HUMANS.search(text)
    for name, pat in _DESIGNS:
        if pat.search(text) and not (animal and name != "randomised controlled trial"):
            return ANIMAL_STUDY if animal else name
    return ANIMAL_STUDY if animal else "other"


def read_mesh_names(path: Path) -> dict[str, str]:
    """MeSH descriptor id -> name (MeSH 2015 terms.tsv: mesh_id, mesh_name)."""
    if not path.exists():
        raise DataNotFoundError(f"MeSH name file {path} is missing. Check the shared data folder.")
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        next(reader, None)
        return {r[0].strip(): r[1].strip() for r in reader if len(r) >= 2 and r[0].strip()}


def read_bc5cdr(folder: Path, mesh_names: dict[str, str]) -> tuple[list[dict], list[dict], list[FileResult]]:
    """-> (findings, mentions): findings are the CID relations, rows {drug_name, drug_names, term, terms,
    pmid, sentence (the title), study_type, stance, predicate}; the drug is named by its mentions (most
    frequent first) and the disease by its MeSH 2015 name, then its mentions. mentions: {drug_names, pmid}
    for every chemical of every abstract."""
    files = sorted(folder.glob("CDR_*.PubTator.txt.gz"))
    if not files:
        raise DataNotFoundError(f"No BC5CDR PubTator files (CDR_*.PubTator.txt.gz) in {folder}.")
    rows: list[dict] = []
    mentions: list[dict] = []
    results: list[FileResult] = []
    seen_docs: set[str] = set()
    for path in files:
        res = FileResult(source="bc5cdr", layout="knowledge", table_name=path.name)
        results.append(res)
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            text = f.read()
        for block in (b for b in text.split("\n\n") if b.strip()):
            doc = _pubtator_doc(block)
            if doc is None:
                res.skip("block is not a PubTator document", 0, block[:200])
                continue
            pmid, title, abstract, chem, dis, cids = doc
            if pmid in seen_docs:
                res.skip("document already read from another file", 0, pmid)
                continue
            seen_docs.add(pmid)
            design = study_design(title, abstract)
            for names in chem.values():
                mentions.append({"drug_names": _by_count(names), "pmid": pmid})
            for chem_id, dis_id in cids:
                res.rows_read += 1
                if chem_id not in chem:
                    res.skip("CID chemical has no mention in the abstract", 0, f"{pmid} {chem_id}")
                    continue
                dis_names = _by_count(dis.get(dis_id, []))
                mesh = mesh_names.get(dis_id)
                terms = list(dict.fromkeys([*([mesh] if mesh else []), *dis_names]))
                if not terms:
                    res.skip("CID disease has no MeSH name and no mention", 0, f"{pmid} {dis_id}")
                    continue
                drug_names = _by_count(chem[chem_id])
                rows.append(
                    {
                        "drug_name": drug_names[0],
                        "drug_names": drug_names,
                        "term": terms[0],
                        "terms": terms,
                        "pmid": pmid,
                        "sentence": title,
                        "study_type": design,
                        "stance": SUPPORTING,
                        "predicate": f"CID {chem_id} -> {dis_id}",
                    }
                )
                res.rows_loaded += 1
    return rows, mentions, results


def _by_count(names: list[str]) -> list[str]:
    """Distinct mention texts, the most frequent first (ties in order of appearance)."""
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    return sorted(counts, key=lambda n: -counts[n])


def _pubtator_doc(
    block: str,
) -> tuple[str, str, str, dict[str, list[str]], dict[str, list[str]], list[tuple[str, str]]] | None:
    """One PubTator block -> (pmid, title, abstract, chemical id -> mentions, disease id -> mentions, CIDs)."""
    pmid, title, abstract = "", "", ""
    chem: dict[str, list[str]] = {}
    dis: dict[str, list[str]] = {}
    cids: list[tuple[str, str]] = []
    for line in block.splitlines():
        if "|t|" in line[:20]:
            pmid, _, title = line.partition("|t|")
        elif "|a|" in line[:20]:
            abstract = line.partition("|a|")[2]
        else:
            parts = line.split("\t")
            if len(parts) == 4 and parts[1] == "CID":
                cids.append((parts[2].strip(), parts[3].strip()))
            elif len(parts) >= 6:
                kind, ids = parts[4], parts[5]
                target = chem if kind == "Chemical" else dis if kind == "Disease" else None
                if target is None:
                    continue
                # Composite mentions carry several ids ("D003000|D008750"); -1 = not normalised.
                for mid in ids.split("|"):
                    if mid.strip() and mid.strip() != "-1":
                        target.setdefault(mid.strip(), []).append(parts[3].strip())
    if not pmid.strip().isdigit():
        return None
    return pmid.strip(), title.strip(), abstract.strip(), chem, dis, cids
