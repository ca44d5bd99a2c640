"""The answer JSON schema (draft 2020-12), generated from adrlens.model so it cannot drift from the code.

The frame (drug, condition, verdict, charts, related) is written here by hand because it carries rules the
dataclasses do not (non-empty names, score in 0..1, enums); the enums come from model.py. Each evidence
kind's `data` is generated from its dataclass in model.DATA_TYPES: every field required (asdict emits them
all), no other key allowed, types from the type hints.

    python -m adrlens.report.schema     # writes templates/answer.schema.json and docs/answer.schema.json
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

from adrlens import model
from adrlens.action import ACTIONS
from adrlens.model_online import ONLINE_STATUSES
from adrlens.verdict import FLAGS

SCHEMA_PATH = Path(__file__).parent / "templates" / "answer.schema.json"
DOCS_PATH = Path(__file__).resolve().parents[3] / "docs" / "answer.schema.json"  # in a repository checkout

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def type_schema(tp: Any) -> dict[str, Any]:
    """The JSON Schema of one type hint: str/int/float/bool, X | None, list[...], dict[str, ...], Literal, Any."""
    if tp is Any:
        return {}
    if tp in _SCALARS:
        return {"type": _SCALARS[tp]}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(rest) < len(args):
            inner = type_schema(rest[0])
            if set(inner) == {"type"} and isinstance(inner["type"], str):
                return {"type": [inner["type"], "null"]}
            return {"anyOf": [inner, {"type": "null"}]}
        return {"anyOf": [type_schema(a) for a in args]}
    if origin in (list, tuple, set):
        items = type_schema(args[0]) if args else {}
        return {"type": "array", **({"items": items} if items else {})}
    if origin is dict or tp is dict:
        values = type_schema(args[1]) if len(args) == 2 else {}
        return {"type": "object", **({"additionalProperties": values} if values else {})}
    if tp is list:
        return {"type": "array"}
    raise TypeError(f"no JSON Schema for type {tp!r}")


def dataclass_schema(cls: type) -> dict[str, Any]:
    """An object with exactly the dataclass's fields, all required, typed from its hints."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    out: dict[str, Any] = {"type": "object"}
    doc = inspect.cleandoc(cls.__doc__ or "")
    if doc and not doc.startswith(f"{cls.__name__}("):  # not the signature dataclass() writes when there is none
        out["description"] = " ".join(doc.split())
    out |= {
        "additionalProperties": False,
        "required": names,
        "properties": {n: type_schema(hints[n]) for n in names},
    }
    return out


def _data_defs() -> dict[str, Any]:
    return {cls.__name__: dataclass_schema(cls) for cls in model.DATA_TYPES.values()}


def _data_by_kind() -> list[dict[str, Any]]:
    """evidence.data is the kind's structure: one if/then per kind (errors point into evidence/N/data)."""
    return [
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"properties": {"data": _ref(cls.__name__)}},
        }
        for kind, cls in model.DATA_TYPES.items()
    ]


def _strings() -> dict[str, Any]:
    return _ref("strings")


def _nums(*keys: str) -> dict[str, Any]:
    return {k: _ref("numberOrNull") for k in keys}


