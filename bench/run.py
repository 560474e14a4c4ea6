"""Flint's performance as an outside tester sees it: one table of ratios against baselines measured in the
same run (a no-op FastAPI app under uvicorn, a plain httpx loop), so figures compare across machines.

    .venv/bin/python bench/run.py                      # every row, about 10 minutes
    .venv/bin/python bench/run.py --quick              # short rounds: a smoke run
    .venv/bin/python bench/run.py --only create_order,list --rounds 5 --duration 10
    .venv/bin/python bench/run.py --repo ../older-checkout --json before.json

Rows, their keys for --only, and how each is measured: docs/benchmarks.md. Rounds are interleaved
(baseline, Flint, baseline, Flint...) and each figure is the median of the per-round ratios: the machine is
small and shared, and a ratio taken within one round cancels most of its noise.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import traceback
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from load import Target, WrkResult, flows_per_second, paired_latency_ms, wrk
from seed import clone_orders
from servers import BENCH_DIR, Checkout, Server, postgres_answers, start_flint, start_noop
from workload import ORDER, Merchant, create_order, new_merchant, ok, pay, refund_part

# key: (measure, goal); the order of the table
ROWS = {
    "create_order": ("create_order (3 lines, coupon, tax) req/s ÷ no-op POST req/s", ">= 0.20"),
    "whoami": ("whoami ÷ no-op GET", ">= 0.50"),
    "get_order": ("get_order ÷ no-op GET", ">= 0.35"),
    "lifecycle": ("lifecycle flows/s (create -> pay -> partial refund), one process", ">= 120"),
    "tail": ("p99 ÷ p50 at 50 connections, create_order / get_order", "<= 5"),
    "list": ("list_orders page 1, 200k orders ÷ 1k orders (ms at 1k)", "<= 1.2, and < 15 ms at 1k"),
    "selects": ("SELECTs for one list page of 50 orders", "<= 6"),
    "mcp": ("MCP tools/call ÷ REST, get_order / create_order", "<= 1.3"),
    "docs": ("docs search p50, in-process (p99)", "<= 1 ms"),
    "postgres": ("PostgreSQL create_order req/s ÷ no-op POST, 1 process", ">= 0.10"),
    "postgres_workers": ("PostgreSQL create_order, 2 processes ÷ 1", "~1.8"),
    "webhooks": ("webhook deliveries ÷ plain signed httpx loop", ">= 0.5"),
}
WRK_ROWS = {"create_order", "whoami", "get_order", "tail", "postgres", "postgres_workers"}
THROUGHPUT_CONNECTIONS = 16  # enough to keep a one-process server busy and to make writers queue
TAIL_CONNECTIONS = 50
LIFECYCLE_THREADS = 4
LIST_SMALL, LIST_BIG, LIST_TEMPLATES = 1_000, 200_000, 10
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Mcp-Protocol-Version": "2025-11-25"}


@dataclass
class Result:
    figure: str
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    """What every row needs: the options, the checkout, a scratch directory, and servers started once."""

    args: argparse.Namespace
    checkout: Checkout
    workdir: Path
    stack: ExitStack
    results: dict[str, Result] = field(default_factory=dict)
    _noop: Server | None = None
    _flint: Server | None = None
    _merchant: Merchant | None = None

    def server(self, start: Callable[[], Server]) -> Server:
        """Start a server that stops when the run ends."""
        server = start()
        self.stack.callback(server.stop)
        return server

    @property
    def noop(self) -> Server:
        if self._noop is None:
            self._noop = self.server(lambda: start_noop(self.checkout, self.workdir))
        return self._noop

    @property
    def flint(self) -> Server:
        """`flint serve` on a SQLite file of its own, shared by the rows that only add orders to it."""
        if self._flint is None:
            url = f"sqlite:///{self.workdir / 'flint.db'}"
            self._flint = self.server(lambda: start_flint(self.checkout, self.workdir, "flint", url))
        return self._flint

    @property
    def merchant(self) -> Merchant:
        if self._merchant is None:
            self._merchant = new_merchant(self.flint.url)
        return self._merchant

    def wrk(self, target: Target, connections: int = THROUGHPUT_CONNECTIONS,
            seconds: float | None = None) -> WrkResult:
        result = wrk(target, seconds or self.args.duration, connections, self.workdir)
        result.check(target.url)
        return result

    def rounds(self) -> range:
        return range(self.args.rounds)


def median_ratio(pairs: list[tuple[float, float]]) -> float:
    """The median over rounds of numerator ÷ denominator, each pair measured in the same round."""
    return statistics.median(a / b for a, b in pairs)


def medians(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)


# --- rows against one `flint serve` on SQLite and the no-op app ---

def measure_throughput(run: Run, keys: set[str]) -> None:
    """create_order, whoami and get_order against the no-op POST/GET, and the tail at 50 connections."""
    auth = run.merchant.headers
    with run.merchant.client() as client:
        order_id = create_order(client)["order_id"]
    baselines = {"GET": Target(run.noop.url + "/noop"), "POST": Target(run.noop.url + "/noop", "POST", ORDER)}
    flint = {
        "create_order": Target(run.flint.url + "/v1/orders", "POST", ORDER, auth),
        "whoami": Target(run.flint.url + "/v1/whoami", headers=auth),
        "get_order": Target(run.flint.url + f"/v1/orders/{order_id}", headers=auth),
    }
    measured = [key for key in flint if key in keys]
    warm = {*measured, *(["create_order", "get_order"] if "tail" in keys else [])}
    for target in [*baselines.values(), *(flint[key] for key in warm)]:
        run.wrk(target, seconds=1)  # warm up: connections, caches, first calls
    pairs: dict[str, list[tuple[float, float]]] = {key: [] for key in measured}
    tails: dict[str, list[WrkResult]] = {"create_order": [], "get_order": []}
    for _ in run.rounds():
        baseline_rates = {method: run.wrk(target).requests_per_second for method, target in baselines.items()}
        for key in measured:
            pairs[key].append((run.wrk(flint[key]).requests_per_second, baseline_rates[flint[key].method]))
        if "tail" in keys:
            for key in tails:
                # at least 3 s: 50 connections to a slow server need a while for a 99th percentile
                tails[key].append(run.wrk(flint[key], TAIL_CONNECTIONS, max(run.args.duration, 3)))
    for key in measured:
        flint_rate, noop_rate = medians(pairs[key])
        ratio = median_ratio(pairs[key])
        run.results[key] = Result(f"{ratio:.3f} ({flint_rate:.0f} vs {noop_rate:.0f} req/s)", {
            "ratio": ratio, "flint_rps": flint_rate, "noop_rps": noop_rate, "rounds": pairs[key]})
    if "tail" in keys:
        spread = {key: statistics.median(r.p99_ms / r.p50_ms for r in results)
                  for key, results in tails.items()}
        p99 = {key: statistics.median(r.p99_ms for r in results) for key, results in tails.items()}
        run.results["tail"] = Result(
            f"{spread['create_order']:.1f} / {spread['get_order']:.1f} "
            f"(p99 {p99['create_order']:.0f} / {p99['get_order']:.0f} ms)",
            {"ratio": spread, "p99_ms": p99,
             "rounds": {key: [(r.p50_ms, r.p99_ms) for r in results] for key, results in tails.items()}})


def measure_lifecycle(run: Run) -> None:
    """Client threads each running create -> pay -> partial refund; the baseline: the same threads
    sending three no-op POSTs per flow."""
    def flint_flow(client: httpx.Client) -> None:
        order_id = create_order(client)["order_id"]
        pay(client, order_id)
        refund_part(client, order_id)

    def noop_flow(client: httpx.Client) -> None:
        for _ in range(3):
            ok(client.post("/noop", json=ORDER))

    def noop_client() -> httpx.Client:
        return httpx.Client(base_url=run.noop.url, timeout=60)

    pairs = []
    for _ in run.rounds():
        noop = flows_per_second(noop_client, noop_flow, LIFECYCLE_THREADS, run.args.duration)
        flint = flows_per_second(run.merchant.client, flint_flow, LIFECYCLE_THREADS, run.args.duration)
        pairs.append((flint, noop))
    flint_rate, noop_rate = medians(pairs)
    run.results["lifecycle"] = Result(
        f"{flint_rate:.1f} flows/s (x{median_ratio(pairs):.3f} of {noop_rate:.0f} no-op flows/s)",
        {"flows_per_second": flint_rate, "noop_flows_per_second": noop_rate, "ratio": median_ratio(pairs),
         "threads": LIFECYCLE_THREADS, "rounds": pairs})


def measure_mcp(run: Run) -> None:
    """Sequential calls from one httpx client taking turns, median latency of each: tools/call over
    streamable HTTP against the REST route doing the same. Both create_order sides carry a new idempotency
    key (MCP write tools require one), so both do the same work."""
    with run.merchant.client() as client:
        order_id = create_order(client)["order_id"]

        def rest_get() -> None:
            ok(client.get(f"/v1/orders/{order_id}"))

        def mcp_get() -> None:
            _tool_call(client, "get_order", {"order_id": order_id})

        def rest_create() -> None:
            ok(client.post("/v1/orders", json=ORDER, headers={"Idempotency-Key": uuid.uuid4().hex}))

        def mcp_create() -> None:
            _tool_call(client, "create_order", ORDER | {"idempotency_key": uuid.uuid4().hex})

        paired_latency_ms(mcp_get, rest_get, 0)  # warm up
        paired_latency_ms(mcp_create, rest_create, 0)
        get_pairs, create_pairs = [], []
        for _ in run.rounds():
            get_pairs.append(paired_latency_ms(mcp_get, rest_get, run.args.duration))
            create_pairs.append(paired_latency_ms(mcp_create, rest_create, run.args.duration))
    (mcp_get_ms, rest_get_ms), (mcp_create_ms, rest_create_ms) = medians(get_pairs), medians(create_pairs)
    run.results["mcp"] = Result(
        f"{median_ratio(get_pairs):.2f} / {median_ratio(create_pairs):.2f} (get {mcp_get_ms:.1f} vs "
        f"{rest_get_ms:.1f} ms, create {mcp_create_ms:.1f} vs {rest_create_ms:.1f} ms)",
        {"get_order": median_ratio(get_pairs), "create_order": median_ratio(create_pairs),
         "get_rounds_ms": get_pairs, "create_rounds_ms": create_pairs})


def _tool_call(client: httpx.Client, name: str, arguments: dict[str, Any]) -> None:
    """One JSON-RPC tools/call to the stateless streamable HTTP endpoint (no session to open)."""
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    answer = ok(client.post("/mcp", json=message, headers=MCP_HEADERS))
    if "result" not in answer or answer["result"].get("isError"):
        raise RuntimeError(f"tools/call {name}: {json.dumps(answer)[:500]}")


# --- list_orders on a database of its own ---

def measure_list(run: Run) -> None:
    """Page 1 of list_orders for a merchant with 1k orders and one with 200k, in one database: templates
    made through the API, copied in SQL (seed.py), the two pages requested in turn. Filters: a status
    that a tenth of the orders have, and a customer who has a tenth of them."""
    big_count = LIST_BIG // 10 if run.args.quick else LIST_BIG
    database = run.workdir / "list.db"
    server = run.server(lambda: start_flint(run.checkout, run.workdir, "flint-list", f"sqlite:///{database}"))
    small, big = new_merchant(server.url), new_merchant(server.url)
    small_filters = _list_templates(small, database, LIST_SMALL)
    big_filters = _list_templates(big, database, big_count)
    filters = {"all": ({}, {}), "status": ({"status": "CANCELED"}, {"status": "CANCELED"}),
               "customer": (big_filters, small_filters)}
    pairs: dict[str, list[tuple[float, float]]] = {name: [] for name in filters}
    with big.client() as big_client, small.client() as small_client:
        def first_page(client: httpx.Client, params: dict[str, str]) -> Callable[[], object]:
            return lambda: ok(client.get("/v1/orders", params={"page_size": 50} | params))

        variants = {name: (first_page(big_client, big_params), first_page(small_client, small_params))
                    for name, (big_params, small_params) in filters.items()}
        for big_page, small_page in variants.values():  # warm SQLite's page cache
            paired_latency_ms(big_page, small_page, 0, 3)
        for _ in run.rounds():
            for name, (big_page, small_page) in variants.items():
                pairs[name].append(paired_latency_ms(big_page, small_page, run.args.duration, 3))
    ratio = {name: median_ratio(p) for name, p in pairs.items()}
    big_ms, small_ms = medians(pairs["all"])
    label = f"{big_count // 1000}k"
    run.results["list"] = Result(
        f"{ratio['all']:.2f} ({small_ms:.1f} -> {big_ms:.1f} ms, {label}); status= {ratio['status']:.2f}, "
        f"customer_id= {ratio['customer']:.2f}",
        {"ratio": ratio, "ms_at_1k": small_ms, f"ms_at_{label}": big_ms, "big_orders": big_count,
         "rounds_ms": pairs})


def _list_templates(merchant: Merchant, database: Path, total: int) -> dict[str, str]:
    """LIST_TEMPLATES orders through the API (one with a customer, one canceled), then copies up to
    `total`; returns the customer filter."""
    with merchant.client() as client:
        customer_id = ok(client.post("/v1/customers", json={"name": "Bench Buyer"}))["customer_id"]
        ids = [create_order(client)["order_id"] for _ in range(LIST_TEMPLATES - 2)]
        ids.append(create_order(client, customer_id=customer_id)["order_id"])
        canceled = create_order(client)["order_id"]
        ok(client.post(f"/v1/orders/{canceled}/cancel", json={}))
        ids.append(canceled)
    clone_orders(database, ids, total - len(ids))
    return {"customer_id": customer_id}


# --- in-process rows, with the checkout's own Python ---

def measure_in_process(run: Run, measure: str) -> dict[str, Any]:
    command = [str(run.checkout.python), str(BENCH_DIR / "inprocess.py"), measure, "--repo", str(run.checkout.repo)]
    if run.args.quick:
        command.append("--quick")
    done = subprocess.run(command, capture_output=True, text=True, cwd=run.workdir)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure_selects(run: Run) -> None:
    counted = measure_in_process(run, "selects")
    run.results["selects"] = Result(f"{counted['selects']} ({counted['statements']} statements in all)", counted)


def measure_docs(run: Run) -> None:
    timed = measure_in_process(run, "docs")
    run.results["docs"] = Result(f"{timed['p50_ms']:.2f} ms (p99 {timed['p99_ms']:.1f} ms)", timed)


# --- PostgreSQL ---

def measure_postgres(run: Run, keys: set[str]) -> None:
    url = run.args.database_url or _scratch_postgres(run)
    if url is None:
        for key in keys & {"postgres", "postgres_workers"}:
            run.results[key] = Result("skipped (no PostgreSQL at 127.0.0.1:5432)")
        return
    workers = "--workers" in run.checkout.serve_help()
    one = run.server(lambda: start_flint(run.checkout, run.workdir, "flint-pg", url))
    two = None
    if workers and "postgres_workers" in keys:  # started after the first: it finds the schema migrated
        two = run.server(lambda: start_flint(run.checkout, run.workdir, "flint-pg2", url, "--workers", "2"))
    auth = new_merchant(one.url).headers
    noop_post = Target(run.noop.url + "/noop", "POST", ORDER)
    targets = [noop_post, Target(one.url + "/v1/orders", "POST", ORDER, auth)]
    if two:
        targets.append(Target(two.url + "/v1/orders", "POST", ORDER, auth))
    for target in targets:
        run.wrk(target, seconds=1)
    rounds = [[run.wrk(target).requests_per_second for target in targets] for _ in run.rounds()]
    noop_rate = statistics.median(r[0] for r in rounds)
    one_rate = statistics.median(r[1] for r in rounds)
    ratio = median_ratio([(r[1], r[0]) for r in rounds])
    run.results["postgres"] = Result(f"{ratio:.3f} ({one_rate:.0f} vs {noop_rate:.0f} req/s)",
                                     {"ratio": ratio, "flint_rps": one_rate, "noop_rps": noop_rate, "rounds": rounds})
    if "postgres_workers" not in keys:
        return
    if two is None:
        run.results["postgres_workers"] = Result("skipped (`flint serve` has no --workers)")
        return
    scaling = median_ratio([(r[2], r[1]) for r in rounds])
    two_rate = statistics.median(r[2] for r in rounds)
    run.results["postgres_workers"] = Result(f"{scaling:.2f} ({two_rate:.0f} vs {one_rate:.0f} req/s)",
                                             {"ratio": scaling, "two_processes_rps": two_rate})


def _scratch_postgres(run: Run) -> str | None:
    """A database of this run's own on the local PostgreSQL, dropped when the run ends; None without one."""
    if not postgres_answers():
        return None
    import psycopg

    name = f"flint_bench_{uuid.uuid4().hex[:8]}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    run.stack.callback(drop)  # runs after the servers using it have stopped (the stack unwinds backwards)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


