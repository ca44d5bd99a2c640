"""FDA FAERS / legacy AERS quarterly ASCII releases.

Reads one table file (DEMO, DRUG, REAC, OUTC, INDI, THER, RPSR, or a DELETE list) in either layout:
legacy AERS 2004Q1-2012Q3 (keys ISR and CASE, upper-case `.TXT` names, a trailing `$` on every row)
or FAERS 2012Q4+ (primaryid, caseid, caseversion). Columns are matched by header name, so the small
layout changes between quarters (gndr_cod -> sex, prod_ai added in 2014Q3 ...) need no code.

Parsing is done by Arrow's CSV reader (`$` delimiter, no quoting). Rows with the wrong number of
fields come back to Python one by one, where they are repaired when the repair is unambiguous:
- a stray newline inside a field splits one row into consecutive short rows whose field counts add
  up: they are joined (the newline becomes a space);
- extra fields that are all empty (a doubled trailing `$`) are dropped;
- a legacy row lacking only its trailing `$` is padded.
Anything else is skipped. Value-level repairs (numbers and dates ending in `.0`, partial dates kept
with their precision, impossible dates emptied) are done in SQL. Every repair and skip is counted by
reason in the FileResult, which the orchestrator writes to `ingest_issue`.
"""

from __future__ import annotations

import codecs
import io
import re
import threading

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from adrlens.errors import IngestError
from adrlens.sources.base import UTF16_BOMS, UTF16_REPAIR, FileResult, SourceFile

# The store's key for FDA's quarterly releases (legacy AERS and FAERS alike: one case-id namespace).
SOURCE = "faers"

TABLES = ("DEMO", "DRUG", "REAC", "OUTC", "INDI", "THER", "RPSR")
_TABLE_RE = re.compile(r"^(DEMO|DRUG|REAC|OUTC|INDI|THER|RPSR)(\d{2})Q([1-4])", re.IGNORECASE)
_DELETE_RE = re.compile(r"^DELETE[D]?[_ ]?(\d{2})Q([1-4])", re.IGNORECASE)

# Header aliases: stage column -> candidate source columns (lower-case), first present wins.
_KEYS = {"primaryid": ("primaryid", "isr"), "caseid": ("caseid", "case")}
_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "DEMO": {
        "caseversion": ("caseversion",),
        "i_f_code": ("i_f_code", "i_f_cod"),
        "event_dt": ("event_dt",),
        "mfr_dt": ("mfr_dt",),
        "init_fda_dt": ("init_fda_dt",),
        "fda_dt": ("fda_dt",),
        "rept_dt": ("rept_dt",),
        "rept_cod": ("rept_cod",),
        "mfr_sndr": ("mfr_sndr",),
        "age": ("age",),
        "age_cod": ("age_cod",),
        "sex": ("sex", "gndr_cod"),
        "wt": ("wt",),
        "wt_cod": ("wt_cod",),
        "occp_cod": ("occp_cod",),
        "reporter_country": ("reporter_country",),
        "occr_country": ("occr_country",),
        "death_dt": ("death_dt",),
    },
    "DRUG": {
        "drug_seq": ("drug_seq",),
        "role_cod": ("role_cod",),
        "drugname": ("drugname",),
        "prod_ai": ("prod_ai",),
        "route": ("route",),
        "dose_vbm": ("dose_vbm",),
        "dechal": ("dechal",),
        "rechal": ("rechal",),
        "lot_num": ("lot_num",),
        "nda_num": ("nda_num",),
    },
    "REAC": {"pt": ("pt",)},
    "OUTC": {"outc_cod": ("outc_cod", "outc_code")},
    "INDI": {"drug_seq": ("indi_drug_seq", "drug_seq"), "indi_pt": ("indi_pt",)},
    "THER": {
        "drug_seq": ("dsg_drug_seq", "drug_seq"),
        "start_dt": ("start_dt",),
        "end_dt": ("end_dt",),
        "dur": ("dur",),
        "dur_cod": ("dur_cod",),
    },
    "RPSR": {"rpsr_cod": ("rpsr_cod",)},
}

