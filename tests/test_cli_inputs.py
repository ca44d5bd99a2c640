"""The CLI on what users hand it (issue 12, items 8c-d, 10d, 10f), as real processes on a real store made by
`adrlens ingest`:

* messages that name a fix name a real command: `ask` on a store made by `ingest` once said "Build the
  knowledge tables first (adrlens.knowledge.build_knowledge...)", a Python call no user can make;
* `evaluate` on a reference set with duplicate rows collapses them with a notice and never prints an AUC
  of "0.00 (0.00-0.00)"; a binary reference set is one line of error."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "adrlens"
# "adrlens X" reads as a command when a command line follows or leads in: "adrlens ingest FILES",
# "adrlens rebuild --store", "run adrlens X", "(adrlens X", "`adrlens X", "next: adrlens X".
_COMMAND = re.compile(
    r"(?:\b(?:run|try|use|then|next|see|with|or)\b:?\s+|:\s+|[(`'\"])adrlens ([a-z][a-z-]*)\b"
    r"(?=\s*(?:--|<|[A-Z{]|\S*/|[)`'\"]|$))"
)


def _messages() -> list[tuple[str, str]]:
    """(file:line, text) of every string constant in the package that is no docstring."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)
        }
        for n in ast.walk(tree):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs:
                out.append((f"{path.relative_to(SRC)}:{n.lineno}", n.value))
    return out


def _commands() -> set[str]:
    from adrlens.cli import app

    return {c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands}


def test_every_command_a_message_names_is_a_real_command() -> None:
    commands = _commands()
    assert {"ask", "ingest", "rebuild", "build", "status"} <= commands
    named = [(where, m.group(1)) for where, text in _messages() for m in _COMMAND.finditer(text)]
    assert len(named) >= 5, named  # the pattern finds the messages it is meant to check
    assert [(w, c) for w, c in named if c not in commands] == []


def test_no_message_asks_the_user_to_call_python() -> None:
    bad = [
        (w, t[:80]) for w, t in _messages()
        if "knowledge tables first" in t.lower() or re.search(r"adrlens(?:\.[a-z_]+)+\.[a-z_]+\(", t)
    ]
    assert bad == []


@pytest.fixture(scope="module")
def ingested_only(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A store made by `adrlens ingest` alone (the real CLI), from the shared 10-case FAERS sample."""
    store = tmp_path_factory.mktemp("ingest-only") / "s.duckdb"
    res = subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ingest", str(data_dir / "faers" / "samples" / "ubesp_20Q3_10cases"),
         "--store", str(store)],
        capture_output=True, text=True, timeout=900,
    )
    assert res.returncode == 0, res.stderr
    return store


def test_ask_on_a_store_made_by_ingest_alone_answers(ingested_only: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ask", "Can amlodipine cause headache?", "--store", str(ingested_only)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "300"},
    )
    assert res.returncode == 0, res.stderr
    assert "# Can amlodipine cause headache?" in res.stdout
    # The label and literature sections come from the knowledge tables that ingest built.
    assert "label" in res.stdout.lower() and "knowledge tables" not in (res.stdout + res.stderr).lower()


def _evaluate(store: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "evaluate", *args, "--store", str(store), "--boot", "100"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "300"},
    )


def test_cli_evaluate_collapses_duplicates_and_never_prints_a_zero_auc(ingested_only: Path, tmp_path: Path) -> None:
    """1,000 copies of one row once ran for more than 500 s; 50 gave "AUC 0.00 (0.00-0.00)"."""
    ref = tmp_path / "dups.csv"
    ref.write_bytes(
        ("drug,condition,truth\n" + "acetaminophen,anaphylaxis,1\n" * 1000 + "aspirin,anaphylaxis,0\n").encode("utf-16")
    )
    res = _evaluate(ingested_only, str(ref))
    assert res.returncode == 0, res.stderr
    said = " ".join(res.stderr.split())
    assert "note: 999 duplicate row(s) collapsed: 2 distinct pair(s) from 1,001 rows" in said
    assert "| combined | 2 / 2 | 1 / 1 |" in res.stdout
    assert "not estimable: 1 positive(s) and 1 negative(s)" in res.stdout
    assert "0.00 (0.00-0.00)" not in res.stdout and "Traceback" not in res.stderr
    res = _evaluate(ingested_only, str(ref), "--json")
    report = json.loads(res.stdout)
    assert (report["n_rows"], report["n_pairs"]) == (1001, 2) and len(report["per_pair"]) == 2
    assert report["sources"][0]["auc"] is None and "not estimable" in report["sources"][0]["auc_note"]


def test_cli_evaluate_refuses_a_binary_refset_in_one_line(ingested_only: Path, tmp_path: Path) -> None:
    ref = tmp_path / "refset.csv"
    ref.write_bytes(b"PK\x03\x04\x14\x00\x08\x00" + bytes(range(256)))  # a zip saved under a .csv name
    res = _evaluate(ingested_only, str(ref))
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2 and len(lines) == 1, res.stderr
    assert lines[0].startswith(f"error: {ref}: cannot read this reference set") and "UTF-16" in lines[0]
