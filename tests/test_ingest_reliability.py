"""Issue 12: one ingest command is all or nothing, a copy of a release is not counted twice, zip members are
bounded, special files are refused, and a folder without report tables is an error, not a no-op.

Every case runs the real CLI in a subprocess on real files (zips written and damaged here, FIFOs, /dev/zero)."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from functools import partial
from pathlib import Path

import duckdb
import pytest

from adrlens.build import REPORTS_ONLY
from adrlens.build import ingest as build_ingest
from adrlens.errors import IngestFailed
from test_ingest_faers import DEMO_HEADER  # the small FAERS files' one DEMO header

ingest = partial(build_ingest, parts=REPORTS_ONLY)

TEN_CASES = Path("faers") / "samples" / "ubesp_20Q3_10cases"  # LF line ends, 10 linked cases
NICO = Path("faers") / "samples" / "nico8270_25Q4_1000cases"  # CRLF line ends, 1,000 cases
DRUG_MEMBER = "ascii/DRUG20Q3-10.txt"
DERIVED = ("report", "report_drug", "report_event", "report_outcome", "report_indication", "report_therapy")
# Far above any run here (a CLI ingest of a small sample takes seconds); a hang is what it guards against.
TIMEOUT_S = 300


def cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adrlens.cli", "ingest", "--reports-only", "--quiet", *map(str, args)],
        env={**os.environ, "COLUMNS": "10000", **(env or {})},  # no line wrapping inside the paths asserted
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in DERIVED}
    finally:
        con.close()


def quarter_zip(src: Path, out: Path, rename: dict[str, str] | None = None) -> Path:
    """A deflated quarterly zip of the table files in `src` (members under ascii/, optionally renamed)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(src.iterdir()):
            zf.write(f, "ascii/" + (rename or {}).get(f.name, f.name))
    return out


def _central_entry(data: bytes, member: str) -> int:
    """Offset of `member`'s central-directory entry (signature PK\\1\\2) in a zip's bytes."""
    i = data.find(b"PK\x01\x02")
    while i >= 0:
        n = struct.unpack("<H", data[i + 28 : i + 30])[0]
        if data[i + 46 : i + 46 + n].decode() == member:
            return i
        i = data.find(b"PK\x01\x02", i + 4)
    raise AssertionError(f"{member} not in the zip")


def corrupt_crc(z: Path, member: str) -> None:
    """Flip the member's CRC-32 in the central directory (the value zipfile checks): the bytes read fine."""
    data = bytearray(z.read_bytes())
    i = _central_entry(data, member)
    (crc,) = struct.unpack("<I", data[i + 16 : i + 20])
    data[i + 16 : i + 20] = struct.pack("<I", crc ^ 0xFFFFFFFF)
    z.write_bytes(data)


def corrupt_deflate(z: Path, member: str) -> None:
    """Overwrite the member's compressed bytes: its deflate stream is broken (zlib error -3)."""
    with zipfile.ZipFile(z) as zf:
        info = zf.getinfo(member)
    data = bytearray(z.read_bytes())
    off = info.header_offset
    name_len, extra_len = struct.unpack("<HH", data[off + 26 : off + 30])
    start = off + 30 + name_len + extra_len
    data[start : start + info.compress_size] = b"\xff" * info.compress_size
    z.write_bytes(data)