# Columns whose values get the `.0` / date repairs (checked and counted in SQL).
_NUMERIC = {"caseversion", "age", "wt", "drug_seq", "dur", "nda_num"}
_DATES = {"event_dt", "mfr_dt", "init_fda_dt", "fda_dt", "rept_dt", "start_dt", "end_dt", "death_dt"}

_AGE_YEARS = {"YR": 1.0, "DEC": 10.0, "MON": 1 / 12, "WK": 7 / 365.25, "DY": 1 / 365.25, "HR": 1 / 8766}


def classify(file: SourceFile) -> tuple[str, str | None] | None:
    """(table, quarter) for a FAERS/AERS table or DELETE file name, else None."""
    name = file.name
    m = _TABLE_RE.match(name)
    if m:
        return m.group(1).upper(), f"20{m.group(2)}Q{m.group(3)}"
    m = _DELETE_RE.match(name)
    if m:
        return "DELETE", f"20{m.group(1)}Q{m.group(2)}"
    return None


def detect(file: SourceFile) -> bool:
    return classify(file) is not None and file.name.lower().endswith((".txt", ".csv", ".dat"))


# --- bytes -> text -----------------------------------------------------------------------------

# Where the Latin-1 fallback fired, per thread (ingest reads files in parallel).
_BAD_UTF8 = threading.local()


def _latin1_fallback(exc: UnicodeDecodeError) -> tuple[str, int]:
    # Real files mix encodings: read each invalid UTF-8 byte as Latin-1 (one char per byte) and note where.
    _BAD_UTF8.positions.append(exc.start)
    bad = exc.object[exc.start : exc.end]
    return bad.decode("latin-1"), exc.end


codecs.register_error("adrlens_latin1", _latin1_fallback)


