"""VAERS (Vaccine Adverse Event Reporting System) yearly releases as a report source.

CDC publishes one zip per year holding three CSV tables linked by VAERS_ID:
``YYYYVAERSDATA.csv`` (one row per report), ``YYYYVAERSVAX.csv`` (one row per vaccine given) and
``YYYYVAERSSYMPTOMS.csv`` (up to five MedDRA PTs a row, several rows a report). Each table is read on
its own into staging (the members of a zip may come in any order); `report` links them by primaryid.

Mapping choices (source = 'vaers'):
- primaryid = caseid = VAERS_ID, caseversion = 1 (the yearly files hold one version of a report),
  quarter = the year ('1999'); 'NonDomestic' files get quarter NULL (report_year then comes from RECVDATE).
- Every vaccine of a report is a suspect: VAERS asks for all vaccines given and does not grade
  suspicion, so role_cod = 'PS' for every VAX row (drug_seq = the row's order within its report).
- Outcomes use FAERS codes: DIED -> DE, L_THREAT -> LT, HOSPITAL and X_STAY (prolonged stay) -> HO,
  DISABLE -> DS, BIRTH_DEFECT (newer files) -> CA. ER_VISIT / ER_ED_VISIT / OFC_VISIT are *not* mapped:
  FAERS 'OT' means "other serious (important medical event)", and an emergency-room or office visit is
  not serious under 21 CFR 600.80, so mapping it would inflate seriousness counts.

Files are read with DuckDB's CSV reader after a streaming transcode to UTF-8: the releases are UTF-8
except for some lines of Windows-1252 text (smart quotes, dashes, accented letters in narratives), which
are decoded line by line and counted as repairs. Rows DuckDB cannot parse (wrong field count, broken
quoting, truncation) are counted as skips by error type, never dropped silently.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import itertools
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from adrlens.errors import IngestError
from adrlens.sources.base import UTF16_BOMS, UTF16_REPAIR, BoundedGunzip, FileResult, SourceFile

SOURCE = "vaers"
_NAME_RE = re.compile(r"^(?P<prefix>\d{4}|nondomestic)vaers(?P<table>data|vax|symptoms)\.csv(?:\.gz)?$", re.IGNORECASE)
_TABLE_NAMES = {"data": "VAERSDATA", "vax": "VAERSVAX", "symptoms": "VAERSSYMPTOMS"}
_REQUIRED = {
    "data": ("VAERS_ID", "RECVDATE"),
    "vax": ("VAERS_ID", "VAX_TYPE"),
    "symptoms": ("VAERS_ID", "SYMPTOM1"),
}
# Y/N flag column -> FAERS outcome code (see module docstring for ER_VISIT).
OUTCOME_FLAGS: dict[str, str] = {
    "DIED": "DE",
    "L_THREAT": "LT",
    "HOSPITAL": "HO",
    "X_STAY": "HO",
    "DISABLE": "DS",
    "BIRTH_DEFECT": "CA",
}
RAW_TABLE = "_adrlens_csv_raw"  # temp table load_csv_checked fills
_REJ = "_adrlens_csv_rej"
_REJ_SCAN = "_adrlens_csv_rejscan"
_CHUNK = 4 << 20


def _parse_name(name: str) -> re.Match[str] | None:
    return _NAME_RE.match(name.strip())


def detect(file: SourceFile) -> bool:
    """True for VAERS yearly CSVs: 1999VAERSDATA.csv, 1999VAERSVAX.csv, 1999VAERSSYMPTOMS.csv (any case)."""
    return _parse_name(file.name) is not None


# ---------------------------------------------------------------------------------------------
# Shared CSV machinery (also used by faers_ps): transcode to UTF-8, then DuckDB with counted rejects.


@contextmanager
def _open_plain(file: SourceFile) -> Iterator[io.BufferedIOBase]:
    """The file's bytes, gunzipped when its name ends in .gz."""
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(file.open())
        if file.name.lower().endswith(".gz"):
            packed = file.size if file.member else file.path.stat().st_size
            stream = stack.enter_context(io.BufferedReader(BoundedGunzip(stream, packed or 0, file.display)))
        yield stream