def understate_size(z: Path, member: str) -> None:
    """Make the central directory declare a member smaller than its stream really is."""
    data = bytearray(z.read_bytes())
    i = _central_entry(data, member)
    (size,) = struct.unpack("<I", data[i + 24 : i + 28])
    data[i + 24 : i + 28] = struct.pack("<I", size // 2)
    z.write_bytes(data)


@pytest.fixture
def existing_store(tmp_path: Path, data_dir: Path) -> Path:
    db = tmp_path / "s.duckdb"
    ingest([data_dir / "faers" / "samples" / "ubesp_12Q4_tiny"], db)
    return db


# --- 1. all or nothing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("damage", "words"), [(corrupt_crc, "Bad CRC-32"), (corrupt_deflate, "Error -3"), (understate_size, "CRC")]
)
def test_one_damaged_member_leaves_the_store_unchanged(
    tmp_path: Path, data_dir: Path, existing_store: Path, damage, words: str
) -> None:
    """Before: the six good tables were committed (10 cases without drugs), or a broken deflate stream
    ended in "internal error ... This is a bug"."""
    z = quarter_zip(data_dir / TEN_CASES, tmp_path / "faers_ascii_2020q3.zip")
    damage(z, DRUG_MEMBER)
    before = sha(existing_store)
    r = cli(z, "--store", existing_store)
    assert r.returncode == 1, r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    err = " ".join(r.stderr.split())
    assert err.startswith("error: nothing was ingested") and "is unchanged" in err
    assert f"failed: {z}::{DRUG_MEMBER}" in err and words in err
    assert sha(existing_store) == before
    # and into no store at all: none is created
    r = cli(z, "--store", tmp_path / "new.duckdb")
    assert r.returncode == 1 and not (tmp_path / "new.duckdb").exists()
    assert not list(tmp_path.glob("new.duckdb*"))  # nor its temporary copy


def test_every_failed_file_is_reported(tmp_path: Path, data_dir: Path) -> None:
    z = quarter_zip(data_dir / TEN_CASES, tmp_path / "faers_ascii_2020q3.zip")
    corrupt_crc(z, DRUG_MEMBER)
    bad = tmp_path / "other"
    bad.mkdir()
    (bad / "DEMO21Q1.txt").write_text("not a header\n1\n")
    r = cli(z, bad, "--store", tmp_path / "s.duckdb")
    assert r.returncode == 1
    err = " ".join(r.stderr.split())
    assert "2 of 8 report files could not be read" in err
    assert "DRUG20Q3-10.txt" in err and "DEMO21Q1.txt: the first line is not a `$`-delimited FAERS header" in err
    assert not (tmp_path / "s.duckdb").exists()


def test_already_ingested_and_ignored_files_are_not_failures(tmp_path: Path, data_dir: Path) -> None:
    z = quarter_zip(data_dir / TEN_CASES, tmp_path / "faers_ascii_2020q3.zip")
    with zipfile.ZipFile(z, "a") as zf:
        zf.writestr("Readme.pdf", b"%PDF-1.4 not a table")
    db = tmp_path / "s.duckdb"
    assert cli(z, "--store", db).returncode == 0
    r = cli(z, "--store", db)  # every table already in the store, the PDF ignored
    assert r.returncode == 0, r.stderr
    assert counts(db)["report"] == 10


# --- 2. copies of a release are not counted twice --------------------------------------------------------


def test_an_lf_copy_of_a_crlf_release_is_not_counted_twice(tmp_path: Path, data_dir: Path) -> None:
    """Before: cases stayed at 1,000 but report_drug doubled (6,782 -> 13,564), and report_therapy with it."""
    src = data_dir / NICO
    lf = tmp_path / "lf"
    lf.mkdir()
    for f in src.iterdir():
        raw = f.read_bytes()
        assert b"\r\n" in raw  # the sample really is CRLF, so the copy really differs
        (lf / f.name).write_bytes(raw.replace(b"\r\n", b"\n"))
    once, twice = tmp_path / "once.duckdb", tmp_path / "twice.duckdb"
    assert cli(src, "--store", once).returncode == 0
    assert cli(src, "--store", twice).returncode == 0
    r = cli(lf, "--store", twice)
    assert r.returncode == 0, r.stderr
    # report_drug has a row per ingredient, so its size follows the name mapping; the copy must not change it.
    assert counts(once)["report_drug"] > 6291
    assert counts(twice) == counts(once)
    con = duckdb.connect(str(twice), read_only=True)
    assert con.execute("SELECT count(*) FROM stage_drug").fetchall()[0][0] == 2 * 6291  # both files were read
    con.close()