# --- webhook deliveries ---

def measure_webhooks(run: Run) -> None:
    """bench_webhooks.py with the checkout's Python: the job runner at concurrency 1, 4 and 16 against a
    plain signed httpx loop to the same receiver; 1000 deliveries per round keep the run short."""
    n = 300 if run.args.quick else 1000
    command = [str(run.checkout.python), str(BENCH_DIR / "bench_webhooks.py"), "--repo", str(run.checkout.repo),
               "--n", str(n)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=run.workdir)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    rows = re.findall(r"concurrency (\d+)\s+(\d+)/s\s+\d+/s\s+x\s*([\d.]+)", done.stdout)  # baseline, runner, ratio
    if not rows:
        raise RuntimeError(f"no figures in the output of bench_webhooks.py:\n{done.stdout[-2000:]}")
    ratios = {int(c): float(x) for c, _, x in rows}
    baseline = statistics.median(float(b) for _, b, _ in rows)  # each round measures its own baseline
    spread = ", ".join(f"c{c} {x:.2f}" for c, x in ratios.items())
    run.results["webhooks"] = Result(f"{min(ratios.values()):.2f}–{max(ratios.values()):.2f} ({spread}; "
                                     f"loop {baseline:.0f}/s)", {"ratios": ratios, "baseline_per_second": baseline,
                                                                 "n": n, "output": done.stdout})


