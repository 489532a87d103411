"""A light closed-loop HTTP load generator for benchmarks/api_bench.py.

The benchmark runs server and load generator on the same (2-core) machine, so the
generator must cost as little CPU as possible and must not add latency of its own:

* every client is its own forked PROCESS (no GIL shared between clients: a client whose
  response arrived is never kept waiting by another client's Python code);
* one keep-alive connection per client, raw socket, TCP_NODELAY; requests are plain
  HTTP/1.1 bytes built before the clock starts; the response parser reads the status
  line, ``Content-Length`` / chunked / close-delimited bodies and nothing else (no
  ``http.client`` / ``email`` header parsing);
* every client is connected and ready, then all send for ``warmup`` seconds unrecorded
  (the servers' threads open their database connections and fill their caches: without
  this the first second of an 8-client run alone filled the p99), then the measurement
  window opens and closes at a fixed deadline; a request still in flight at the deadline
  counts for latency only, a request started before the window not at all.

Each client takes request numbers ``k, k + clients, k + 2*clients, ...`` so requests are
distinct across clients (the intake benchmark needs distinct notifications).
"""

from __future__ import annotations

import multiprocessing
import socket
import statistics
import time
from dataclasses import dataclass, field

_CTX = multiprocessing.get_context("fork")


@dataclass
class Result:
    label: str
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    codes: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    in_window: int = 0   # expected responses completed before the deadline
    next_index: int = 0  # first request number not used (offset for the next run)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        """Throughput over the fixed window; a request still in flight at the deadline (upstream
        may sleep up to notification_delay_max) counts for latency but not for throughput."""
        return self.in_window / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1] * 1000


def build_request(port: int, method: str, path: str, body: bytes | None) -> bytes:
    """The bytes of one HTTP/1.1 request on a keep-alive connection."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode("latin-1") + (body or b"")


class Connection:
    """One keep-alive HTTP/1.1 connection with a minimal response reader."""

    def __init__(self, port: int, timeout: float = 60.0):
        self.port = port
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buf = b""

    def connect(self) -> None:
        self.close()
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _fill(self) -> bool:
        chunk = self.sock.recv(262144)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("connection closed in the middle of a body")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read_line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError("connection closed in the middle of a line")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def roundtrip(self, request: bytes) -> tuple[int, bool]:
        """Send ``request``, read the whole response; ``(status, server_closes)``."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError("connection closed before the response head")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = None, False, lines[0].startswith(b"HTTP/1.0")
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = value.strip().lower() == b"close"
        if chunked:
            while True:
                size = int(self._read_line().split(b";")[0], 16)
                if size == 0:
                    while self._read_line():   # trailers up to the empty line
                        pass
                    break
                self._read_exact(size + 2)
        elif length is not None:
            self._read_exact(length)
        elif status not in (204, 304) and not 100 <= status < 200:
            while self._fill():   # body delimited by the server closing
                pass
            self.buf = b""
            close = True
        return status, close


def _client(port, index, clients, make_request, expect, ready, go, window, out):
    conn = Connection(port)
    lat, codes, errors, in_window = [], {}, 0, 0
    i = index
    try:
        conn.connect()
    except OSError:
        errors += 1
    ready.release()
    go.wait()
    start_at, stop_at = window[0], window[1]
    while time.monotonic() < stop_at:
        method, path, body = make_request(i)
        i += clients
        request = build_request(port, method, path, body)
        recorded = time.monotonic() >= start_at
        try:
            if conn.sock is None:
                conn.connect()
            recorded = time.monotonic() >= start_at
            t = time.perf_counter()
            status, close = conn.roundtrip(request)
            dt = time.perf_counter() - t
        except (OSError, ValueError, IndexError):
            errors += recorded
            conn.close()
            continue
        if close:
            conn.close()
        if not recorded:
            continue
        codes[status] = codes.get(status, 0) + 1
        if status == expect:
            lat.append(dt)
            in_window += time.monotonic() <= stop_at
    conn.close()
    out.put((lat, codes, errors, in_window, i))


def run_load(port: int, clients: int, seconds: float, make_request, expect: int, label: str,
             offset: int = 0, warmup: float = 0.0) -> Result:
    """``clients`` forked client processes, each on one keep-alive connection: ``warmup``
    seconds unrecorded once all are connected, then ``seconds`` measured.

    ``make_request(i) -> (method, path, body_bytes|None)`` for request number ``i``
    (``offset`` + a per-client stride); only responses with status ``expect`` count as
    completed (their latency is recorded); other statuses are tallied.
    """
    ready = _CTX.Semaphore(0)
    go = _CTX.Event()
    window = _CTX.Array("d", 2)
    out = _CTX.Queue()
    procs = [_CTX.Process(target=_client, daemon=True,
                          args=(port, offset + k, clients, make_request, expect,
                                ready, go, window, out))
             for k in range(clients)]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.acquire()
    # CLOCK_MONOTONIC is system-wide on Linux: the same window for every process
    start_at = time.monotonic() + warmup
    window[0], window[1] = start_at, start_at + seconds
    go.set()
    result = Result(label, clients, seconds, next_index=offset)
    for _ in procs:
        lat, codes, errors, in_window, next_index = out.get(timeout=warmup + seconds + 180)
        result.latencies.extend(lat)
        result.errors += errors
        result.in_window += in_window
        result.next_index = max(result.next_index, next_index)
        for code, count in codes.items():
            result.codes[code] = result.codes.get(code, 0) + count
    for proc in procs:
        proc.join(timeout=30)
    return result
