"""Load generators: wrk for throughput and latency percentiles, httpx loops for multi-step flows and
for per-call latency where a request depends on the one before.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

WRK = "wrk"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float  # NaN when no request finished
    p99_ms: float
    failures: int  # non-2xx/3xx responses plus socket errors
    output: str

    def check(self, what: str) -> None:
        if math.isnan(self.p50_ms) or math.isnan(self.p99_ms):
            raise RuntimeError(f"{what}: no latency distribution from wrk (no request done?): {self.output}")
        if self.failures:
            refusals = "; ".join(re.findall(r"^refused: .*$", self.output, re.M))
            errors = re.search(r"Socket errors: .*", self.output)
            raise RuntimeError(f"{what}: {self.failures} failed requests under wrk: "
                               f"{refusals or (errors.group(0) if errors else self.output)}")


@dataclass
class Target:
    """One HTTP request for wrk to repeat."""

    url: str
    method: str = "GET"
    body: dict | None = None  # type: ignore[type-arg]
    headers: dict[str, str] | None = None

    def lua(self) -> str:
        lines = [f"wrk.method = {_lua_string(self.method)}"]
        headers = dict(self.headers or {})
        if self.body is not None:
            lines.append(f"wrk.body = {_lua_string(json.dumps(self.body))}")
            headers["Content-Type"] = "application/json"
        lines += [f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()]
        return "\n".join(lines) + "\n" + _SHOW_FAILURES


# The first few refused requests, printed for the error message (wrk itself only counts them).
_SHOW_FAILURES = """
shown = 0
response = function(status, headers, body)
  if status >= 400 and shown < 3 then
    shown = shown + 1
    print("refused: " .. status .. " " .. string.sub(body, 1, 300))
  end
end
"""


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"  # a long bracket: JSON needs no escaping inside it


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(target: Target, seconds: float, connections: int, workdir: Path) -> WrkResult:
    """wrk with one thread (the server under test needs the other core); a 30 s timeout so slow
    requests count in the percentiles instead of being dropped as timeouts."""
    script = workdir / "wrk_request.lua"
    script.write_text(target.lua())
    command = [WRK, "-t1", f"-c{connections}", f"-d{max(seconds, 1):.0f}s", "--timeout", "30s", "--latency",
               "-s", str(script), target.url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)\s*$", output, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failures = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, socket_errors.groups())) if socket_errors
                                                            else 0)
    p50, p99 = (_milliseconds(percentiles[p]) if p in percentiles else math.nan for p in ("50", "99"))
    return WrkResult(rate, p50, p99, failures, output)


def paired_latency_ms(call: Callable[[], object], other: Callable[[], object] | None, seconds: float,
                      min_calls: int = 5) -> tuple[float, float]:
    """Median milliseconds of `call` and of `other`, called in turn for about `seconds` (at least min_calls
    each): taking turns call by call, both see the same moments of a noisy machine."""
    samples: tuple[list[float], list[float]] = ([], [])
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples[0]) < min_calls:
        for which, function in enumerate((call, other)):
            if function is not None:
                started = time.perf_counter()
                function()
                samples[which].append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[0]), statistics.median(samples[1]) if samples[1] else math.nan


def flows_per_second(make_client: Callable[[], httpx.Client], flow: Callable[[httpx.Client], None],
                     threads: int, seconds: float) -> float:
    """Flows completed per second by `threads` client threads, each running `flow` back to back."""
    done = [0] * threads
    errors: list[BaseException] = []
    stop = threading.Event()

    def loop(slot: int) -> None:
        with make_client() as client:
            while not stop.is_set():
                try:
                    flow(client)
                except BaseException as exc:  # reported after the round; a failed flow is not counted
                    errors.append(exc)
                    return
                done[slot] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started  # includes the flows in progress when the time ran out
    if errors:
        raise RuntimeError(f"a flow failed: {errors[0]}")
    return sum(done) / elapsed
