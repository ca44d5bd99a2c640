"""Limits every network call of adrlens keeps: how long to wait for a connection, for the next bytes, and in
all (a deadline that also covers retries and their pauses).

A proxy that accepts the connection and never answers once kept `adrlens online` silent for 173 s (30 s
read timeout x 5 attempts plus back-off). Now each call gives up at its deadline with one line that says
what to do. The deadline is DEADLINE_S unless a command's --timeout or $ADRLENS_TIMEOUT says otherwise.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from adrlens.errors import AdrlensError

CONNECT_TIMEOUT_S = 10.0  # a TCP (or TLS, or proxy) connection that takes longer is not coming
READ_TIMEOUT_S = 30.0  # the longest silence between two pieces of an answer
DEADLINE_S = 60.0  # all of one call: connection, answer, retries and the pauses between them
TIMEOUT_ENV = "ADRLENS_TIMEOUT"
TIMEOUT_HINT = f"check your connection or proxy, or raise --timeout (or ${TIMEOUT_ENV})"


def deadline_seconds(override: float | None = None) -> float:
    """The deadline of one network call: `override` (a --timeout), else $ADRLENS_TIMEOUT, else DEADLINE_S."""
    if override is None:
        raw = os.environ.get(TIMEOUT_ENV, "").strip()
        if not raw:
            return DEADLINE_S
        try:
            override = float(raw)
        except ValueError:
            raise AdrlensError(f"${TIMEOUT_ENV}={raw[:20]!r} is no number of seconds; set it like 60.") from None
    if not override > 0 or override == float("inf"):
        raise AdrlensError(f"the network timeout must be a positive number of seconds, not {override}.")
    return float(override)


class Deadline:
    """The end of one call, on `clock` (time.monotonic unless a test injects one)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.end = clock() + seconds

    def extend(self, seconds: float) -> None:
        """Move the end by `seconds` (time spent on something other than the network)."""
        self.end += max(0.0, seconds)

    def remaining(self) -> float:
        return self.end - self._clock()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def timeout(self) -> httpx.Timeout:
        """httpx timeouts for the next request: the usual limits, never past the deadline."""
        left = max(0.001, self.remaining())
        return httpx.Timeout(
            min(READ_TIMEOUT_S, left), connect=min(CONNECT_TIMEOUT_S, left), pool=min(CONNECT_TIMEOUT_S, left)
        )


def default_timeout() -> httpx.Timeout:
    """Timeouts for a client made once and used for many calls (each call still narrows them to its deadline)."""
    return httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError):
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    return None


def backoff(attempt: int, base: float, hinted: float | None = None, max_wait: float = float("inf")) -> float:
    """The pause before retry `attempt` (0 first): the server's Retry-After when it gave one, else exponential
    with jitter (so parallel clients do not retry in lockstep); never more than `max_wait`."""
    if hinted is not None:
        return min(hinted, max_wait)
    return min(max_wait, base * (2**attempt) * (1 + random.random() / 2))


def get_within(
    http: httpx.Client, url: str, params: dict[str, str | int], deadline: Deadline
) -> tuple[httpx.Response, bytes]:
    """One GET within the deadline: its timeouts never reach past it, and an answer that trickles in past it is
    abandoned (httpx's read timeout alone restarts with every piece that arrives)."""
    if deadline.expired():
        raise httpx.ReadTimeout("deadline reached before the request")
    with http.stream("GET", url, params=params, timeout=deadline.timeout()) as resp:
        chunks = []
        for chunk in resp.iter_bytes():
            chunks.append(chunk)
            if deadline.expired():
                raise httpx.ReadTimeout("deadline reached while reading the answer", request=resp.request)
    return resp, b"".join(chunks)


def json_object(content: bytes) -> dict[str, Any] | None:
    """A JSON object from an answer's bytes; None for anything else (not JSON, or not an object)."""
    try:
        body = json.loads(content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
