"""The adrlens store: one DuckDB file per data release.

`db` connects (refusing an incomplete store) and writes atomically; `ingest` and `knowledge` are the steps
of the one build (`adrlens.build`) that fill it; `queries` holds what the evidence layer asks of it.
"""
