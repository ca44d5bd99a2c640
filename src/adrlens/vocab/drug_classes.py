"""Drug class names ("statins", "ACE inhibitors", "beta blockers", "endopeptidases") -> their ingredients.

adrlens counts reports per ingredient, so a class name in a question is not a drug it can answer about; the
resolver uses `find_class` to say so and to name some of the class's drugs ("which one?").

Classes come from the shared vocabulary files (the same ones the store's `drug_class` table is built from):

* DrugCentral drug-to-class (`vocab/drugs/drugcentral/`): FDA Established Pharmacologic Class (EPC),
  Mechanism of Action, MeSH Pharmacological Action;
* WHO ATC (`vocab/drugs/atc/classes.csv`): the named groups of levels 1-4 and their substances;
* MeSH 2015 descriptors (`vocab/conditions/mesh_2015/tree-numbers.tsv`): a Chemicals and Drugs (D tree)
  descriptor whose descendants are known ingredients ("Endopeptidases" -> collagenase, ...).

Everyday class names that none of these spell ("statins") are in `class_aliases.json`, each pointing at the
EPC name it means, with its reference. Names match case- and plural-insensitively ("ACE inhibitor(s)").
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from adrlens import config

ALIASES_PATH = Path(__file__).with_name("class_aliases.json")

# Kinds of class, in the order a name is looked up (the first kind that knows the name wins).
KIND_ORDER = ("EPC", "ATC", "MoA", "MeSH PA", "MeSH")
_DRUGCENTRAL_KINDS = {
    ("FDA", "FDA Established Pharmacologic Class"): "EPC",
    ("FDA", "Mechanism of Action"): "MoA",
    ("MeSH", "Pharmacological Action"): "MeSH PA",
}
KIND_SOURCE = {
    "EPC": "FDA Established Pharmacologic Class (DrugCentral)",
    "MoA": "FDA Mechanism of Action class (DrugCentral)",
    "MeSH PA": "MeSH Pharmacological Action (DrugCentral)",
    "ATC": "WHO ATC classification",
    "MeSH": "MeSH 2015 Chemicals and Drugs tree",
}
MIN_MEMBERS = 2  # a "class" of one known ingredient is that ingredient, not a class


@dataclass(frozen=True)
class DrugClass:
    name: str  # as the source spells it ("HMG-CoA Reductase Inhibitor")
    kind: str  # a key of KIND_SOURCE
    members: tuple[str, ...]  # canonical ingredients, best known first

    @property
    def source(self) -> str:
        return KIND_SOURCE[self.kind]


def class_key(text: str) -> str:
    """Lower case, punctuation out, each word's plural folded, ATC's ", plain" dropped."""
    t = re.sub(r"[^a-z0-9]+", " ", str(text).lower())
    words = [w for w in t.split() if w not in ("plain", "agents", "agent", "drugs", "drug", "medicines", "medications")]
    out = []
    for w in words:
        if len(w) > 3 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
        out.append(w)
    return " ".join(out)


def _rows(path: Path, delimiter: str) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


@cache
def _classes(data_dir: str) -> dict[str, dict[str, DrugClass]]:
    """kind -> class key -> DrugClass, members mapped to canonical ingredients by the drug vocabulary."""
    from adrlens.vocab.drugs import DrugVocabulary

    vocab = DrugVocabulary.load(Path(data_dir))
    root = Path(data_dir) / "vocab"
    raw: dict[str, dict[str, tuple[str, set[str]]]] = {k: {} for k in KIND_ORDER}

    def add(kind: str, name: str, member_name: str) -> None:
        ings = vocab.whole_name(member_name)
        ing = ings[0] if len(ings) == 1 else None
        if not ing or not name.strip():
            return
        key = class_key(name)
        if key:
            raw[kind].setdefault(key, (name.strip(), set()))[1].add(ing)

    dc = root / "drugs" / "drugcentral"
    kinds = {
        r["class_id"]: _DRUGCENTRAL_KINDS[(r["class_source"], r["class_type"])]
        for r in _rows(dc / "classes.tsv", "\t")
        if (r.get("class_source"), r.get("class_type")) in _DRUGCENTRAL_KINDS
    }
    for r in _rows(dc / "drug-to-class.tsv", "\t"):
        kind = kinds.get(r.get("class_id", ""))
        if kind:
            add(kind, r.get("class_name", ""), r.get("drugbank_name", ""))

    atc_names: dict[str, str] = {}
    atc_members: list[tuple[str, str]] = []
    for r in _rows(root / "drugs" / "atc" / "classes.csv", ","):
        code, who, ing = ((r.get(k) or "").strip() for k in ("atc_code", "who_name", "ingredient"))
        if not code:
            continue
        if not ing:
            atc_names[code] = who
        elif ";" not in ing:  # a combination's code makes neither ingredient a class member
            atc_members.append((code, ing))
    for code, ing in atc_members:
        for n in (1, 3, 4, 5):  # the named levels 1-4 above the substance's level-5 code
            if len(code) > n and code[:n] in atc_names:
                add("ATC", atc_names[code[:n]], ing)

    tree = _rows(root / "conditions" / "mesh_2015" / "tree-numbers.tsv", "\t")
    by_number = {r["mesh_tree_number"]: r["mesh_name"] for r in tree if r.get("mesh_tree_number", "").startswith("D")}
    for number, name in by_number.items():
        parts = number.split(".")
        for i in range(2, len(parts)):  # every ancestor below the D0x top level
            parent = by_number.get(".".join(parts[:i]))
            if parent and not vocab.whole_name(parent):
                add("MeSH", parent, name)

    counts = vocab.name_counts()
    rank = {ing: n + (10**6 if vocab.has_brand(ing) else 0) for ing, n in counts.items()}  # marketed first
    out: dict[str, dict[str, DrugClass]] = {}
    for kind, entries in raw.items():
        out[kind] = {
            key: DrugClass(name, kind, tuple(sorted(members, key=lambda m: (-rank.get(m, 0), m))))
            for key, (name, members) in entries.items()
            if len(members) >= MIN_MEMBERS
        }
    return out


@cache
def _aliases() -> dict[str, tuple[str, str]]:
    """Everyday class name key -> (kind, source class name), from class_aliases.json."""
    data = json.loads(ALIASES_PATH.read_text(encoding="utf-8"))
    return {class_key(a): (e["kind"], e["class"]) for e in data["aliases"] for a in e["names"]}


def find_class(text: str) -> DrugClass | None:
    """The drug class a name means ("statins", "ACE inhibitors", "Endopeptidases"), or None."""
    key = class_key(text)
    if not key:
        return None
    classes = _classes(str(config.data_dir()))
    alias = _aliases().get(key)
    if alias is not None:
        hit = classes.get(alias[0], {}).get(class_key(alias[1]))
        if hit is not None:
            return hit
    for kind in KIND_ORDER:
        hit = classes[kind].get(key)
        if hit is not None:
            return hit
    return None