def _decode_line(line: bytes) -> tuple[str, bool]:
    """Decode one line as UTF-8, else as Windows-1252 (bytes cp1252 leaves undefined -> Latin-1)."""
    try:
        return line.decode("utf-8"), False
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="_adrlens_latin1"), True


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    bad = err.object[err.start : err.end]
    return bytes(bad).decode("latin-1"), err.end


codecs.register_error("_adrlens_latin1", _latin1_fallback)


def transcode_to_utf8(src: io.BufferedIOBase, dest: Path, result: FileResult) -> None:
    """Copy `src` to `dest` as UTF-8, counting lines that needed the Windows-1252 fallback or lost NULs.

    Whole chunks that are valid UTF-8 are copied as is (the common case); only chunks that fail are
    decoded line by line, so a stray Latin-1 byte changes one line, not the whole file.
    """
    head = src.read(2)
    if head in UTF16_BOMS:
        _transcode_utf16(head, src, dest, result)
        return
    line_no = 0  # physical lines before the current chunk
    fallback_lines = 0
    pending = head
    with open(dest, "wb") as out:
        while True:
            block = src.read(_CHUNK)
            data = pending + block
            if not block:
                chunk, pending = data, b""
            else:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # no newline yet: a very long line, keep reading
                    pending = data
                    continue
                chunk, pending = data[:cut], data[cut:]
            if not chunk:
                break
            if b"\x00" in chunk:
                for i, ln in enumerate(chunk.split(b"\n")):
                    if b"\x00" in ln:
                        result.repair("NUL byte removed", line_no + i + 1, ln.decode("latin-1"))
                chunk = chunk.replace(b"\x00", b"")
            if b"\r" in chunk:
                # One line ending for DuckDB, which detects it once from a sample: on a file mixing CRLF, LF
                # and CR rows it lost rows or failed outright. (A chunk ends at a LF, so no CRLF is cut.)
                chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            try:
                chunk.decode("utf-8")
                out.write(chunk)
            except UnicodeDecodeError:
                parts = chunk.split(b"\n")
                for i, ln in enumerate(parts):
                    text, fell_back = _decode_line(ln)
                    if fell_back:
                        fallback_lines += 1
                        result.repair("non-UTF-8 line decoded as Windows-1252", line_no + i + 1, text)
                    out.write(text.encode("utf-8"))
                    if i < len(parts) - 1:
                        out.write(b"\n")
            line_no += chunk.count(b"\n")
            if not block:
                break
    if fallback_lines:
        result.encoding = "utf-8+cp1252"


def _transcode_utf16(head: bytes, src: io.BufferedIOBase, dest: Path, result: FileResult) -> None:
    """A table saved as "Unicode text" (UTF-16 with its byte-order mark), streamed to UTF-8 with LF endings."""
    decoder = codecs.getincrementaldecoder("utf-16")()
    carry = ""  # a CR ending one block may be the first half of a CRLF
    with open(dest, "wb") as out:
        for block in itertools.chain([head], iter(lambda: src.read(_CHUNK), b""), [None]):
            try:
                text = carry + (decoder.decode(block) if block is not None else decoder.decode(b"", final=True))
            except UnicodeDecodeError as e:
                raise IngestError(f"the file starts as UTF-16 but is not valid UTF-16 ({e.reason})") from None
            carry = text[-1:] if block is not None and text.endswith("\r") else ""
            text = text[: len(text) - len(carry)].replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
            out.write(text.encode("utf-8"))
    result.encoding = "utf-16"
    result.repair(UTF16_REPAIR, 1, "")


