"""What keeps a store build safe beyond the atomic rename (`db.building` uses each of these).

- One writer per store: a file lock (`flock` on `<store>.lock`) held for the whole build. A second
  writer waits for it (saying so once) up to a timeout, then refuses. The OS drops the lock when its
  holder dies, so a crashed build never blocks the next one.
- A unique temporary copy per build (`<store>.<pid>.<random>.building.tmp`); temporaries found while
  holding the lock are stale (their build died) and are removed.
- Ctrl-C (SIGINT) and SIGTERM stop a build cleanly: the running DuckDB query is cut short, the
  temporary copy is removed and the store is left as it was (exit 130 or 143).
- Room on the disk is checked before the copy, and a full disk during the build is a clear error.
- A read-only store file or folder is respected: refused, never replaced behind the user's back.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from adrlens.errors import Interrupted, StoreError

if TYPE_CHECKING:
    import duckdb

LOCK_SUFFIX = ".lock"
TMP_SUFFIX = ".building.tmp"
#: How long a build waits for another build of the same store before refusing (CLI: --wait, ADRLENS_STORE_WAIT).
DEFAULT_WAIT_S = 600.0
#: Space kept free beyond the store's own size (the copy), for what the build adds and DuckDB's WAL.
MIN_FREE_ENV = "ADRLENS_MIN_FREE_MB"
DEFAULT_MIN_FREE_MB = 64
MB = 1024 * 1024
# How often a waiting writer tries the lock again, and how often a stopped build's queries are interrupted.
_POLL_S = 0.2
_INTERRUPT_REPEAT_S = 0.05
_HANDLER_GRACE_S = 0.1
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_STOP_WATCHER = b"\0"
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def temp_path(store: Path) -> Path:
    """This build's own temporary copy of `store` (unique: two builds never share one)."""
    return store.with_name(f"{store.name}.{os.getpid()}.{secrets.token_hex(4)}{TMP_SUFFIX}")


def temp_files(tmp: Path) -> list[Path]:
    """The temporary copy and the write-ahead log DuckDB keeps beside it."""
    return [tmp, tmp.with_name(tmp.name + ".wal")]


def remove_files(paths: list[Path]) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def remove_stale_temps(store: Path) -> list[Path]:
    """Temporaries of earlier builds of `store` (call only while holding its lock: then their build is dead).

    Matched exactly (pid, random part, optional write-ahead log), so that a store named like this one plus a
    suffix (`s.duckdb.old`) keeps its own temporaries; the unnumbered name is that of builds before the lock."""
    own = re.compile(re.escape(store.name) + r"(\.\d+\.[0-9a-f]+)?" + re.escape(TMP_SUFFIX) + r"(\.wal)?")
    stale = [p for p in store.parent.iterdir() if own.fullmatch(p.name)]
    remove_files(stale)
    return stale


def _owner_writable(p: Path) -> bool:
    # The owner's write bit is checked explicitly: root ignores it when writing, but a user who cleared it
    # asked for the file not to be changed.
    return bool(p.stat().st_mode & stat.S_IWUSR) and os.access(p, os.W_OK)


def check_writable(store: Path) -> None:
    """Refuse, before any work, a store that is read-only or whose folder cannot take the temporary copy."""
    folder = store.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(
            f"cannot create the folder {folder} for the store ({e.strerror}). Choose another --store."
        ) from e
    if store.exists() and not _owner_writable(store):
        raise StoreError(
            f"the store {store} is read-only; make it writable (chmod u+w {store}) or choose another --store."
        )
    if not _owner_writable(folder) or not os.access(folder, os.X_OK):
        raise StoreError(
            f"the folder {folder} is read-only: a build writes a temporary copy of the store and a lock file there. "
            f"Make it writable (chmod u+w {folder}) or choose another --store."
        )


def _folder_error(folder: Path, e: OSError) -> StoreError:
    return StoreError(
        f"cannot write in the folder {folder} ({e.strerror}); the store is unchanged. Make the folder writable "
        "or choose another --store."
    )


def min_free_bytes() -> int:
    raw = os.environ.get(MIN_FREE_ENV, str(DEFAULT_MIN_FREE_MB))
    try:
        return max(0, int(float(raw) * MB))
    except (ValueError, OverflowError):
        raise StoreError(
            f"{MIN_FREE_ENV}={raw} is not a number of megabytes (for example {MIN_FREE_ENV}=64)."
        ) from None


def disk_full_error(store: Path, needed: int | None = None) -> StoreError:
    """The refusal for a folder without room: `needed` when known before the build, None when the disk
    filled up during it (then the copy has been removed, and the free space is what it left)."""
    free = shutil.disk_usage(store.parent).free // MB
    if needed is None:
        size = store.stat().st_size // MB if store.exists() else 0
        why = f"the disk filled up during the build; free {free} MB now, the store is {size} MB and grows with it"
    else:
        why = f"needs about {-(-needed // MB)} MB; free {free} MB"
    return StoreError(
        f"not enough disk space in {store.parent} to build the store ({why}). The store is unchanged. Free some "
        f"space or choose another --store ({MIN_FREE_ENV} sets the margin kept free beyond the store's size, now "
        f"{min_free_bytes() // MB} MB)."
    )


def needed_bytes(store: Path) -> int:
    """Room a build of `store` needs beside it: a copy of the store, plus the margin."""
    return (store.stat().st_size if store.exists() else 0) + min_free_bytes()


def check_free_space(store: Path) -> None:
    """Refuse early (before the copy) when the folder lacks room for a copy of the store plus the margin."""
    needed = needed_bytes(store)
    if shutil.disk_usage(store.parent).free < needed:
        raise disk_full_error(store, needed)