def test_a_renamed_rezipped_copy_is_not_counted_twice(tmp_path: Path, data_dir: Path) -> None:
    src = data_dir / TEN_CASES
    z = quarter_zip(
        src, tmp_path / "faers_ascii_2020q3.zip", rename={f.name: f.name.replace("-10", "") for f in src.iterdir()}
    )
    once, both = tmp_path / "once.duckdb", tmp_path / "both.duckdb"
    assert cli(src, "--store", once).returncode == 0
    assert cli(src, z, "--store", both).returncode == 0  # one command, the folder and its renamed zip
    assert counts(both) == counts(once)
    assert counts(once)["report_drug"] > 0 and counts(once)["report_therapy"] > 0


def test_rows_repeated_inside_one_file_are_kept(tmp_path: Path) -> None:
    """The copy rule works per file: a DRUG file listing the same row twice keeps both, as before."""
    d = tmp_path / "q"
    d.mkdir()
    (d / "DEMO24Q1.txt").write_text(
        DEMO_HEADER + "\n101$1$1$I$$$20240101$20240105$EXP$$X$ACME$$61$YR$$M$Y$$$20240105$$MD$US$US\n"
    )
    drug = "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai\n101$1$1$PS$ASPIRIN$ASPIRIN\n"
    (d / "DRUG24Q1.txt").write_text(drug + "101$1$1$PS$ASPIRIN$ASPIRIN\n")
    db = tmp_path / "s.duckdb"
    assert cli(d, "--store", db).returncode == 0
    assert counts(db)["report_drug"] == 2
    crlf = tmp_path / "crlf"
    crlf.mkdir()
    for f in d.iterdir():
        (crlf / f.name).write_bytes(f.read_bytes().replace(b"\n", b"\r\n"))
    assert cli(crlf, "--store", db).returncode == 0
    assert counts(db)["report_drug"] == 2


# --- 3. bounded zip work, special files refused ------------------------------------------------------


