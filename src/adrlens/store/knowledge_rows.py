"""Shared helpers of the knowledge build: python rows into DuckDB through Arrow, with exact types."""

from __future__ import annotations

import duckdb
import pyarrow as pa


def register_rows(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict], schema: pa.Schema) -> None:
    """Materialise python rows as TEMP table `name` (via Arrow, so types are exact)."""
    tbl = pa.Table.from_pylist(rows, schema=schema)
    con.register("_arrow_tmp", tbl)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _arrow_tmp")
    finally:
        con.unregister("_arrow_tmp")


def schema_of(**cols: pa.DataType) -> pa.Schema:
    return pa.schema([(k, v) for k, v in cols.items()])


STR = pa.string()
F64 = pa.float64()


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