def _header(path: Path, display: str) -> list[str]:
    with open(path, encoding="utf-8", newline="") as f:
        try:
            row = next(csv.reader(f))
        except StopIteration:
            raise IngestError(f"{display} is empty (no header line). Re-download or remove the file.") from None
    names = [c.strip().lstrip("\ufeff").upper() for c in row]
    # An unnamed column (a leading comma, a spreadsheet's index column) gets a name: DuckDB refuses '' as one.
    return [n or f"_UNNAMED{i + 1}" for i, n in enumerate(names)]


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def load_csv_checked(
    con: duckdb.DuckDBPyConnection,
    file: SourceFile,
    result: FileResult,
    required: tuple[str, ...],
    what: str,
) -> list[str]:
    """Load `file` (CSV with a header) into the temp table _adrlens_csv_raw, all columns VARCHAR.

    The table gets a column `_ord` (file order). Unparseable rows are counted in `result` as skips by
    DuckDB error type; `result.rows_read` is set to parsed + rejected rows. Returns the column names
    (upper-cased). Raises IngestError when a required column is missing.
    """
    with tempfile.TemporaryDirectory(prefix="adrlens_") as tmp:
        path = Path(tmp) / "data.csv"
        with _open_plain(file) as src:
            try:
                transcode_to_utf8(src, path, result)
            except (OSError, EOFError, gzip.BadGzipFile) as e:
                raise IngestError(
                    f"{file.display}: cannot read the file ({e}). It may be truncated; re-download it."
                ) from e
        cols = _header(path, file.display)
        missing = [c for c in required if c not in cols]
        if missing:
            raise IngestError(
                f"{file.display} does not look like a {what} file: missing column(s) {', '.join(missing)} "
                f"(header: {','.join(cols)[:200]}). Check the file or remove it from the ingest folder."
            )
        if len(set(cols)) != len(cols):
            raise IngestError(f"{file.display}: duplicate column names in header {cols}. Check the file.")
        columns = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in cols) + "}"
        for t in (RAW_TABLE, _REJ, _REJ_SCAN):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        # Explicit dialect (the sniffer gives up on damaged files); strict mode so a row with too many
        # fields is rejected rather than silently cut. Do not pass new_line: it breaks CRLF files.
        con.execute(
            f"""CREATE TEMP TABLE {RAW_TABLE} AS
            SELECT row_number() OVER () AS _ord, *
            FROM read_csv({_sql_str(str(path))}, header = true, auto_detect = false, columns = {columns},
                          delim = ',', quote = '"', escape = '"', strict_mode = true, null_padding = false,
                          store_rejects = true, rejects_table = '{_REJ}', rejects_scan = '{_REJ_SCAN}')"""
        )
        for line, err_type, example in con.execute(
            f"""SELECT line, error_type, csv_line FROM (
                    SELECT line, any_value(error_type) AS error_type, any_value(csv_line) AS csv_line
                    FROM {_REJ} GROUP BY line) ORDER BY line"""
        ).fetchall():
            result.skip(f"unparseable CSV row ({err_type})", int(line or 0), (example or "").strip())
        parsed = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
        con.execute(f"DROP TABLE IF EXISTS {_REJ}")
        con.execute(f"DROP TABLE IF EXISTS {_REJ_SCAN}")
    result.rows_read = int(parsed) + result.rows_skipped
    return cols


