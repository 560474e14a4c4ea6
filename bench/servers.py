"""The processes a benchmark talks to: `flint serve` from the checkout under test, and the no-op app.

Each server runs in its own process group, with its output in a log file of the run's directory, and is
stopped by its own process group id when the run ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
# Rate limits stay on (their cost is part of every request) with budgets no benchmark can spend: 1,000 a
# second sustained with a burst of a million, so the bucket may run 1,000 s ahead of the clock. (A rate of
# a million a second would allow only 1 s ahead: a request that waited longer than that for SQLite's write
# lock, as some do at 50 connections, is then refused.)
ROOMY_BUDGET = "1000:1000000"


@dataclass
class Checkout:
    """The Flint tree being measured: its own virtualenv's `flint` and `python`, its own code."""

    repo: Path

    @property
    def flint(self) -> Path:
        return self.repo / ".venv" / "bin" / "flint"

    @property
    def python(self) -> Path:
        return self.repo / ".venv" / "bin" / "python"

    def check(self) -> None:
        if not self.flint.exists() or not self.python.exists():
            raise SystemExit(f"{self.flint} not found: run `make install` in {self.repo} first")

    def serve_help(self) -> str:
        return subprocess.run([self.flint, "serve", "--help"], capture_output=True, text=True, check=True).stdout


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    stdout: Any = field(repr=False)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group: `--workers N` has child processes
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.stdout.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def start(name: str, command: list[str | Path], port: int, workdir: Path, ready_path: str) -> Server:
    """Start a server and wait until it answers HTTP (any status) on ready_path."""
    log = workdir / f"{name}.log"
    stdout = log.open("wb")
    process = subprocess.Popen([str(part) for part in command], stdout=stdout, stderr=subprocess.STDOUT,
                               cwd=workdir, start_new_session=True)
    server = Server(name, f"http://127.0.0.1:{port}", process, log, stdout)
    deadline = time.monotonic() + 120  # a PostgreSQL migration from scratch takes a while
    while True:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(f"{name} exited at start: {log.read_text()[-2000:]}")
        try:
            httpx.get(server.url + ready_path, timeout=2)
            return server
        except httpx.TransportError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"{name} did not answer within 120 s; see {log}") from None
            time.sleep(0.2)


def start_noop(checkout: Checkout, workdir: Path) -> Server:
    """The baseline app under the same Python, FastAPI and uvicorn as the checkout's `flint serve`."""
    port = free_port()
    return start("noop", [checkout.python, BENCH_DIR / "noop_app.py", "--port", port, "--log-level", "warning"],
                 port, workdir, "/noop")


def start_flint(checkout: Checkout, workdir: Path, name: str, database_url: str, *extra: str) -> Server:
    port = free_port()
    command: list[str | Path] = [checkout.flint, "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--database-url", database_url, "--no-jobs", "--log-level", "warning", *extra]
    help_text = checkout.serve_help()
    for budget in ("key", "merchant", "client"):
        if f"--rate-limit-per-{budget}" in help_text:  # older checkouts have no such flags
            command += [f"--rate-limit-per-{budget}", ROOMY_BUDGET]
    return start(name, command, port, workdir, "/v1/whoami")
