"""THE drug namer of the package: every source's drug name -> lower-case active ingredients.

Everything that turns a drug name into ingredient keys goes through here, on top of
`adrlens.vocab.drugs.DrugVocabulary`:

* `normalise_products` maps the store's (source, drugname, prod_ai) rows (FAERS through the drug
  vocabulary, vaccine sources through the vaccine vocabulary);
* `IngredientNamer` names the drugs of the knowledge sources (labels, literature, SIDER);
* `ingredient_key` names the drugs of the published count tables and the openFDA client.

There is no fallback: when the drug vocabulary cannot load, that is an error (DataNotFoundError), never
a silent lower-casing that would count "AMLODIPINE BESYLATE" apart from "amlodipine".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import cache
from pathlib import Path

from adrlens.vocab.drugs import DrugVocabulary, clean_name

Row = tuple[str, str | None, str | None, str, bool, str]

# Vocabulary methods that match a whole name (see DrugVocabulary.normalise).
_WHOLE_NAME_METHODS = frozenset(
    {"exact", "unii", "unii_brand", "salt_strip", "split", "product_map", "rxnorm_brand", "brand", "ner", "drugbank"}
)
_WS = re.compile(r"\s+")


def _verbatim(drugname: str | None, prod_ai: str | None) -> str:
    name = (prod_ai or drugname or "").strip().lower()
    return _WS.sub(" ", name).strip(" .") or "(no name)"


def normalise_products(
    items: Iterable[tuple[str, str | None, str | None]], vaccine_sources: Collection[str]
) -> list[Row]:
    """(source, drugname, prod_ai) -> rows (source, drugname, prod_ai, ingredient, mapped, method).

    Rows of the sources in `vaccine_sources` (their keys, e.g. `registry.of_kind("vaccine")`) go through the
    vaccine vocabulary (VAX_TYPE, VAX_NAME -> product group); all others through DrugVocabulary (prod_ai
    first, then drugname). A name nothing maps is kept verbatim (cleaned, lower-case) with mapped = False.
    """
    items = list(items)
    vaccine_sources = frozenset(vaccine_sources)
    out: list[Row] = []
    vaccines = [(s, d, p) for s, d, p in items if s in vaccine_sources]
    other = [(s, d, p) for s, d, p in items if s not in vaccine_sources]
    if vaccines:
        from adrlens.vocab.vaccines import vaccine_products

        for s, d, p in vaccines:
            products = vaccine_products(p, d)
            if products:
                out.extend((s, d, p, ing, True, "vax_type") for ing in products)
            else:
                out.append((s, d, p, _verbatim(d, p), False, "verbatim"))
    if other:
        vocab = DrugVocabulary.load()
        results = vocab.normalise_many([(d, p) for _, d, p in other])
        for (s, d, p), (ings, mapped, method) in zip(other, results, strict=True):
            if ings:
                out.extend((s, d, p, ing, mapped, method) for ing in dict.fromkeys(ings))
            else:
                out.append((s, d, p, _verbatim(d, p), False, "verbatim"))
    return out


class IngredientNamer:
    """Source drug name -> (ingredients, mapped), memoised; one instance per build."""

    method = "vocabulary"

    def __init__(self, data_dir: Path | None = None) -> None:
        self._memo: dict[str, tuple[list[str], bool]] = {}
        self._keys: dict[str, str] = {}
        self._vocab = DrugVocabulary.load(data_dir)

    def __call__(self, name: str) -> tuple[list[str], bool]:
        hit = self._memo.get(name)
        if hit is not None:
            return hit
        ings, mapped, _how = self._vocab.normalise(name, None)
        hit = ([i for i in ings if i], mapped)
        if not mapped and "-" in name.strip("-"):
            # Literature and SIDER write combinations and salts with hyphens:
            # "irbesartan-hydrochlorothiazide", "ritodrine-hydrochloride".
            parts = [x.strip() for x in name.split("-")]
            alts = [(name.replace("-", " "), 1)]
            if all(len(x) >= 4 for x in parts):  # "l-glutamine" is no combination
                alts.insert(0, (" / ".join(parts), len(parts)))
            for alt, n_ings in alts:
                a_ings, a_mapped, how = self._vocab.normalise(alt, None)
                # Only whole-name matches: a leading-words or suffix match on a rewritten name is a
                # guess too far ("gamma(amino) butyric acid" -> butyrate).
                if a_mapped and len(a_ings) == n_ings and how in _WHOLE_NAME_METHODS:
                    hit = (a_ings, True)
                    break
        self._memo[name] = hit
        return hit

    def one(self, name: str) -> str | None:
        """The single ingredient a name maps to (None for a combination or an empty name)."""
        ings, _ = self(name)
        return ings[0] if len(ings) == 1 else None

    def key(self, raw: str) -> str:
        """A table's drug text ('AMLODIPINE BESYLATE', 'A; B') -> one key: the sorted ingredients joined by
        '; ', so that a combination product never counts as one of its ingredients. ';' separates
        ingredients as FAERS's backslash does. Text that names no ingredient (a placeholder such as
        'UNKNOWN') keeps its cleaned, lower-case spelling."""
        text = str(raw)
        key = self._keys.get(text)
        if key is None:
            prod_ai = "\\".join(p.strip() for p in text.split(";"))
            ings, _mapped, _method = self._vocab.normalise(None, prod_ai)
            key = "; ".join(sorted({i for i in ings if i})) or clean_name(text.replace(";", " "))
            self._keys[text] = key
        return key


@cache
def default_namer() -> IngredientNamer:
    """The namer over the shared data folder's drug vocabulary (loaded once per process)."""
    return IngredientNamer()


def ingredient_key(raw: str) -> str:
    """Drug name as written in a count table -> ingredient key (see `IngredientNamer.key`)."""
    return default_namer().key(raw)
