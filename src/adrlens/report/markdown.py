"""The answer article as Markdown (GitHub-flavoured tables), rendered from the tree of article.py.

Every piece of text from the Answer is escaped (md_escape): names and findings render as written, never as
tags, links or headings.
"""

from __future__ import annotations

import re

from adrlens.model import Answer
from adrlens.report.article import Block, Seg, build_article
from adrlens.report.doc import Article

PROFESSIONALS = "For professionals"

_MD_SPECIAL = re.compile(r"([\\`*\[\]<|])")  # ">" mid-line is plain text; at line start see below


def md_escape(s: str) -> str:
    """Escape Markdown/HTML syntax in plain text so names and findings render as written (no tags, no links)."""
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", s)  # intraword underscores are harmless
    return re.sub(r"^(\s*)([#>+-]|\d+\.)(\s)", r"\1\\\2\3", s)  # would start a heading, quote or list


def _md_code(s: str) -> str:
    return "`" + s.replace("`", "'") + "`"


def _md_segs(segs: list[Seg]) -> str:
    out = []
    for s in segs:
        if s.kind == "strong":
            stripped = s.text.strip()
            lead = s.text[: len(s.text) - len(s.text.lstrip())]
            trail = s.text[len(s.text.rstrip()) :]
            out.append(f"{lead}**{md_escape(stripped)}**{trail}" if stripped else s.text)
        elif s.kind == "link" and s.href:
            out.append(f"[{md_escape(s.text)}]({s.href})")
        elif s.kind == "cite":
            inner = "; ".join(([md_escape(s.text)] if s.text else []) + [_md_code(i) for i in s.ids])
            out.append(f" [{inner}]" if s.text else f" (evidence: {', '.join(_md_code(i) for i in s.ids)})")
        elif s.kind == "code":
            out.append(_md_code(s.text))
        else:
            out.append(md_escape(s.text))
    return "".join(out)


def _md_block(b: Block) -> str:
    if b.kind == "p":
        body = _md_segs(b.segs)
        return f"> {body}" if b.cls in {"caveat", "headline"} else body
    if b.kind == "ul":
        return "\n".join(f"- {_md_segs(segs)}" for segs, _ in b.items)
    if b.kind == "table":
        head = "| " + " | ".join(md_escape(h) for h in b.header) + " |"
        sep = "|" + "|".join("---" for _ in b.header) + "|"
        body = ["| " + " | ".join(_md_segs(c) for c in row) + " |" for row in b.rows]
        return "\n".join([head, sep, *body])
    if b.kind == "dl":
        out = []
        for k, lines in b.pairs:
            if len(lines) == 1:
                out.append(f"- **{md_escape(k)}:** {_md_segs(lines[0])}")
            else:
                out.append(f"- **{md_escape(k)}:**")
                out += [f"  - {_md_segs(ln)}" for ln in lines]
        return "\n".join(out)
    return ""  # charts exist in the HTML article only; the table above carries the same numbers


def render_markdown(answer: Answer) -> str:
    """The answer article as Markdown (GitHub-flavoured tables), sections in the fixed order."""
    return render_article(build_article(answer))


def render_article(art: Article) -> str:
    """A built article tree as Markdown. Professional sections come under one "## For professionals"
    heading (one per run of them) and one level deeper than their own level."""
    out = [f"# {md_escape(art.title)}", ""]
    prev_layer = "plain"
    for sec in art.sections:
        level = sec.level
        if sec.layer == "professional":
            if prev_layer != "professional":
                out += [f"## {PROFESSIONALS}", ""]
            level += 1
        prev_layer = sec.layer
        out += ["#" * min(level, 6) + " " + md_escape(sec.title), ""]
        for b in sec.blocks:
            s = _md_block(b)
            if s:
                out += [s, ""]
    out += ["---", "", _md_segs(art.footer), ""]
    return "\n".join(out)
