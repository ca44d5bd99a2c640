"""Disease names as the indication check compares them (words, heads, plain names, term matches) and the
Disease Ontology's parent and symptom links (table `disease_link`), for `adrlens.evidence.indication`."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import duckdb

from adrlens.store.db import BUILD_KEY

# -- words ------------------------------------------------------------------------------------------------
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> tuple[str, ...]:
    """Comparable words: lower case, roman numerals as digits, plural 's' dropped, British/US 'ae'/'oe' merged."""
    out = []
    for w in _WORD.findall(text.lower().replace("ae", "e").replace("oe", "e")):
        w = _ROMAN.get(w, w)
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return tuple(out)


# Words of an indication text that do not change what it names.
_FILLER = frozenset({"unspecified", "other", "and", "or", "of", "the", "with", "without", "type", "nos", "in"})
# Qualifiers that name a form of the same disease (its cause, course, severity or kind), not another site or
# organ: "hereditary angioedema" is angioedema, "pulmonary hypertension" is not high blood pressure.
_QUALIFIERS = frozenset(
    words(
        "hereditary familial congenital acquired essential primary secondary idiopathic chronic acute subacute "
        "recurrent benign malignant severe mild moderate refractory resistant intractable uncontrolled "
        "persistent pure mixed generalized generalised disorder disease syndrome state attack juvenile adult "
        "onset childhood nec specified"
    )
)


def key(text: str) -> tuple[str, ...]:
    return tuple(w for w in words(text) if w not in _FILLER)


def head(indication: str) -> str:
    """The name part of an indication text: 'Epilepsy; unspecified' -> 'Epilepsy'."""
    return re.split(r"[;\[(,]", indication, maxsplit=1)[0].strip()


def plain(indication: str) -> str:
    """A plain disease name to show: 'Other and unspecified hyperlipidemia' -> 'hyperlipidemia'."""
    words = [w for w in head(indication).lower().split() if w not in {"nos", "unspecified", "other"}]
    while words and words[0] in {"and", "or", "of"}:
        words.pop(0)
    while words and words[-1] in {"and", "or", "of"}:
        words.pop()
    return " ".join(words) or indication.lower()


def term_match(term: str, indication: str) -> str | None:
    """How a condition term and a treated disease relate: 'exact' (the same thing), 'subtype' (one is a form of
    the other, differing only by qualifiers), 'words' (one's words are all in the other, e.g. another site:
    shown, never decides), else None."""
    t = key(term)
    if not t:
        return None
    best: str | None = None
    for text in dict.fromkeys((indication, head(indication))):
        i = key(text)
        if not i:
            continue
        if t == i:
            return "exact"
        ts, is_ = set(t), set(i)
        if ts <= is_ or is_ <= ts:
            extra = (is_ - ts) | (ts - is_)
            if all(w in _QUALIFIERS or w.isdigit() for w in extra):
                best = "subtype"
            elif best is None:
                best = "words"
    return best


# -- the Disease Ontology ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ontology:
    by_key: dict[tuple[str, ...], str]  # name key -> DO label
    by_id: dict[str, str]  # DOID -> label
    parents: dict[str, frozenset[str]]  # label -> parent labels
    symptoms: dict[str, frozenset[str]]  # label -> symptom labels
    symptom_diseases: dict[str, frozenset[str]]  # symptom -> disease labels

    def ancestors(self, label: str) -> set[str]:
        out: set[str] = set()
        todo = [label]
        while todo:
            for p in self.parents.get(todo.pop(), ()):
                if p not in out:
                    out.add(p)
                    todo.append(p)
        return out

    def find(self, name: str, disease_id: str | None = None) -> str | None:
        if disease_id and disease_id in self.by_id:
            return self.by_id[disease_id]
        return self.by_key.get(key(head(name))) or self.by_key.get(key(name))

    def specific_symptoms(self, label: str) -> list[str]:
        """Symptoms DO links to this disease and otherwise only to its subtypes: a sign of the disease itself."""
        return sorted(
            s
            for s in self.symptoms.get(label, ())
            if all(d == label or label in self.ancestors(d) for d in self.symptom_diseases.get(s, ()))
        )


# Built ontologies by store: (database file, its build marker) -> Ontology. A store never changes in place
# (every build writes a new file and renames it), so the marker names the table's content; building the
# ontology keys some 25,000 names and took a third of a second per answer.
_ONTOLOGIES: dict[tuple[str, str], Ontology] = {}
_ONTOLOGY_LOCK = threading.Lock()


def _store_identity(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    try:
        path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
        marker = con.execute("SELECT value FROM meta WHERE key = ?", [BUILD_KEY]).fetchone()
    except duckdb.Error:
        return None
    if not path or not path[0] or not marker:
        return None  # an in-memory or unfinished store: build the ontology each time
    return str(path[0]), str(marker[0])


def ontology(con: duckdb.DuckDBPyConnection) -> Ontology:
    """The disease ontology of the store (subtypes and symptoms), built once per finished store."""
    ident = _store_identity(con)
    if ident is None:
        return _build_ontology(con)
    with _ONTOLOGY_LOCK:
        ont = _ONTOLOGIES.get(ident)
    if ont is None:
        ont = _build_ontology(con)
        with _ONTOLOGY_LOCK:
            _ONTOLOGIES[ident] = ont
    return ont


def _build_ontology(con: duckdb.DuckDBPyConnection) -> Ontology:
    try:
        rows = con.execute("SELECT disease_id, disease, relation, target FROM disease_link").fetchall()
    except duckdb.CatalogException:
        rows = []  # a store built before the table existed: no subtypes or symptoms to read
    by_key: dict[tuple[str, ...], str] = {}
    by_id: dict[str, str] = {}
    parents: dict[str, set[str]] = {}
    symptoms: dict[str, set[str]] = {}
    symptom_diseases: dict[str, set[str]] = {}
    for did, disease, rel, target in rows:
        by_key.setdefault(key(disease), disease)
        if did and did.startswith("DOID:"):
            by_id.setdefault(did, disease)
        if rel == "is_a" and target:
            parents.setdefault(disease, set()).add(target)
        elif rel == "symptom" and target:
            symptoms.setdefault(disease, set()).add(target)
            symptom_diseases.setdefault(target, set()).add(disease)

    def freeze(d: dict[str, set[str]]) -> dict[str, frozenset[str]]:
        return {k: frozenset(v) for k, v in d.items()}

    return Ontology(by_key, by_id, freeze(parents), freeze(symptoms), freeze(symptom_diseases))
