"""A real HTTP webhook receiver on 127.0.0.1 for tests: records every request and answers from a script
(a status per request, or a function of the request), 200 by default."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]  # lower-cased names
    body: bytes
    status: int  # what the receiver answered


@dataclass
class Receiver:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: deque[int] = field(default_factory=deque)  # statuses for the next requests, then `default`
    default: int = 200
    decide: Callable[[dict[str, str], bytes], int] | None = None  # overrides script and default
    reply: bytes = b'{"received": true}'
    extra_headers: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            if self.decide is not None:
                status = self.decide(headers, body)
            else:
                status = self.script.popleft() if self.script else self.default
            self.requests.append(Received(headers, body, status))
            return status


@contextmanager
def receiver(path: str = "/webhooks") -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = rec.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            for name, value in rec.extra_headers.items():
                self.send_header(name, value)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(rec.reply)))
            self.end_headers()
            self.wfile.write(rec.reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    rec.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
