"""The adrlens store: one DuckDB file per data release (db), its one atomic build step (ingest, knowledge), and the queries the evidence layer asks."""
