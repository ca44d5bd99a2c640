"""Where adrlens finds its data and keeps its files.

The shared data folder is `$ADRLENS_DATA` if set, else the first `shared/data` found beside the
current directory or beside the source checkout (the layout the project is developed and tested in).
"""

from __future__ import annotations

import os
from pathlib import Path

from adrlens.errors import DataNotFoundError

_PACKAGE_ROOT = Path(__file__).resolve().parent


def data_dir(required: bool = True) -> Path:
    """The shared data folder (holding faers/, vaers/, labels/, vocab/ ...)."""
    env = os.environ.get("ADRLENS_DATA")
    if env:
        p = Path(env).expanduser()
        if p.is_dir():
            return p
        if required:
            raise DataNotFoundError(f"ADRLENS_DATA={env} is not a folder. Point it at the shared data folder.")
    candidates = [Path.cwd() / "../shared/data", Path.cwd() / "shared/data"]
    # src/adrlens -> checkout root -> ../shared/data
    candidates.append(_PACKAGE_ROOT.parent.parent.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    if required:
        raise DataNotFoundError(
            "Shared data folder not found. Set ADRLENS_DATA to the folder holding faers/, vaers/, "
            "labels/ and vocab/ (for example ADRLENS_DATA=../shared/data), or run "
            "`adrlens download` to fetch the public sources."
        )
    return Path("../shared/data")


def data_path(*parts: str) -> Path:
    """A path inside the shared data folder; raises DataNotFoundError naming it when absent."""
    p = data_dir().joinpath(*parts)
    if not p.exists():
        raise DataNotFoundError(f"Expected data file {p} is missing. Check ADRLENS_DATA ({data_dir()}).")
    return p


def cache_dir() -> Path:
    """A folder for derived, rebuildable files (vocabulary indexes). `$ADRLENS_CACHE` overrides."""
    env = os.environ.get("ADRLENS_CACHE")
    p = Path(env).expanduser() if env else Path.home() / ".cache" / "adrlens"
    p.mkdir(parents=True, exist_ok=True)
    return p


def default_store() -> Path:
    """The store the CLI uses when --store is not given: `$ADRLENS_STORE` or ./stores/adrlens.duckdb."""
    env = os.environ.get("ADRLENS_STORE")
    return Path(env).expanduser() if env else Path.cwd() / "stores" / "adrlens.duckdb"
