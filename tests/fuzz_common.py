"""What every fuzz test checks, once: a call ends within a guard, and an error message is short and clean."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from adrlens.errors import AdrlensError

# An error a person reads is one short line: longer means a value was echoed whole.
MAX_MESSAGE = 500


@contextmanager
def bounded(what: str, guard_s: float) -> Iterator[None]:
    """A guard against hangs and blowups (not a speed claim): the block must end within `guard_s`."""
    start = time.monotonic()
    yield
    elapsed = time.monotonic() - start
    assert elapsed < guard_s, f"{what} took {elapsed:.1f} s: a hang or a quadratic blowup"


def check_message(e: AdrlensError) -> None:
    msg = str(e)
    assert msg.strip(), "an error must say what is wrong"
    assert len(msg) < MAX_MESSAGE, f"{len(msg)} characters: {msg[:200]!r}..."
    bad = [c for c in msg if unicodedata.category(c) in ("Cc", "Cs")]
    assert not bad, f"control characters {bad!r} in {msg[:200]!r}"
