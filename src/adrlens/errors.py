"""Exceptions of adrlens. Every message says what went wrong and what to do about it."""


class AdrlensError(Exception):
    """Base class: the CLI prints the message (no traceback) and exits with code 2."""

    exit_code = 2


class DataNotFoundError(AdrlensError):
    """A data file or folder the command needs is not where we looked."""


class IngestError(AdrlensError):
    """A file could not be ingested at all (not merely some damaged rows)."""


class IngestFailed(IngestError):
    """An ingest command read its files but could not take them all, so it took none (the store is unchanged).

    Exit code 1, like any command whose input files failed (a usage error such as a missing path is 2)."""

    exit_code = 1


class StoreError(AdrlensError):
    """The store file is missing, locked, or not an adrlens store."""


class ResolutionError(AdrlensError):
    """A drug or condition name could not be resolved; carries candidate suggestions.

    `kind` says why, for interfaces that answer with a status (the HTTP API: 400, 404, 409):
    UNREADABLE (no drug and condition could be read from the text), UNKNOWN (a name no vocabulary holds)
    or AMBIGUOUS (several readings fit; `candidates` are the choices)."""

    UNREADABLE = "unreadable"
    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"

    def __init__(self, message: str, candidates: list[str] | None = None, kind: str = UNREADABLE) -> None:
        super().__init__(message)
        self.candidates = candidates or []
        self.kind = kind


class Interrupted(AdrlensError):
    """A build stopped by SIGINT or SIGTERM; the CLI prints "interrupted: ..." and exits 128 + the signal."""

    def __init__(self, message: str, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code
