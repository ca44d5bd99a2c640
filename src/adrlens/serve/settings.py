"""The server's settings, named once: where it listens, which store it reads, and the limits it enforces."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from adrlens import config
from adrlens.vocab.question import MAX_INPUT_CHARS

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8000
API_PREFIX = "/api/v1"

# A request body is a small JSON object (a question and a few options): anything larger is refused from its
# Content-Length, or as soon as the bytes read pass this, before it is parsed.
MAX_BODY_BYTES = 16 * 1024
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
MAX_SUGGESTIONS = 20
# Finished answers kept in memory (JSON and the rendered page), by question: a repeated question is a lookup.
ANSWER_CACHE_SIZE = 1024
TABLE_CACHE_SIZE = 512  # pages of the screening tables
# New questions waiting for an engine, per engine, before more are refused with 503 and Retry-After: an answer
# takes seconds to compute, so a longer queue only computes answers for clients that have given up waiting.
PENDING_PER_ENGINE = 4
RETRY_AFTER_S = 5


def _default_engines() -> int:
    # One engine per core, at least 2: each holds its own read-only DuckDB connection, and an answer runs its
    # providers on three cursors of it, so more engines than cores only queue in DuckDB.
    return max(2, min(8, os.cpu_count() or 2))


@dataclass(frozen=True)
class ServeSettings:
    """What `adrlens serve` was started with; the app carries them (app.state.settings)."""

    store: Path = field(default_factory=config.default_store)
    host: str = LOOPBACK
    port: int = DEFAULT_PORT
    workers: int = 1  # uvicorn processes; each opens the store read-only and keeps its own warm engines
    engines: int = field(default_factory=_default_engines)  # concurrent answers per process
    max_question_chars: int = MAX_INPUT_CHARS
    max_body_bytes: int = MAX_BODY_BYTES
    max_page_size: int = MAX_PAGE_SIZE
    answer_cache_size: int = ANSWER_CACHE_SIZE
    table_cache_size: int = TABLE_CACHE_SIZE
    pending_per_engine: int = PENDING_PER_ENGINE
    online: bool = False  # answers may ask openFDA and PubMed (`online=true`); off: no request leaves the server
