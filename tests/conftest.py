"""Shared fixtures: the real shared data, and stores built from it once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from adrlens import config


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return config.data_dir()


@pytest.fixture(scope="session")
def samples_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A store built from every shared FAERS sample (folders and zips)."""
    from adrlens.build import ingest

    path = tmp_path_factory.mktemp("samples") / "samples.duckdb"
    summary = ingest([data_dir / "faers" / "samples"], path)
    assert not summary.failed, [f.error for f in summary.failed]
    return path


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """VAERS 1990-2006, FAERS 2022Q3 (PS) and the FAERS samples, with knowledge and all-pairs statistics."""
    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    from adrlens.build import build_store

    build_store(path)
    return path
