"""Building the drug vocabulary's index: the shared vocabulary files -> name -> (ingredients, method).

`adrlens.vocab.drugs.DrugVocabulary.load` asks `cached_index` for the merged index; it is built once per
change of the source files (by `_Builder`, ~10 s) and pickled under `adrlens.config.cache_dir()`, keyed by
the files' sizes and mtimes (`_fingerprint`). Sources, all under `vocab/drugs/` of the shared data folder,
from most to least trusted:

* RxNorm ingredients (2023) and the RxCUI-UNII bridge: the canonical names;
* FDA UNII names (~1M names -> substance): substance names, synonyms, codes, brand names;
* the openFDA FAERS product -> active substance map (to 2015Q4): FAERS spellings and combination products;
* RxNorm 2015 branded-drug labels ("amlodipine 5 MG / benazepril 10 MG [Lotrel]"): brand combinations;
* the drug-named-entity-recognition dictionary, the drugstandards brand list, DrugBank aliases.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import pickle
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from adrlens import config
from adrlens.errors import DataNotFoundError
from adrlens.vocab._drug_data import CANONICAL_ALIASES, EXTRA_PRODUCTS
from adrlens.vocab.drugs import (
    _BIOSIMILAR_RE,
    _PLACEHOLDERS,
    _SALT_SUFFIXES,
    _UNSPECIFIED_RE,
    M_BRAND,
    M_CURATED,
    M_DRUGBANK,
    M_NER,
    M_PRODUCT,
    M_RXNORM_BRAND,
    M_UNII,
    M_UNII_BRAND,
    acid_or_salt_form,
    clean_name,
    strip_salts,
)

# Bump when the index layout or the build rules change, so stale caches are rebuilt.
_INDEX_VERSION = 8

# Files of vocab/drugs/ that the index is built from (relative paths). The first two are required.
_SOURCES = (
    "rxnorm/rxnorm_ingredients_2023.tsv.gz",
    "unii_names.txt.gz",
    "rxnorm/rxcui_unii.tsv",
    "faers_product_to_substance_mpmap.csv",
    "rxnorm/rxnorm_bioportal_2015.csv.gz",
    "drug_ner_dictionary.json.gz",
    "brand_to_generic.tsv",
    "drugbank/drugbank.tsv",
    "drugbank/aliases.json",
)
REQUIRED = _SOURCES[:2]


# Index building (once per change of the source files).


def fingerprint(folder: Path) -> str:
    """Index version and the sizes and mtimes of the source files: the cache key."""
    h = hashlib.sha256(f"v{_INDEX_VERSION}".encode())
    for rel in _SOURCES:
        p = folder / rel
        st = p.stat() if p.exists() else None
        h.update(f"{rel}:{st.st_size if st else -1}:{int(st.st_mtime) if st else -1};".encode())
    return h.hexdigest()[:16]


class _Builder:
    """Reads the source files and merges them into name -> (ingredients, method)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.canon: set[str] = set()
        self.rx_code_to_name: dict[str, str] = {}
        self.unii_of: dict[str, str] = {}  # name -> UNII
        self.unii_display: dict[str, str] = {}
        self.unii_rxcui: dict[str, list[str]] = {}
        self.unii_ing_memo: dict[str, str] = {}
        self.index: dict[str, tuple[tuple[str, ...], str]] = {}
        self._tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.extra_known: set[str] = set()
        # ingredient -> {brand name: rank}; rank 0 = RxNorm (US) or curated, 1 = UNII (worldwide).
        self.brands: dict[str, dict[str, int]] = {}

    def _brand(self, name: str, ings: Iterable[str], rank: int = 0) -> None:
        t, key = self._tup(ings), clean_name(name)
        if len(t) == 1 and key and "component" not in key and not re.search(r"\d", key):
            d = self.brands.setdefault(t[0], {})
            d[key] = min(rank, d.get(key, rank))

    # -- helpers ----------------------------------------------------------------------------------------
    def _tup(self, ings: Iterable[str]) -> tuple[str, ...]:
        t = tuple(sorted({CANONICAL_ALIASES.get(i, i) for i in ings}))
        return self._tuples.setdefault(t, t)

    def _add(self, name: str, ings: Iterable[str], method: str) -> None:
        key = clean_name(name)
        if not key or key in _PLACEHOLDERS or key in self.canon or key in self.index:
            return
        t = self._tup(ings)
        if t:
            self.index[key] = (t, method)

    def _base_of_biosimilar(self, name: str) -> str:
        m = _BIOSIMILAR_RE.match(name)
        if m and m.group(1) in self.canon:
            return m.group(1)
        return name

    def unii_ingredient(self, unii: str) -> str:
        """The canonical ingredient of a UNII: its RxNorm ingredient, else its salt-stripped display name."""
        hit = self.unii_ing_memo.get(unii)
        if hit is not None:
            return hit
        self.unii_ing_memo[unii] = ""  # guard against cycles
        result = ""
        for rxcui in self.unii_rxcui.get(unii, ()):
            if rxcui in self.rx_code_to_name:
                result = self.rx_code_to_name[rxcui]
                break
        if not result:
            disp = _UNSPECIFIED_RE.sub("", clean_name(self.unii_display.get(unii, "")))
            if disp in self.canon:
                result = disp
            else:
                stripped = strip_salts(disp, self.canon)
                other = self.unii_of.get(stripped)
                if stripped in self.canon:
                    result = stripped
                elif other and other != unii:
                    result = self.unii_ingredient(other) or stripped
                else:
                    result = stripped
        result = acid_or_salt_form(self._base_of_biosimilar(result), self.canon)
        self.unii_ing_memo[unii] = result
        return result

    def substance(self, text: str) -> str | None:
        """Canonical ingredient for one substance name, or None when no vocabulary knows it."""
        key = clean_name(text)
        if not key or key in _PLACEHOLDERS:
            return None
        stripped = strip_salts(key, self.canon)
        for cand in (key, stripped, acid_or_salt_form(stripped, self.canon)):
            if cand in self.canon:
                return cand
            u = self.unii_of.get(cand)
            if u:
                return self.unii_ingredient(u) or None
        base = self._base_of_biosimilar(key)
        return base if base in self.canon else None

    def substances(self, texts: Iterable[str]) -> list[str] | None:
        out = []
        for t in texts:
            s = self.substance(t)
            if s is None:
                return None
            out.append(s)
        return out or None

    # -- sources ----------------------------------------------------------------------------------------
    def read_rxnorm(self) -> None:
        with gzip.open(self.folder / "rxnorm/rxnorm_ingredients_2023.tsv.gz", "rt", encoding="utf-8") as f:
            rows = csv.reader(f, delimiter="\t")
            header = next(rows)
            cols = ("concept_name", "standard_concept", "concept_code")
            i_name, i_std, i_code = (header.index(c) for c in cols)
            for row in rows:
                if len(row) <= i_code:
                    continue
                name = clean_name(row[i_name])
                # S = standard, C = classification; D/U are retired concepts and not canonical.
                if name and row[i_std] in ("S", "C"):
                    self.canon.add(name)
                    self.rx_code_to_name[row[i_code]] = name
        p = self.folder / "rxnorm/rxcui_unii.tsv"
        if p.exists():
            with open(p, encoding="utf-8") as f:
                next(f)
                for line in f:
                    parts = line.rstrip("\n").split("\t")
                    if len(parts) == 2:
                        self.unii_rxcui.setdefault(parts[1], []).append(parts[0])

    def read_unii(self) -> list[tuple[str, str, str]]:
        """Load name -> UNII (best type first); returns (name, type, unii) rows for the index."""
        rank = {"of": 0, "cn": 1, "bn": 2, "cd": 3, "sys": 4}
        best: dict[str, tuple[int, str]] = {}
        rows: list[tuple[str, str, str]] = []
        with gzip.open(self.folder / "unii_names.txt.gz", "rt", encoding="utf-8", errors="replace") as f:
            next(f)
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 4:
                    continue
                name, typ, unii, disp = parts
                self.unii_display.setdefault(unii, disp)
                key = clean_name(name)
                # "AMLODIPINE [INN]" -> also "amlodipine": FAERS never writes the source tags.
                if key.endswith("]") and " [" in key:
                    key = key[: key.rindex(" [")].strip()
                r = rank.get(typ, 5)
                if not key or len(key) > 80:
                    continue
                old = best.get(key)
                if old is None or r < old[0]:
                    best[key] = (r, unii)
                if typ != "sys" or len(key) <= 40:  # long systematic names never occur in FAERS
                    rows.append((key, typ, unii))
        self.unii_of = {k: v[1] for k, v in best.items()}
        return rows

    def build(self) -> dict:
        for rel in REQUIRED:
            if not (self.folder / rel).exists():
                raise DataNotFoundError(
                    f"Drug vocabulary file {self.folder / rel} is missing. Point ADRLENS_DATA at the shared "
                    "data folder (it holds vocab/drugs/)."
                )
        self.read_rxnorm()
        self.canon.difference_update(CANONICAL_ALIASES)  # aliases are never canonical themselves
        unii_rows = self.read_unii()
        # 0. Curated names (recent brands): first, so that no noisier source can shadow them.
        for name, parts in EXTRA_PRODUCTS.items():
            ings = self.substances(parts)
            if ings:
                self._add(name, ings, M_CURATED)
                self._brand(name, ings)
        # 1. UNII substance names, synonyms and codes (not brands: a brand may be a combination).
        for key, typ, unii in unii_rows:
            if typ != "bn" and self.unii_of.get(key) == unii:
                ing = self.unii_ingredient(unii)
                if ing:
                    self._add(key, (ing,), M_UNII)
        # 2. FAERS product map: the spellings FAERS reporters use, and combination products.
        p = self.folder / "faers_product_to_substance_mpmap.csv"
        substance_texts: list[tuple[str, list[str]]] = []
        if p.exists():
            with open(p, encoding="utf-8", errors="replace", newline="") as f:
                rows = csv.reader(f)
                next(rows)
                for row in rows:
                    if len(row) < 2 or clean_name(row[1]) in _PLACEHOLDERS:
                        continue
                    parts = [x for x in row[1].split("\\") if x.strip()]
                    ings = self.substances(parts)
                    if ings is None:
                        # FDA's substance text itself is an ingredient name, even if no vocabulary has it.
                        ings = [self.substance(x) or strip_salts(clean_name(x), self.canon) for x in parts]
                        self.extra_known.update(ings)
                    self._add(row[0], ings, M_PRODUCT)
                    substance_texts.append((row[1], ings))
            # FAERS writes the substance text itself as drugname too ("HERBALS", "A\\B").
            for text, ings in substance_texts:
                self._add(text, ings, M_PRODUCT)
        # 3. UNII brand names (single substances).
        for key, typ, unii in unii_rows:
            if typ == "bn":
                ing = self.unii_ingredient(unii)
                if ing:
                    self._add(key, (ing,), M_UNII_BRAND)
                    self._brand(key, (ing,), rank=1)
        self._read_rxnorm_brands()
        self._read_ner()
        self._read_brand_to_generic()
        self._read_drugbank()
        known = frozenset(self.canon | self.extra_known | {i for t, _ in self.index.values() for i in t})
        brands = {k: sorted(v, key=lambda n: (v[n], n)) for k, v in self.brands.items()}
        return {"canon": frozenset(self.canon), "known": known, "index": self.index, "brands": brands}

    def _read_rxnorm_brands(self) -> None:
        p = self.folder / "rxnorm/rxnorm_bioportal_2015.csv.gz"
        if not p.exists():
            return
        label_re = re.compile(r"^(.+?)\s*\[([^\]]+)\]$")
        ing_re = re.compile(r"^([a-z][^0-9]*?)\s+[\d.]")
        with gzip.open(p, "rt", encoding="utf-8", errors="replace", newline="") as f:
            rows = csv.reader(f)
            next(rows)
            for row in rows:
                if len(row) < 2:
                    continue
                m = label_re.match(row[1].strip())
                if not m:
                    continue
                names = []
                for part in m.group(1).lower().split(" / "):
                    mm = ing_re.match(part.strip())
                    names.append(mm.group(1) if mm else part.strip())
                ings = self.substances(names)
                if ings:
                    self._add(m.group(2), ings, M_RXNORM_BRAND)
                    self._brand(m.group(2), ings)

    def _read_ner(self) -> None:
        p = self.folder / "drug_ner_dictionary.json.gz"
        if not p.exists():
            return
        with gzip.open(p, "rt", encoding="utf-8") as f:
            data = json.load(f)
        split_re = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
        memo: dict[str, list[str] | None] = {}
        for variant, canonicals in data.get("drug_variant_to_canonical", {}).items():
            if len(canonicals) != 1:
                continue  # ambiguous variant: skip rather than guess
            c = canonicals[0]
            if c not in memo:
                whole = self.substance(c)
                parts = split_re.split(c)
                # "calcium, magnesium, potassium, and sodium oxybates" must not yield "calcium".
                bare = any(clean_name(x) in _SALT_SUFFIXES for x in parts)
                memo[c] = [whole] if whole else (None if bare else self.substances(parts))
            if memo[c]:
                self._add(variant, memo[c], M_NER)

    def _read_brand_to_generic(self) -> None:
        p = self.folder / "brand_to_generic.tsv"
        if not p.exists():
            return
        with open(p, encoding="utf-8", errors="replace") as f:
            next(f)
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 2 and len(clean_name(parts[0])) >= 3:
                    ing = self.substance(parts[1])
                    if ing:
                        self._add(parts[0], (ing,), M_BRAND)

    def _read_drugbank(self) -> None:
        tsv, aliases = self.folder / "drugbank/drugbank.tsv", self.folder / "drugbank/aliases.json"
        if not (tsv.exists() and aliases.exists()):
            return
        names: dict[str, str] = {}
        with open(tsv, encoding="utf-8", errors="replace", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                names[row["drugbank_id"]] = row["name"]
        with open(aliases, encoding="utf-8") as f:
            data = json.load(f)
        for dbid, alias_list in data.items():
            ing = self.substance(names.get(dbid, ""))
            if ing:
                for a in alias_list:
                    self._add(a, (ing,), M_DRUGBANK)


_SYNONYM_METHODS = (M_UNII, M_NER)  # the index entries that are another name of one ingredient
_SYN_OK = re.compile(r"^[a-z][a-z \-]{2,30}$")  # names a person would type: letters, no codes or chemistry


def synonym_table(index: dict, only: str | None = None) -> dict[str, list[str]]:
    """{ingredient: its other names (UNII and NER entries of it alone, as a person would type them), shortest
    first}, from a built index; `only`: for that one ingredient."""
    syn: dict[str, set[str]] = {}
    for name, (ings, method) in index.items():
        if len(ings) == 1 and (only is None or ings[0] == only) and method in _SYNONYM_METHODS and _SYN_OK.match(name):
            syn.setdefault(ings[0], set()).add(name)
    return {k: sorted(v, key=lambda n: (len(n), n)) for k, v in syn.items()}


def cached_index(folder: Path, fingerprint: str, rebuild: bool = False) -> dict:
    """The index of `folder` (vocab/drugs): the pickle under config.cache_dir() when it is there and
    readable, else a fresh build that is written there (atomically) and replaces older builds."""
    cache = config.cache_dir() / f"drug_vocab_{fingerprint}.pickle"
    if cache.exists() and not rebuild:
        try:
            with open(cache, "rb") as f:
                return pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # a damaged cache is rebuilt, never trusted
    data = _Builder(folder).build()
    tmp = cache.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
    with open(tmp, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache)  # atomic: a concurrent reader never sees half a file
    for old in cache.parent.glob("drug_vocab_*.pickle"):
        if old != cache:  # superseded builds: keep the cache folder small
            old.unlink(missing_ok=True)
    return data
