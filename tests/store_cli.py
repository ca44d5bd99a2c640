"""Helpers for the store's reliability tests: the adrlens CLI run as a real process, small FAERS quarters
written by the test, and what a store's folder holds afterwards."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from test_ingest_faers import DEMO_HEADER

DRUG_HEADER = (
    "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai$val_vbm$route$dose_vbm$cum_dose_chr$cum_dose_unit"
    "$dechal$rechal$lot_num$exp_dt$nda_num$dose_amt$dose_unit$dose_form$dose_freq"
)
REAC_HEADER = "primaryid$caseid$pt$drug_rec_act"
CLI = [sys.executable, "-m", "adrlens.cli"]


def cli_env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def run_cli(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env or cli_env()
    )


def popen_cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or cli_env()
    )


def lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


def sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    """Temporary copies, their write-ahead logs and lock files a build left in `folder`."""
    return sorted(p.name for p in folder.iterdir() if ".building.tmp" in p.name or p.name.endswith(".lock"))


def write_quarter(folder: Path, quarter: str, caseids: range, drugs: list[str], pts: list[str]) -> Path:
    """A FAERS quarter (DEMO, DRUG, REAC) with one report per case id; case i takes drug i and event i
    (cycling through `drugs` and `pts`)."""
    folder.mkdir(parents=True, exist_ok=True)
    demo, drug, reac = [DEMO_HEADER], [DRUG_HEADER], [REAC_HEADER]
    for k, c in enumerate(caseids):
        pid = f"{c}1"
        demo.append(f"{pid}${c}$1$I$20240101$$20240101$20240105$EXP$$X$ACME$$50$YR$$F$Y$$$20240105$$MD$US$US")
        name = drugs[k % len(drugs)]
        drug.append(f"{pid}${c}$1$PS${name}${name}$1$Oral$$$$$$$$$$$$")
        reac.append(f"{pid}${c}${pts[k % len(pts)]}$")
    for table, rows in (("DEMO", demo), ("DRUG", drug), ("REAC", reac)):
        (folder / f"{table}{quarter}.txt").write_text("\n".join(rows) + "\n")
    return folder


def caseids(store: Path) -> set[int]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return {c for (c,) in con.execute("SELECT caseid FROM report").fetchall()}
    finally:
        con.close()


@contextmanager
def held_lock(store: Path) -> Iterator[None]:
    """Hold the store's lock as a running build does (its pid in the file)."""
    fd = os.open(store.with_name(store.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)