def _to_utf8(raw: bytes, result: FileResult) -> bytes:
    """UTF-8 bytes for Arrow; a file that is not valid UTF-8 has its bad bytes read as Latin-1.

    Linear in the file: the line of each bad byte is found by counting newlines from the previous bad
    byte, not from the start of the file (that was quadratic in the number of bad bytes)."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    if raw.startswith(UTF16_BOMS):  # saved as "Unicode" by a spreadsheet
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as e:
            raise IngestError(f"the file starts as UTF-16 but is not valid UTF-16 at byte {e.start}") from None
        result.encoding = "utf-16"
        result.repair(UTF16_REPAIR, 1, text.split("\n", 1)[0])
        return text.encode("utf-8")
    try:
        codecs.utf_8_decode(raw, "strict", True)
        result.encoding = "utf-8"
        return raw
    except UnicodeDecodeError:
        pass
    _BAD_UTF8.positions = positions = []
    text = raw.decode("utf-8", errors="adrlens_latin1")
    line_no, last, last_line = 1, 0, 0
    for pos in positions:  # increasing: the decoder walks the bytes in order
        line_no += raw.count(b"\n", last, pos)
        last = pos
        if line_no != last_line:
            last_line = line_no
            result.repair("non-UTF-8 bytes read as Latin-1", line_no, _line_at(raw, pos))
    result.encoding = "utf-8+latin-1" if len(positions) < len(raw) // 1000 + 1 else "latin-1"
    _BAD_UTF8.positions = []
    return text.encode("utf-8")


def _line_at(raw: bytes, pos: int) -> str:
    start = raw.rfind(b"\n", 0, pos) + 1
    end = raw.find(b"\n", pos)
    return raw[start : end if end >= 0 else len(raw)].decode("latin-1")


# --- rows -> Arrow table -------------------------------------------------------------------------


def _parse(data: bytes, result: FileResult) -> pa.Table:
    # The header ends at the first line break of any kind: Arrow reads LF, CRLF and (old Mac) CR rows alike,
    # and a CR-only file read up to its first LF had the whole file as its header.
    eol = re.search(rb"[\r\n]", data)
    header_line = data[: eol.start() if eol else len(data)].decode("utf-8")
    if eol is None:
        data += b"\n"  # a header-only file without a final line break is an empty table, not "empty CSV"
    header = [h.strip().lower() for h in header_line.split("$")]
    if len(header) < 2:
        raise IngestError("the first line is not a `$`-delimited FAERS header. Is this an FDA ASCII table file?")
    # Legacy files end every row (and the header) with `$`: the last column is an unnamed or
    # 'vNN' filler that a row may lack.
    filler_last = header[-1] == "" or re.fullmatch(r"v\d+", header[-1]) is not None
    names = [h if h else f"_filler{i}" for i, h in enumerate(header)]
    ncol = len(names)
    bad: list[tuple[int, int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number or 0, row.actual_columns, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=False, block_size=64 << 20, column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter="$", quote_char=False, escape_char=False, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as e:
        raise IngestError(f"unreadable as a `$`-delimited table ({e})") from e

    result.rows_read = table.num_rows + len(bad)
    if bad:
        repaired = _repair_rows(bad, ncol, filler_last, result)
        if repaired:
            extra = pa.table({n: pa.array([r[i] for r in repaired], pa.string()) for i, n in enumerate(names)})
            table = pa.concat_tables([table, extra])
    return table


def _repair_rows(bad: list[tuple[int, int, str]], ncol: int, filler_last: bool, result: FileResult) -> list[list[str]]:
    """Repair what is unambiguous among rows with the wrong field count; count every outcome."""
    out: list[list[str]] = []
    i = 0
    while i < len(bad):
        line_no, nfields, text = bad[i]
        if nfields == 1 and text.strip() == "":
            result.skip("empty line", line_no, text)
            i += 1
            continue
        if nfields > ncol:
            fields = text.split("$")
            if all(f.strip() == "" for f in fields[ncol:]):
                out.append(fields[:ncol])
                result.repair("extra empty trailing fields dropped", line_no, text)
            else:
                result.skip("too many fields (a `$` inside a value?)", line_no, text)
            i += 1
            continue
        # Too few fields: try joining consecutive short lines (a newline inside a value).
        j, total, pieces = i, nfields, [text]
        while total < ncol and j + 1 < len(bad) and bad[j + 1][0] == bad[j][0] + 1 and bad[j + 1][1] < ncol:
            j += 1
            total += bad[j][1] - 1
            pieces.append(bad[j][2])
        if total == ncol and j > i:
            out.append(" ".join(p.rstrip("\r") for p in pieces).split("$"))
            result.repair("stray newline inside a field joined", line_no, "\\n".join(pieces))
            result.rows_read -= j - i  # the pieces are one record: rows_read counts records, not lines
            i = j + 1
            continue
        if filler_last and nfields == ncol - 1:
            out.append([*text.split("$"), ""])
            result.repair("missing trailing `$` padded", line_no, text)
        else:
            reason = "too few fields" if nfields > 1 else "line without delimiters (broken row?)"
            result.skip(reason, line_no, text)
        i += 1
    return out


# --- Arrow table -> stage tables ------------------------------------------------------------------

_MACROS = r"""
CREATE OR REPLACE TEMP MACRO _clean(s) AS nullif(trim(s), '');
CREATE OR REPLACE TEMP MACRO _num(s) AS nullif(nullif(regexp_replace(trim(s), '\.0+$', ''), ''), 'NA');
CREATE OR REPLACE TEMP MACRO _dt(s) AS CASE length(_num(s))
    WHEN 8 THEN try_strptime(_num(s), '%Y%m%d')::DATE
    WHEN 6 THEN try_strptime(_num(s) || '01', '%Y%m%d')::DATE
    WHEN 4 THEN try_strptime(_num(s) || '0101', '%Y%m%d')::DATE END;
CREATE OR REPLACE TEMP MACRO _prec(s) AS CASE WHEN _dt(s) IS NULL THEN NULL
    ELSE CASE length(_num(s)) WHEN 8 THEN 'day' WHEN 6 THEN 'month' ELSE 'year' END END;
