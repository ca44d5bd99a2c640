"""Product names as reported -> active ingredients, for the store's drug_map.

FAERS rows go through DrugVocabulary (prod_ai first, then drugname through the shared
vocabularies); VAERS rows through the vaccine vocabulary (VAX_TYPE, VAX_NAME -> product group).
A name nothing maps is kept verbatim (cleaned, lower-case) with mapped = False.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

Row = tuple[str, str | None, str | None, str, bool, str]


def _verbatim(drugname: str | None, prod_ai: str | None) -> str:
    name = (prod_ai or drugname or "").strip().lower()
    return re.sub(r"\s+", " ", name).strip(" .") or "(no name)"


def normalise_products(items: Iterable[tuple[str, str | None, str | None]]) -> list[Row]:
    """(source, drugname, prod_ai) -> rows (source, drugname, prod_ai, ingredient, mapped, method)."""
    items = list(items)
    out: list[Row] = []
    vaers = [(s, d, p) for s, d, p in items if s == "vaers"]
    other = [(s, d, p) for s, d, p in items if s != "vaers"]
    if vaers:
        from adrlens.vocab.vaccines import vaccine_products

        for s, d, p in vaers:
            products = vaccine_products(p, d)
            if products:
                out.extend((s, d, p, ing, True, "vax_type") for ing in products)
            else:
                out.append((s, d, p, _verbatim(d, p), False, "verbatim"))
    if other:
        from adrlens.vocab.drugs import DrugVocabulary

        vocab = DrugVocabulary.load()
        results = vocab.normalise_many([(d, p) for _, d, p in other])
        for (s, d, p), (ings, mapped, method) in zip(other, results, strict=True):
            if ings:
                out.extend((s, d, p, ing, mapped, method) for ing in dict.fromkeys(ings))
            else:
                out.append((s, d, p, _verbatim(d, p), False, "verbatim"))
    return out