def is_disk_full(e: BaseException) -> bool:
    if isinstance(e, OSError):
        return e.errno in _DISK_FULL
    # DuckDB reports a failed write as its own error, with the OS message in the text.
    return "No space left on device" in str(e) or "Disk quota exceeded" in str(e)


def _holder(fd: int) -> str:
    pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return f" (pid {pid})" if pid.isdigit() else ""


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


@contextlib.contextmanager
def store_lock(store: Path, wait: float, notice: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of `store` for the block; wait up to `wait` seconds for another holder, then refuse."""
    lock = store.with_name(store.name + LOCK_SUFFIX)
    deadline = time.monotonic() + max(0.0, wait)
    told = False
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise _folder_error(store.parent, e) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            left = deadline - time.monotonic()
            if left <= 0:
                waited = f"did not finish within {wait:g} s" if wait > 0 else "is running"
                raise StoreError(
                    f"another build of {store}{holder} {waited}. Wait for it to finish, or pass --wait SECONDS "
                    "(or set ADRLENS_STORE_WAIT) to wait longer."
                ) from None
            if not told and notice:
                notice(f"waiting for another build of {store}{holder} to finish (up to {wait:g} s) ...")
                told = True
            time.sleep(min(_POLL_S, left))
            continue
        if _same_file(fd, lock):
            break
        os.close(fd)  # the holder removed the lock file while we waited on it: lock the current one
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        # Removed while still held, so a waiter that opened the old file sees it is gone and retries.
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
        os.close(fd)


class InterruptGuard:
    """SIGINT and SIGTERM during a build stop it by exactly one of two means, whichever comes first:

    - the Python handler raises KeyboardInterrupt in the main thread (Python runs it between bytecodes,
      so at once when the build is in Python code);
    - a watcher thread, woken by the wakeup fd that the C-level handler writes at once, interrupts the
      running DuckDB query (which would otherwise hold the main thread for as long as it runs), and keeps
      interrupting queries until the build has cleaned up.

    Only one of them acts: a KeyboardInterrupt raised while the build unwinds from an interrupted query
    (inside some context manager's exit, say) would skip that cleanup."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.armed = True
        self._deferring = False
        self._pending = False
        self._claim_lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._con_lock = threading.Lock()
        self._stopped = threading.Event()

    def _claim(self) -> bool:
        # Not blocking: the handler may run in the main thread while the watcher holds the lock.
        if not self._claim_lock.acquire(blocking=False):
            return False
        try:
            won, self.armed = self.armed, False
            return won
        finally:
            self._claim_lock.release()

    def _handler(self, signum: int, frame: object) -> None:
        if self.signum is None:
            self.signum = signum
        if self._claim():
            if self._deferring:
                self._pending = True
            else:
                raise KeyboardInterrupt

    def tell(self, notice: Callable[[str], None] | None) -> Callable[[str], None] | None:
        """`notice`, not to be cut short by a signal: a console interrupted mid-write prints its line again
        with the next one. The signal takes effect as soon as the line is out."""
        if notice is None:
            return None

        def told(message: str) -> None:
            self._deferring = True
            try:
                notice(message)
            finally:
                self._deferring = False
            if self._pending:
                self._pending = False
                raise KeyboardInterrupt

        return told

    def watch(self, con: duckdb.DuckDBPyConnection | None) -> None:
        """The connection whose queries a signal interrupts (None before it is closed)."""
        with self._con_lock:
            self._con = con

    def _watch(self, rfd: int) -> None:
        while True:
            data = os.read(rfd, 64)
            if not data or _STOP_WATCHER in data:
                return
            got = [b for b in data if b in _SIGNALS]
            if got:
                break
        if self.signum is None:
            self.signum = got[0]
        # A grace period first: in Python code the main thread's handler acts at once, and more cleanly.
        if self._stopped.wait(_HANDLER_GRACE_S) or not self._claim():
            return
        # Interrupt again and again: code that catches the interruption must not run the next query to its end.
        while not self._stopped.is_set():
            with self._con_lock:
                if self._con is not None:
                    with contextlib.suppress(Exception):
                        self._con.interrupt()
            self._stopped.wait(_INTERRUPT_REPEAT_S)

    def stop(self) -> None:
        """No more interruptions: the build is cleaning up, or done."""
        self.armed = False
        self._stopped.set()

    def error(self, store: Path, committed: bool = False) -> Interrupted:
        name = signal.Signals(self.signum or signal.SIGINT).name
        what = "the build had finished: the store at {} is updated" if committed else "the store at {} is unchanged"
        return Interrupted(f"{what.format(store)} (stopped by {name}).", 128 + (self.signum or signal.SIGINT))


@contextlib.contextmanager
def interrupts() -> Iterator[InterruptGuard]:
    """Catch SIGINT and SIGTERM for the block (only in the main thread, where Python runs signal handlers)."""
    guard = InterruptGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    old = {s: signal.getsignal(s) for s in _SIGNALS}
    old_fd = signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
    watcher = threading.Thread(target=guard._watch, args=(rfd,), name="adrlens-interrupt", daemon=True)
    watcher.start()
    try:
        for s in _SIGNALS:
            signal.signal(s, guard._handler)
        yield guard
    finally:
        guard.stop()
        for s, h in old.items():
            signal.signal(s, signal.SIG_DFL if h is None else h)
        signal.set_wakeup_fd(old_fd)
        with contextlib.suppress(OSError):
            os.write(wfd, _STOP_WATCHER)
        watcher.join()
        os.close(rfd)
        os.close(wfd)