"""


def _pick(cols: set[str], candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in cols), None)


def _q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def read(con: duckdb.DuckDBPyConnection, file: SourceFile, file_id: int) -> FileResult:
    """Append one FAERS/AERS table file to the stage tables."""
    kind = classify(file)
    if kind is None:
        raise IngestError(f"{file.display}: not a FAERS table name (DEMO25Q4.txt, DRUG04Q1.TXT, DELETE26Q1.txt ...)")
    table_name, quarter = kind
    try:
        raw = file.read_bytes()
    except (OSError, EOFError, ValueError) as e:  # zlib/zip damage surfaces as these
        raise IngestError(f"{file.display}: cannot read ({e}). Is the zip truncated? Download it again.") from e
    result = FileResult(source=SOURCE, layout="faers", table_name=table_name, quarter=quarter)
    data = _to_utf8(raw, result)
    if table_name == "DELETE":
        _read_delete(con, data, file_id, result)
        return result
    table = _parse(data, result)
    cols = set(table.column_names)
    pk = _pick(cols, _KEYS["primaryid"])
    if pk is None:
        raise IngestError(f"{file.display}: header has neither primaryid nor isr: {table.column_names[:6]}")
    result.layout = "aers" if pk == "isr" else "faers"
    mapping = {k: _pick(cols, v) for k, v in _COLUMNS[table_name].items()}
    _load(con, table, table_name, file_id, quarter, pk, _pick(cols, _KEYS["caseid"]), mapping, result)
    return result


def _read_delete(con: duckdb.DuckDBPyConnection, data: bytes, file_id: int, result: FileResult) -> None:
    result.layout = "delete"
    ids: list[int] = []
    for line_no, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        s = line.strip()
        if not s:
            continue
        result.rows_read += 1
        s2 = re.sub(r"\.0+$", "", s)
        if s2.isdigit():
            ids.append(int(s2))
            if s2 != s:
                result.repair("number ending in .0", line_no, s)
        else:
            result.skip("not a case id", line_no, s)
    if ids:
        con.execute("CREATE OR REPLACE TEMP TABLE _del AS SELECT unnest(?::BIGINT[]) AS caseid", [ids])
        con.execute("INSERT INTO stage_deleted SELECT ?, ?, caseid FROM _del", [SOURCE, file_id])
        con.execute("DROP TABLE _del")
    result.rows_loaded = len(ids)


def _load(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    table_name: str,
    file_id: int,
    quarter: str | None,
    pk: str,
    ck: str | None,
    mapping: dict[str, str | None],
    result: FileResult,
) -> None:
    con.execute(_MACROS)
    con.register("_src", table)
    try:

        def col(name: str) -> str:
            src = mapping.get(name)
            return _q(src) if src else "NULL"

        # Value-level repairs, counted per row.
        num_cols = [c for c in (pk, ck) if c] + [mapping[k] for k in _NUMERIC if mapping.get(k)]
        date_cols = [mapping[k] for k in _DATES if mapping.get(k)]
        checks = {
            "number or date ending in .0 (trimmed)": " OR ".join(
                f"regexp_matches({_q(c)}, '^\\s*\\d+\\.0+\\s*$')" for c in num_cols + date_cols
            ),
            "partial date kept with month/year precision": " OR ".join(
                f"(_dt({_q(c)}) IS NOT NULL AND length(_num({_q(c)})) IN (4, 6))" for c in date_cols
            ),
            "impossible date emptied": " OR ".join(
                f"(_num({_q(c)}) IS NOT NULL AND _dt({_q(c)}) IS NULL)" for c in date_cols
            ),
        }
        checks = {k: v for k, v in checks.items() if v}
        key_ok = f"try_cast(_num({_q(pk)}) AS BIGINT) IS NOT NULL"
        sums = ", ".join(f"count(*) FILTER (WHERE ({v}) AND {key_ok})" for v in checks.values())
        row = con.execute(
            f"SELECT count(*) FILTER (WHERE NOT ({key_ok})), any_value({_q(pk)}) FILTER (WHERE NOT ({key_ok}))"
            + (f", {sums}" if sums else "")
            + " FROM _src"
        ).fetchall()[0]
        if row[0]:
            result.skip("missing or non-numeric report id", 0, str(row[1]), n=row[0])
        for reason, n in zip(checks, row[2:], strict=True):
            if n:
                result.repaired[reason] += n
                result.examples.setdefault(("repaired", reason), (0, ""))

        pid = f"try_cast(_num({_q(pk)}) AS BIGINT)"
        src = f"FROM _src WHERE {key_ok}"
        if table_name == "DEMO":
            age = f"try_cast(_num({col('age')}) AS DOUBLE)"
            age_factor = "CASE upper(_clean({c})) {w} ELSE NULL END".format(
                c=col("age_cod"), w=" ".join(f"WHEN '{k}' THEN {v!r}" for k, v in _AGE_YEARS.items())
            )
            wt = f"try_cast(_num({col('wt')}) AS DOUBLE)"
            sql = f"""
            INSERT INTO stage_demo (source, file_id, quarter, primaryid, caseid, caseversion, i_f_code,
                event_dt, event_dt_precision, mfr_dt, init_fda_dt, fda_dt, rept_dt, rept_cod, mfr_sndr,
                age, age_cod, age_years, sex, wt_kg, occp_cod, reporter_country, occr_country, died)
            SELECT '{SOURCE}', {file_id}, '{quarter}', {pid},
                coalesce(try_cast(_num({_q(ck) if ck else "NULL"}) AS BIGINT), {pid}),
                try_cast(_num({col("caseversion")}) AS INTEGER), _clean({col("i_f_code")}),
                _dt({col("event_dt")}), _prec({col("event_dt")}), _dt({col("mfr_dt")}),
                _dt({col("init_fda_dt")}), _dt({col("fda_dt")}), _dt({col("rept_dt")}),
                _clean({col("rept_cod")}), _clean({col("mfr_sndr")}),
                {age}, upper(_clean({col("age_cod")})),
                CASE WHEN {age} * {age_factor} BETWEEN 0 AND 125 THEN round({age} * {age_factor}, 3) END,
                CASE upper(_clean({col("sex")})) WHEN 'M' THEN 'M' WHEN 'F' THEN 'F' END,
                CASE WHEN upper(_clean({col("wt_cod")})) = 'LBS' THEN {wt} * 0.45359237
                     WHEN upper(_clean({col("wt_cod")})) = 'KG' THEN {wt} END,
                upper(_clean({col("occp_cod")})), upper(_clean({col("reporter_country")})),
                upper(_clean({col("occr_country")})),
                CASE WHEN _dt({col("death_dt")}) IS NOT NULL THEN true END
            {src}"""
        elif table_name == "DRUG":
            sql = f"""
            INSERT INTO stage_drug (source, file_id, primaryid, drug_seq, role_cod, drugname, prod_ai,
                route, dose_vbm, dechal, rechal, lot_num, nda_num)
            SELECT '{SOURCE}', {file_id}, {pid}, try_cast(_num({col("drug_seq")}) AS BIGINT),
                upper(_clean({col("role_cod")})), upper(_clean({col("drugname")})),
                upper(_clean({col("prod_ai")})), _clean({col("route")}), _clean({col("dose_vbm")}),
                upper(_clean({col("dechal")})), upper(_clean({col("rechal")})), _clean({col("lot_num")}),
                _num({col("nda_num")})
            {src}"""
        elif table_name == "REAC":
            sql = f"""INSERT INTO stage_reac SELECT '{SOURCE}', {file_id}, {pid},
                      lower(_clean({col("pt")})) {src}"""
        elif table_name == "OUTC":
            sql = f"""INSERT INTO stage_outc SELECT '{SOURCE}', {file_id}, {pid},
                      upper(_clean({col("outc_cod")})) {src}"""
        elif table_name == "INDI":
            sql = f"""INSERT INTO stage_indi SELECT '{SOURCE}', {file_id}, {pid},
                try_cast(_num({col("drug_seq")}) AS BIGINT), lower(_clean({col("indi_pt")})) {src}"""
        elif table_name == "THER":
            sql = f"""INSERT INTO stage_ther SELECT '{SOURCE}', {file_id}, {pid},
                try_cast(_num({col("drug_seq")}) AS BIGINT), _dt({col("start_dt")}), _prec({col("start_dt")}),
                _dt({col("end_dt")}), _prec({col("end_dt")}), try_cast(_num({col("dur")}) AS DOUBLE),
                upper(_clean({col("dur_cod")})) {src}"""
        else:  # RPSR
            sql = f"""INSERT INTO stage_rpsr SELECT '{SOURCE}', {file_id}, {pid},
                      upper(_clean({col("rpsr_cod")})) {src}"""
        con.execute(sql)
        result.rows_loaded = table.num_rows - (row[0] or 0)
    finally:
        con.unregister("_src")