# --- the run ---

def measure(run: Run, keys: set[str]) -> None:
    steps: list[tuple[set[str], Callable[[], None]]] = [
        ({"create_order", "whoami", "get_order", "tail"}, lambda: measure_throughput(run, keys)),
        ({"lifecycle"}, lambda: measure_lifecycle(run)),
        ({"mcp"}, lambda: measure_mcp(run)),
        ({"list"}, lambda: measure_list(run)),
        ({"selects"}, lambda: measure_selects(run)),
        ({"docs"}, lambda: measure_docs(run)),
        ({"postgres", "postgres_workers"}, lambda: measure_postgres(run, keys)),
        ({"webhooks"}, lambda: measure_webhooks(run)),
    ]
    for covers, step in steps:
        if not covers & keys:
            continue
        print(f"measuring {', '.join(sorted(covers & keys))}...", file=sys.stderr, flush=True)
        try:
            step()
        except Exception as exc:  # one broken row (an older checkout, a missing route) spares the others
            traceback.print_exc()
            for key in covers & keys:
                run.results.setdefault(key, Result(f"failed: {str(exc).splitlines()[0][:100]}"))


def table(results: dict[str, Result], keys: set[str]) -> str:
    rows = [("measure", "figure", "goal")] + [(ROWS[k][0], results[k].figure if k in results else "not measured",
                                               ROWS[k][1]) for k in ROWS if k in keys]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |"
             for row in rows]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=BENCH_DIR.parent,
                        help="the checkout to measure (its .venv/bin/flint and its code; default: this one)")
    parser.add_argument("--only", default=None, help=f"comma-separated rows: {', '.join(ROWS)}")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds per row (default 3; --quick 1)")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds per measurement in a round (default 5; --quick 1)")
    parser.add_argument("--quick", action="store_true", help="short rounds and smaller data: a smoke run")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL for the postgres rows (default: a scratch database on 127.0.0.1:5432)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw numbers here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (databases, server logs)")
    args = parser.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.duration = args.duration or (1.0 if args.quick else 5.0)
    return args


