"""The shape the package promises: import contracts that fail on an upward import, one signal rule, one
source registry, and modules that do one job."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "adrlens"
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--config", str(project / "pyproject.toml"), "--no-cache"],
        cwd=project,
        env={"PYTHONPATH": str(project / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dst = tmp_path_factory.mktemp("lint")
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    shutil.copytree(SRC, dst / "src" / "adrlens", ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def test_import_contracts_hold_and_catch_an_upward_import(project_copy: Path) -> None:
    ok = _lint(project_copy)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # The store must not reach up to the answer engine: add such an import and the contract breaks.
    db = project_copy / "src" / "adrlens" / "store" / "db.py"
    db.write_text(db.read_text() + "\nimport adrlens.engine  # noqa: E402,F401\n")
    bad = _lint(project_copy)
    assert bad.returncode != 0
    assert "adrlens.store is not allowed to import adrlens.engine" in bad.stdout.replace("\n", " ")


def _grep(pattern: str, exts: tuple[str, ...] = ("*.py", "*.sql", "*.json")) -> list[str]:
    rx = re.compile(pattern)
    hits = []
    for p in sorted(f for ext in exts for f in SRC.rglob(ext)):
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if rx.search(line):
                hits.append(f"{p.relative_to(SRC)}:{n}")
    return hits


def test_eb05_threshold_is_written_only_in_the_rules_module() -> None:
    hits = _grep(r"(?i)eb05.*>= *2|>= *2.*eb05")
    assert all(h.startswith("signals/rules.py:") for h in hits), hits


def test_source_keys_are_declared_only_in_the_registry_and_their_readers() -> None:
    hits = _grep(r"['\"]faers_ps['\"]")
    assert all(h.startswith(("sources/reports/faers_ps.py", "sources/registry.py")) for h in hits), hits
    # Above the readers, no layer names a source: it asks the registry.
    for layer in ("store", "signals", "evidence", "report"):
        for key in ("faers", "vaers", "faers_ps"):
            # (a data folder path such as base / "faers" / "aggregates" is no source key)
            hits = [h for h in _grep(rf"(?<!/ )['\"]{key}['\"](?! /)") if h.startswith(layer + "/")]
            assert not hits, (key, hits)


def test_no_import_error_guards_around_the_package_itself() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py"))
    assert "except ImportError" not in text


def test_no_module_is_much_over_500_lines() -> None:
    big = {
        str(p.relative_to(SRC)): n
        for p in SRC.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 560
    }
    # The synthetic generator is one job (write a calibrated FAERS release) in one long module.
    big.pop("synth.py", None)
    assert not big, big


def test_every_evidence_provider_takes_the_same_arguments() -> None:
    import inspect

    from adrlens.evidence import PROVIDERS

    assert len(PROVIDERS) == len({p.__module__ for p in PROVIDERS}) == 10
    for provide in PROVIDERS:
        assert list(inspect.signature(provide).parameters) == ["con", "q", "settings"], provide.__module__
