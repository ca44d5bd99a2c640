"""Real local servers that misbehave like a broken network (for the network-deadline tests): one accepts
connections and never says a word (a proxy that hangs), one starts an answer and then trickles a byte at a
time, forever. They listen on 127.0.0.1 only, in a daemon thread; no test reaches the internet."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

TRICKLE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
TRICKLE_EVERY_S = 0.2  # well under any read timeout, so only a total deadline can end the wait


def _serve(sock: socket.socket, trickle: bool, stop: threading.Event) -> None:
    held: list[socket.socket] = []
    sock.settimeout(0.1)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError, OSError):
            conn, _ = sock.accept()
            held.append(conn)  # kept open: closing would give the client an answer (a reset)
            if trickle:
                threading.Thread(target=_trickle, args=(conn, stop), daemon=True).start()
    for c in held:
        c.close()


def _trickle(conn: socket.socket, stop: threading.Event) -> None:
    with contextlib.suppress(OSError):
        conn.recv(65536)
        conn.sendall(TRICKLE_HEAD)
        while not stop.is_set():
            conn.sendall(b" ")
            time.sleep(TRICKLE_EVERY_S)


@contextlib.contextmanager
def silent_server(trickle: bool = False) -> Iterator[int]:
    """A server on 127.0.0.1 (yields its port) that accepts and never answers, or with trickle=True starts
    an HTTP answer and never finishes it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    stop = threading.Event()
    t = threading.Thread(target=_serve, args=(sock, trickle, stop), daemon=True)
    t.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        t.join(timeout=5)
        sock.close()
