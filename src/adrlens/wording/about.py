"""About the drug and about the condition, in everyday words, each sentence with its source.

The drug: what it is and how it works (adrlens.wording.drug_words, a class-to-plain-words table of our own
with its references), its main uses from high-precision sources, how long it lasts in the body. The
condition: the consumer summaries of MedlinePlus, NINDS, NIDDK and GARD (adrlens.vocab.condition_text),
falling back to the project's condition catalogue: what it is, its common symptoms and causes, when to get
care.
"""

from __future__ import annotations

from adrlens.model import Answer, Statement
from adrlens.vocab.condition_text import condition_text, sentences_naming
from adrlens.wording.drug_words import describe_drug
from adrlens.wording.phrases import and_list, sentence
from adrlens.wording.short_answer import causes_in_order

CATALOGUE = "adrlens condition catalogue"


def about_drug(a: Answer) -> list[Statement]:
    return [Statement(sentence(t), src) for t, src in describe_drug(a.drug.name, a.drug.kind, a.drug.profile)]


def _names(a: Answer) -> list[str]:
    desc = a.condition.description or {}
    return list(dict.fromkeys([a.condition.label, *(desc.get("synonyms") or []), *a.condition.narrow[:1]]))


def about_condition(a: Answer) -> list[Statement]:
    desc = a.condition.description or {}
    ct = condition_text(_names(a))
    out: list[Statement] = []
    definition = desc.get("definition")
    if ct and ct.what_it_is:
        out.append(Statement(ct.what_it_is, ct.source, ct.url))
    elif isinstance(definition, dict) and definition.get("text"):
        out.append(Statement(sentence(definition["text"]), definition.get("source") or CATALOGUE))
    if ct and ct.symptoms:
        out.append(Statement(ct.symptoms, ct.source, ct.url))
    elif (
        ct
        and isinstance(definition, dict)
        and definition.get("source") == CATALOGUE
        and len(str(definition.get("text")).split()) <= 30
    ):  # the catalogue's own one-line definition says how it feels
        t = str(definition["text"])
        plain = sentence("Put simply, it is " + t[:1].lower() + t[1:])
        out.append(Statement(plain, definition.get("source") or CATALOGUE))
    other, meds = causes_in_order(a)
    causes = [*other[:3], *meds[:2]]
    listed = sentence(f"Common causes include {and_list(causes)}") if causes else ""
    if ct and ct.causes and (not listed or len(ct.causes.split()) <= len(listed.split())):
        out.append(Statement(ct.causes, ct.source, ct.url))
    elif listed:
        out.append(Statement(listed, CATALOGUE))
    if ct and ct.seek_care:
        out.append(Statement(ct.seek_care, ct.source, ct.url))
    return out


def condition_passages(a: Answer) -> list[Statement]:
    """Sentences of the condition's consumer text that name the drug (for example who must not take it)."""
    names = [a.drug.name, *(a.drug.synonyms or [])[:3]]
    return [Statement(p.text, p.source, p.url, kind="population") for p in sentences_naming(_names(a), names)]