def bomb_zip(out: Path, member_mb: int = 2) -> Path:
    """A real DEMO table of `member_mb` MB (one case's row repeated: ratio in the hundreds), deflated."""
    row = "101$1$1$I$$$20240101$20240105$EXP$$X$ACME$$61$YR$$M$Y$$$20240105$$MD$US$US\n"
    body = DEMO_HEADER + "\n" + row * (member_mb * (1 << 20) // len(row) + 1)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("ascii/DEMO24Q1.txt", body)
    return out


def test_a_zip_member_above_the_ratio_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    z = bomb_zip(tmp_path / "faers_ascii_2024q1.zip")
    assert z.stat().st_size < 64 << 10
    db = tmp_path / "s.duckdb"
    r = cli(z, "--store", db)
    err = " ".join(r.stderr.split())
    assert r.returncode == 1 and "above the limit of 100:1" in err and "--max-ratio" in err
    assert not db.exists()
    # the limit is an option (or ADRLENS_MAX_RATIO): raised, the genuine (if odd) table is read
    assert cli(z, "--store", db, "--max-ratio", "100000").returncode == 0
    assert counts(db)["report"] == 1
    r = cli(z, "--store", tmp_path / "env.duckdb", env={"ADRLENS_MAX_RATIO": "100000"})
    assert r.returncode == 0, r.stderr


def test_a_zip_member_above_the_size_limit_is_refused(tmp_path: Path) -> None:
    z = bomb_zip(tmp_path / "faers_ascii_2024q1.zip", member_mb=2)
    r = cli(z, "--store", tmp_path / "s.duckdb", "--max-member-mb", "1", "--max-ratio", "100000")
    err = " ".join(r.stderr.split())
    assert r.returncode == 1 and "2 MB uncompressed, above the limit of 1 MB per zip member" in err
    assert "--max-member-mb" in err
    r = cli(z, "--store", tmp_path / "s.duckdb", "--max-member-mb", "0")
    assert r.returncode == 2 and "--max-member-mb 0: give a positive number" in r.stderr


def test_a_gzip_table_that_expands_past_the_limits_is_refused_while_read(tmp_path: Path) -> None:
    """gzip declares no size up front, so its bytes are counted as they come (before: no limit at all)."""
    import gzip

    row = "1,1990,FLU,UNK,,,,FLU VACCINE\n"  # one VAERSVAX row, repeated into a few MB of very compressible text
    text = "VAERS_ID,VAX_TYPE,VAX_MANU,VAX_LOT,VAX_DOSE_SERIES,VAX_ROUTE,VAX_SITE,VAX_NAME\n" + row * 120_000
    gz = tmp_path / "in" / "1990VAERSVAX.csv.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress(text.encode(), compresslevel=9))
    assert len(text) / gz.stat().st_size > 100
    db = tmp_path / "s.duckdb"
    r = cli(gz, "--store", db)
    err = " ".join(r.stderr.split())
    assert r.returncode == 1 and "expands more than 100:1" in err and "--max-ratio" in err, r.stderr
    assert not db.exists()
    r = cli(gz, "--store", db, "--max-ratio", "100000", "--max-member-mb", "1")
    assert r.returncode == 1 and "expands past the limit of 1 MB" in " ".join(r.stderr.split())
    r = cli(gz, "--store", db, "--max-ratio", "100000")  # raised: the genuine (if odd) table is read
    assert r.returncode == 0, r.stderr


def test_a_large_member_that_is_not_a_table_is_not_refused(tmp_path: Path, data_dir: Path) -> None:
    z = quarter_zip(data_dir / TEN_CASES, tmp_path / "faers_ascii_2020q3.zip")
    with zipfile.ZipFile(z, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Readme.pdf", b"\0" * (2 << 20))  # never read: no reader takes it
    r = cli(z, "--store", tmp_path / "s.duckdb")
    assert r.returncode == 0, r.stderr


def test_dev_zero_is_refused_not_read_forever(tmp_path: Path) -> None:
    r = cli("/dev/zero", "--store", tmp_path / "s.duckdb")
    assert r.returncode == 2 and "/dev/zero is a character device, not a regular file or folder" in r.stderr
    assert not (tmp_path / "s.duckdb").exists()


def test_a_fifo_is_refused_given_or_found_in_a_folder(tmp_path: Path, data_dir: Path) -> None:
    fifo = tmp_path / "DEMO25Q4.txt"  # a table's name: before, the reader opened it and waited forever
    os.mkfifo(fifo)
    r = cli(fifo, "--store", tmp_path / "s.duckdb")
    assert r.returncode == 2 and "is a named pipe (FIFO), not a regular file or folder" in r.stderr
    d = tmp_path / "q"
    shutil.copytree(data_dir / TEN_CASES, d)
    os.mkfifo(d / "REAC20Q3.txt")
    r = cli(d, "--store", tmp_path / "s.duckdb")
    err = " ".join(r.stderr.split())
    assert r.returncode == 1 and f"failed: {d / 'REAC20Q3.txt'}: is a named pipe (FIFO)" in err
    assert not (tmp_path / "s.duckdb").exists()


# --- 4. nothing to ingest ------------------------------------------------------------------------------


def test_a_folder_without_report_tables_is_an_error(tmp_path: Path, existing_store: Path) -> None:
    """Before: exit 0 with "3 ignored"."""
    d = tmp_path / "notes"
    d.mkdir()
    for name in ("a.txt", "b.csv", "readme"):
        (d / name).write_text("hello\n")
    before = sha(existing_store)
    r = cli(d, "--store", existing_store)
    err = " ".join(r.stderr.split())
    assert r.returncode == 1 and f"error: no FAERS or VAERS tables found in {d} (3 files ignored" in err
    assert "DEMOyyQq.txt" in err and "yyyyVAERSDATA.csv" in err
    assert sha(existing_store) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    r = cli(empty, "--store", existing_store)
    assert r.returncode == 1 and "(no files at all)" in " ".join(r.stderr.split())


def test_the_python_api_raises_the_same_failure(tmp_path: Path, data_dir: Path) -> None:
    z = quarter_zip(data_dir / TEN_CASES, tmp_path / "faers_ascii_2020q3.zip")
    corrupt_deflate(z, DRUG_MEMBER)
    with pytest.raises(IngestFailed, match=r"DRUG20Q3-10\.txt") as e:
        ingest([z], tmp_path / "s.duckdb")
    assert e.value.exit_code == 1
    assert not (tmp_path / "s.duckdb").exists()
