"""Report sources that arrive as counts: published drug x event aggregate tables.

Some evidence does not come as case reports but as counts somebody else already made. Each table under
`faers/aggregates/` of the shared data folder is read into one `AggregateSource`, which answers with the
common 2x2 record `PairCounts`. What each table really counts was checked against its own numbers
(docs/aggregates.md); the readers encode those findings, one module per layout:

* `counts.base`: `PairCounts`, `AggregateSource`, the drug and event keys;
* `counts.class_tables`: whole-database drug x PT matrices with an 'other drugs' column (pvLRT, pvEBayes,
  MDDC): full 2x2 for every cell, in drug-PT pairs;
* `counts.openfda_app`: FDA's openFDA shiny-app tables (a, b, c kept; d, N unknowable);
* `counts.flagged`: flagged-only signal tables and the OHDSI AERS EBGM evidence;
* `counts.catalogue`: the declared table families (glob, reader, period, unit, provenance), `load_all`,
  `get`, `lookup`.

Counts summed over several PTs double-count reports holding more than one of them, so no table here can
answer for a *set* of PTs (a condition concept): `concept()` returns None and `concept_reason` says why.
"""