def _drop_raw(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")


@contextmanager
def raw_table(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    try:
        yield
    finally:
        _drop_raw(con)


def skip_bad_ids(con: duckdb.DuckDBPyConnection, result: FileResult, id_col: str) -> None:
    """Count (as skips) and delete raw rows whose id column is not a positive integer."""
    bad = con.execute(
        f"""SELECT count(*), any_value(_ord), any_value(coalesce({_ident(id_col)}, '<empty>'))
            FROM {RAW_TABLE} WHERE try_cast(trim({_ident(id_col)}) AS BIGINT) IS NULL"""
    ).fetchone()
    if bad and bad[0]:
        result.skip(f"{id_col} missing or not an integer", int(bad[1]), str(bad[2]), n=int(bad[0]))
        con.execute(f"DELETE FROM {RAW_TABLE} WHERE try_cast(trim({_ident(id_col)}) AS BIGINT) IS NULL")


def col_sql(cols: list[str], name: str) -> str:
    """SQL for a trimmed, empty-as-NULL column, or NULL when the column is absent from this release."""
    if name not in cols:
        return "NULL::VARCHAR"
    return f"nullif(trim({_ident(name)}), '')"


# ---------------------------------------------------------------------------------------------
# The three VAERS tables.


def _count_repair(con: duckdb.DuckDBPyConnection, result: FileResult, cond: str, reason: str, col: str) -> None:
    row = con.execute(
        f"SELECT count(*), any_value(_ord), any_value({_ident(col)}) FROM {RAW_TABLE} WHERE {cond}"
    ).fetchone()
    for _ in range(int(row[0]) if row else 0):
        result.repair(reason, int(row[1]), f"row {row[1]}: {col}={row[2]!r}")


def _date(cols: list[str], name: str) -> str:
    c = col_sql(cols, name)
    return f"try_strptime({c}, ['%m/%d/%Y', '%Y-%m-%d'])::DATE"


def _read_data(con: duckdb.DuckDBPyConnection, cols: list[str], file_id: int, result: FileResult) -> None:
    # Repairs first (values that are present but unusable become NULL), so each is counted.
    for name in ("RECVDATE", "RPT_DATE", "VAX_DATE", "ONSET_DATE"):
        if name in cols:
            _count_repair(
                con,
                result,
                f"{col_sql(cols, name)} IS NOT NULL AND {_date(cols, name)} IS NULL",
                f"{name} not a date (MM/DD/YYYY); set to NULL",
                name,
            )
    if "AGE_YRS" in cols:
        age = col_sql(cols, "AGE_YRS")
        _count_repair(
            con,
            result,
            f"{age} IS NOT NULL AND coalesce(NOT (try_cast({age} AS DOUBLE) BETWEEN 0 AND 130), true)",
            "AGE_YRS not a number in 0-130; set to NULL",
            "AGE_YRS",
        )
    age_ok = (
        f"CASE WHEN try_cast({col_sql(cols, 'AGE_YRS')} AS DOUBLE) BETWEEN 0 AND 130 "
        f"THEN try_cast({col_sql(cols, 'AGE_YRS')} AS DOUBLE) END"
    )
    sex = col_sql(cols, "SEX")
    before = con.execute("SELECT count(*) FROM stage_demo").fetchone()[0]
    con.execute(
        f"""INSERT INTO stage_demo (source, file_id, quarter, primaryid, caseid, caseversion, fda_dt, rept_dt,
                                    age, age_cod, age_years, sex, occp_cod, reporter_country, died,
                                    narrative, other_meds, cur_ill, history, vax_date, onset_date)
            SELECT '{SOURCE}', ?, ?, id, id, 1, {_date(cols, "RECVDATE")}, {_date(cols, "RPT_DATE")},
                   {age_ok}, CASE WHEN {age_ok} IS NOT NULL THEN 'YR' END, {age_ok},
                   CASE WHEN upper({sex}) IN ('M', 'F') THEN upper({sex}) END, NULL, NULL,
                   coalesce(upper({col_sql(cols, "DIED")}) = 'Y', false),
                   {col_sql(cols, "SYMPTOM_TEXT")}, {col_sql(cols, "OTHER_MEDS")}, {col_sql(cols, "CUR_ILL")},
                   {col_sql(cols, "HISTORY")}, {_date(cols, "VAX_DATE")}, {_date(cols, "ONSET_DATE")}
            FROM (SELECT try_cast(trim("VAERS_ID") AS BIGINT) AS id, * FROM {RAW_TABLE})
            ORDER BY _ord""",
        [file_id, result.quarter],
    )
    result.rows_loaded = con.execute("SELECT count(*) FROM stage_demo").fetchone()[0] - before
    flags = [(c, code) for c, code in OUTCOME_FLAGS.items() if c in cols]
    if flags:
        union = " UNION ALL ".join(
            f"SELECT id, '{code}' AS outc_cod FROM ids WHERE upper({col_sql(cols, c)}) = 'Y'" for c, code in flags
        )
        con.execute(
            f"""INSERT INTO stage_outc (source, file_id, primaryid, outc_cod)
                WITH ids AS (SELECT try_cast(trim("VAERS_ID") AS BIGINT) AS id, * FROM {RAW_TABLE})
                SELECT DISTINCT '{SOURCE}', ?, id, outc_cod FROM ({union})""",
            [file_id],
        )


def _read_vax(con: duckdb.DuckDBPyConnection, cols: list[str], file_id: int, result: FileResult) -> None:
    con.execute(
        f"""INSERT INTO stage_drug (source, file_id, primaryid, drug_seq, role_cod, drugname, prod_ai,
                                    route, lot_num)
            SELECT '{SOURCE}', ?, id, row_number() OVER (PARTITION BY id ORDER BY _ord), 'PS',
                   coalesce({col_sql(cols, "VAX_NAME")}, upper({col_sql(cols, "VAX_TYPE")})),
                   upper({col_sql(cols, "VAX_TYPE")}), upper({col_sql(cols, "VAX_ROUTE")}),
                   {col_sql(cols, "VAX_LOT")}
            FROM (SELECT try_cast(trim("VAERS_ID") AS BIGINT) AS id, * FROM {RAW_TABLE})
            ORDER BY _ord""",
        [file_id],
    )
    result.rows_loaded = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]


def _read_symptoms(con: duckdb.DuckDBPyConnection, cols: list[str], file_id: int, result: FileResult) -> None:
    sym_cols = sorted((c for c in cols if re.fullmatch(r"SYMPTOM\d+", c)), key=lambda c: int(c[7:]))
    union = " UNION ALL ".join(
        f"SELECT _ord, {i} AS k, id, lower({col_sql(cols, c)}) AS pt FROM ids" for i, c in enumerate(sym_cols)
    )
    con.execute(
        f"""INSERT INTO stage_reac (source, file_id, primaryid, pt)
            WITH ids AS (SELECT try_cast(trim("VAERS_ID") AS BIGINT) AS id, * FROM {RAW_TABLE})
            SELECT '{SOURCE}', ?, id, pt FROM ({union}) WHERE pt IS NOT NULL ORDER BY _ord, k""",
        [file_id],
    )
    result.rows_loaded = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]


def read(con: duckdb.DuckDBPyConnection, file: SourceFile, file_id: int) -> FileResult:
    """Append one VAERS table file to stage_demo/stage_outc, stage_drug or stage_reac (source 'vaers')."""
    m = _parse_name(file.name)
    if m is None:
        raise IngestError(f"{file.display} is not a VAERS file (expected names like 1999VAERSDATA.csv).")
    kind = m.group("table").lower()
    prefix = m.group("prefix")
    result = FileResult(
        source=SOURCE,
        layout="vaers",
        table_name=_TABLE_NAMES[kind],
        quarter=prefix if prefix.isdigit() else None,
    )
    with raw_table(con):
        cols = load_csv_checked(con, file, result, _REQUIRED[kind], f"VAERS {_TABLE_NAMES[kind]}")
        skip_bad_ids(con, result, "VAERS_ID")
        if kind == "data":
            _read_data(con, cols, file_id, result)
        elif kind == "vax":
            _read_vax(con, cols, file_id, result)
        else:
            _read_symptoms(con, cols, file_id, result)
    return result
