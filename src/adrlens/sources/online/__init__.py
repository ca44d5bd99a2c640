"""Online sources (opt-in, `adrlens ask --online`): openFDA FAERS counts and drug label sections, PubMed.

They are kept apart from the offline sources and named as such. A network failure, a rate limit or a
malformed answer is never read as zero: the source is reported unavailable, with the reason."""