def _obj(required: list[str], properties: dict[str, Any], closed: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object"}
    if closed:
        out["additionalProperties"] = False
    return out | {"required": required, "properties": properties}


def _frame_defs() -> dict[str, Any]:
    """The hand-written part: enums (from model.py) and the objects around the evidence data."""
    s, s1 = {"type": "string"}, {"type": "string", "minLength": 1}
    return {
        "grade": {"enum": list(model.GRADES)},
        "kind": {"enum": list(typing.get_args(model.EvidenceKind))},
        "direction": {"enum": list(typing.get_args(model.Direction))},
        "strength": {"enum": list(typing.get_args(model.Strength))},
        "numberOrNull": {"type": ["number", "null"]},
        "strings": {"type": "array", "items": {"type": "string"}},
        "drug": _obj(
            ["input", "name", "kind", "matched", "method", "profile", "synonyms"],
            {
                "input": s,
                "name": s1,
                "kind": {"enum": ["drug", "vaccine"]},
                "matched": s,
                "method": s,
                "profile": {
                    "type": ["object", "null"],
                    "description": "class, mechanism, indications, half-life, description: each with its source",
                },
                "synonyms": _strings(),
            },
        ),
        "condition": _obj(
            ["input", "label", "concept_id", "scope", "pts", "narrow", "broad", "description"],
            {
                "input": s,
                "label": s1,
                "concept_id": {"type": ["string", "null"]},
                "scope": {"enum": ["narrow", "broad"]},
                "pts": _strings(),
                "narrow": _strings(),
                "broad": _strings(),
                "description": {
                    "type": ["object", "null"],
                    "description": "definition, symptoms, causes, red flags: each with its source",
                },
            },
        ),
        "evidence": _obj(
            ["id", "kind", "source", "finding", "direction", "strength", "data", "source_ref"],
            {
                "id": s1,
                "kind": _ref("kind"),
                "source": s1,
                "finding": s1,
                "direction": _ref("direction"),
                "strength": _ref("strength"),
                "data": {"type": "object", "description": "the kind's structure (model.DATA_TYPES), see allOf"},
                "source_ref": {"type": "object"},
            },
        )
        | {"allOf": _data_by_kind()},
        "reason": _obj(["text", "evidence_ids"], {"text": s1, "evidence_ids": _strings()}),
        "verdict": _obj(
            ["grade", "score", "headline", "reasons", "caveats", "rules_version", "flags"],
            {
                "flags": {"type": "array", "items": {"enum": list(FLAGS)}},
                "grade": _ref("grade"),
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "headline": s1,
                "reasons": {"type": "array", "items": _ref("reason")},
                "caveats": _strings(),
                "rules_version": s,
            },
        ),
        "measureRow": _obj(
            ["label", "source"],
            {"label": s, "source": s, **_nums("a", "e", "ror", "ror_lo", "ror_hi", "ic", "ic025", "ic975")}
            | _nums("eb05", "ebgm", "eb95"),
            closed=False,
        ),
        "trendPoint": _obj(["quarter"], {"quarter": s, **_nums("a", "ror", "ror_lo", "ror_hi", "ic025")}, closed=False),
        "charts": {
            "type": "object",
            "properties": {
                "measures": {"type": "array", "items": _ref("measureRow")},
                "trend": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": _ref("trendPoint")},
                },
            },
        },
        "statement": _obj(
            ["text", "source", "url", "evidence_ids", "kind"],
            {
                "text": s1,
                "source": s,
                "url": {"type": ["string", "null"]},
                "evidence_ids": _strings(),
                "kind": {"enum": ["fact", "action", "warning_signs", "population", "dose", "general"]},
            },
        ),
        "layers": _obj(
            ["short_answer", "what_to_do", "about_drug", "about_condition", "why", "figure", "for_professionals"],
            {
                "short_answer": {"type": "array", "items": s1, "minItems": 1, "maxItems": 4},
                "what_to_do": {"type": "array", "items": _ref("statement"), "minItems": 1},
                "about_drug": {"type": "array", "items": _ref("statement")},
                "about_condition": {"type": "array", "items": _ref("statement")},
                "why": {"type": "array", "items": _ref("statement")},
                "figure": {"type": ["object", "null"]},
                "for_professionals": {"type": "object"},
            },
        ),
        "related": {
            "type": "object",
            "properties": {
                "questions": _strings(),
                "drug_top_signals": {
                    "type": "array",
                    "items": _obj(["pt"], {"pt": s, "source": s, **_nums("a", "eb05", "ror_lo")}, closed=False),
                },
                "condition_top_drugs": {
                    "type": "array",
                    "items": _obj(["drug"], {"drug": s, **_nums("a")}, closed=False),
                },
            },
        },
    }


def build_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of Answer.to_dict()."""
    top = [f.name for f in dataclasses.fields(model.Answer)]
    props: dict[str, Any] = {
        "schema_version": {"const": model.SCHEMA_VERSION},
        "question": {"type": "string", "minLength": 1},
        "drug": _ref("drug"),
        "condition": _ref("condition"),
        "evidence": {"type": "array", "items": _ref("evidence")},
        "verdict": _ref("verdict"),
        "charts": _ref("charts"),
        "related": _ref("related"),
        "methods": {
            "type": "object",
            "description": "READUS-PV items: data sources and dates, deduplication, drug mapping, measures, "
            "thresholds, intervals, software version.",
        },
        "action": _obj(
            ["action", "why"],
            {
                "action": {"enum": list(ACTIONS)},
                "why": {"type": "string"},
                "reference": {"type": ["string", "null"]},
                "advice": {"type": ["string", "null"]},
            },
        ),
        "layers": _ref("layers"),
        "generated_at": {"type": "string"},
        "online": {
            "type": "object",
            "description": "Empty unless the online sources were asked for (--online): their status, one line.",
            "properties": {
                "requested": {"type": "boolean"},
                "settings": {"type": "object"},
                "summary": {"type": "string"},
                "sources": {
                    "type": "array",
                    "items": _obj(
                        ["name", "evidence_id", "status", "reason", "fetched_at", "from_cache"],
                        {
                            "name": {"type": "string"},
                            "evidence_id": {"type": "string"},
                            "status": {"enum": [*ONLINE_STATUSES, None]},
                            "reason": {"type": ["string", "null"]},
                            "fetched_at": {"type": ["string", "null"]},
                            "from_cache": {"type": "boolean"},
                        },
                    ),
                },
            },
            "additionalProperties": False,
        },
    }
    if set(props) != set(top):  # a new Answer field needs its place here
        raise AssertionError(f"schema properties {sorted(props)} do not match Answer fields {sorted(top)}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://adrlens.invalid/answer.schema.json",
        "title": "adrlens answer",
        "description": "Answer.to_dict() of adrlens.model: a graded, sourced answer to 'Can drug X cause "
        "condition Y?'. Missing numbers are null (never NaN). Every number shown to a person sits in an "
        "evidence record's data with source_ref saying where it came from. Generated by adrlens.report.schema "
        "from the dataclasses of adrlens.model; do not edit by hand.",
        "type": "object",
        "required": top,
        "additionalProperties": False,
        "properties": props,
        "$defs": _frame_defs() | _data_defs(),
    }


def schema_text() -> str:
    """The schema as the shipped files hold it (2-space indent, a final newline)."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(paths: list[Path] | None = None) -> list[Path]:
    """Write the schema to the packaged copy and, in a repository checkout, to docs/."""
    if paths is None:
        paths = [SCHEMA_PATH] + ([DOCS_PATH] if DOCS_PATH.parent.is_dir() else [])
    body = schema_text()
    for p in paths:
        p.write_text(body, encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    for p in write_schema([Path(a) for a in args] or None):
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
