"""The answer article: Markdown, self-contained HTML with inline SVG charts, and the JSON schema check.

render_markdown(answer) -> str        render_html(answer) -> str
forest_svg(rows, title) -> str        trend_svg(points, title) -> str
validate_answer_json(d) -> list[str]  errors of Answer.to_dict() against docs/answer.schema.json
schema.build_schema() -> dict         the schema generated from adrlens.model

Modules: doc (the document tree, value formatting), article (build_article and its sections),
evidence_sections ("What the evidence says"), markdown, html, charts (SVG), schema.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from adrlens.report.charts import forest_svg, trend_svg
from adrlens.report.html import render_html
from adrlens.report.markdown import render_markdown

# The schema ships inside the package (templates/ is package data); docs/answer.schema.json is the same
# file for readers of the repository. Both are written by `python -m adrlens.report.schema`, and a test
# keeps them equal to build_schema(). (schema.py is not imported here, so `python -m` runs it cleanly.)
SCHEMA_PATH = Path(__file__).parent / "templates" / "answer.schema.json"

__all__ = [
    "SCHEMA_PATH",
    "answer_schema",
    "forest_svg",
    "render_html",
    "render_markdown",
    "trend_svg",
    "validate_answer_json",
]


@lru_cache(maxsize=1)
def answer_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of Answer.to_dict()."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_answer_json(d: dict[str, Any]) -> list[str]:
    """Every way `d` breaks the answer schema, one readable line each ("path: message"); [] when valid."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(answer_schema())
    errors = sorted(validator.iter_errors(d), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for e in errors:
        path = "/".join(str(p) for p in e.absolute_path) or "(root)"
        out.append(f"{path}: {e.message}")
    if not out:
        out += _reference_errors(d)
    return out


def _reference_errors(d: dict[str, Any]) -> list[str]:
    """What a JSON Schema cannot say: evidence ids are unique and every reason names existing evidence."""
    ids = [e["id"] for e in d["evidence"]]
    out = [f"evidence: id {i!r} is used more than once" for i in sorted({i for i in ids if ids.count(i) > 1})]
    known = set(ids)
    for n, r in enumerate(d["verdict"]["reasons"]):
        out += [
            f"verdict/reasons/{n}/evidence_ids: {i!r} names no evidence record"
            for i in r["evidence_ids"]
            if i not in known
        ]
    return out