def main() -> None:
    args = parse_args()
    keys = set(args.only.split(",")) if args.only else set(ROWS)
    if unknown := keys - set(ROWS):
        raise SystemExit(f"unknown rows: {', '.join(sorted(unknown))}; rows are: {', '.join(ROWS)}")
    checkout = Checkout(args.repo.resolve())
    checkout.check()
    workdir = Path(tempfile.mkdtemp(prefix="flint-bench-"))
    commit = subprocess.run(["git", "-C", str(checkout.repo), "log", "-1", "--format=%h %s"], capture_output=True,
                            text=True).stdout.strip()
    print(f"measuring {checkout.repo} ({commit or 'not a git checkout'}); {args.rounds} rounds of "
          f"{args.duration:g} s; scratch {workdir}", file=sys.stderr, flush=True)
    with ExitStack() as stack:
        if not args.keep:
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        run = Run(args, checkout, workdir, stack)
        if shutil.which("wrk") is None:
            print("warning: wrk is not installed (apt-get install wrk; `make bench` tries)", file=sys.stderr)
            for key in keys & WRK_ROWS:
                run.results[key] = Result("skipped (wrk is not installed)")
        measure(run, keys - set(run.results))
    print(table(run.results, keys))
    if args.json:
        args.json.write_text(json.dumps({"repo": str(checkout.repo), "commit": commit, "rounds": args.rounds,
                                         "duration": args.duration, "quick": args.quick,
                                         "rows": {k: {"measure": ROWS[k][0], "goal": ROWS[k][1], "figure": r.figure,
                                                      **r.raw} for k, r in run.results.items()}}, indent=2))


if __name__ == "__main__":
    main()
