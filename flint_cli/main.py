"""The `flint` command: serve, worker, migrate, mcp."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import Any

from flint_cli.access_log import redact_access_log
from flint_core import (
    DEFAULT_PUBLIC_URL,
    HANDOFF,
    Database,
    FlintError,
    RateLimits,
    Settings,
    bootstrap,
    database,
    docs_index,
    housekeeping,
    queue,
    toolsets,
    utcnow,
)

WORKER_START_SECONDS = 60  # how long a `flint serve --workers N` process may take to answer its first health check


def settings_for(command: str, **flags: Any) -> Settings:
    """The command's settings, made once: its flags, else the FLINT_* environment, else the defaults
    (Settings.from_env). A bad value ends the command, naming where it came from, before it touches anything."""
    try:
        return Settings.from_env(**flags)
    except ValueError as exc:
        sys.exit(f"flint {command}: {exc}")


def listen_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def prepare_jobs(db: Database, settings: Settings) -> list[str]:
    """Load every job kind (a bad FLINT_JOB_MODULES fails here, at start) and queue the housekeeping job."""
    kinds = sorted(queue.handlers(settings))
    housekeeping.schedule_housekeeping(db)
    return kinds


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from flint_server import create_server

    base = listen_url(args.host, args.port)
    # the public URL: --public-url, else $FLINT_PUBLIC_URL, else the address it listens on
    settings = settings_for("serve", defaults={"public_url": base}, database_url=args.database_url,
                            public_url=args.public_url, signup_enabled=not args.no_signup,
                            rate_limit_per_key=args.rate_limit_per_key,
                            rate_limit_per_merchant=args.rate_limit_per_merchant,
                            rate_limit_per_client=args.rate_limit_per_client)
    public_url = settings.public_url
    db = Database(settings.database_url)
    db.migrate()
    secret = bootstrap(db, utcnow())
    if secret:
        print(f"\nFlint: created a sandbox merchant. Its secret test key (shown once, store it):\n\n"
              f"    export FLINT_API_KEY={secret}\n", flush=True)
    else:
        print("\nFlint: using the existing database. Your test key was printed at first start; to get a new "
              f"merchant and key:\n\n    curl -X POST {public_url}/v1/merchants -H 'Content-Type: application/json' "
              "-d '{\"name\": \"My shop\", \"email\": \"me@example.com\"}'\n", flush=True)
    public = f" as {public_url}" if public_url != base else ""  # the URLs Flint returns start with it
    print(f"Serving on {base}{public} (database {database.describe(db.url)}; OpenAPI at {public_url}/openapi.json)",
          flush=True)
    if not public and args.host in ("0.0.0.0", "::", ""):
        print(f"Warning: the URLs Flint returns start with {public_url}, which only this machine can reach; set "
              "--public-url (or FLINT_PUBLIC_URL) to the address buyers and agents use", flush=True)
    print(flush=True)
    docs_index.default_index().refresh()  # the docs search index, built now rather than by the first search
    stop = threading.Event()
    if not args.no_jobs:  # the job runner in-process (docs/jobs.md); `flint worker` runs it on its own
        prepare_jobs(db, settings)
        threading.Thread(target=queue.run_forever, args=(db, settings, stop), name="flint-jobs", daemon=True,
                         kwargs={"interval": args.job_interval, "concurrency": args.job_concurrency}).start()
    redact_access_log()
    try:
        if args.workers == 1:
            uvicorn.run(create_server(db, settings=settings), host=args.host, port=args.port, log_level=args.log_level)
        else:  # worker processes share the socket; this one supervises them (and runs the jobs)
            os.environ[HANDOFF] = settings.handoff()
            # (a worker that loads Flint on a busy machine can take longer than uvicorn's 5 s health check)
            uvicorn.run("flint_server:server_from_handoff", factory=True, workers=args.workers, host=args.host,
                        port=args.port, log_level=args.log_level, timeout_worker_healthcheck=WORKER_START_SECONDS)
    finally:
        stop.set()


def worker(args: argparse.Namespace) -> None:
    """Only the job runner, until SIGTERM or SIGINT: then the jobs in progress finish and it exits."""
    # the jobs render objects into events (a checkout session's URL): the same public URL as `flint serve`
    settings = settings_for("worker", database_url=args.database_url, public_url=args.public_url)
    db = Database(settings.database_url)
    db.migrate()
    kinds = prepare_jobs(db, settings)
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        logging.getLogger("flint.worker").info("%s: finishing the jobs in progress, then exiting",
                                               signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    logging.getLogger("flint.worker").info(
        "worker %s started: concurrency %s, interval %ss, lease %ss, database %s, kinds %s", os.getpid(),
        args.concurrency, args.interval, settings.job_lease_seconds, db.url, ", ".join(kinds))
    queue.run_forever(db, settings, stop, interval=args.interval, concurrency=args.concurrency)
    logging.getLogger("flint.worker").info("worker %s stopped", os.getpid())
    db.dispose()


def migrate(args: argparse.Namespace) -> None:
    settings = settings_for("migrate", database_url=args.database_url)
    db = Database(settings.database_url)
    db.migrate()
    print(f"migrated {db.url}")


def mcp(args: argparse.Namespace) -> None:
    """The MCP server on stdio for the key in FLINT_API_KEY (stdout is the protocol: never print to it).

    It serves a database that `flint serve` or `flint migrate` made and never creates or migrates one: run in
    the wrong directory, it would otherwise make an empty ./flint.db and then call every key invalid."""
    from flint_mcp import stdio

    settings = settings_for("mcp", database_url=args.database_url, public_url=args.public_url)
    url = settings.database_url or database.DEFAULT_URL
    problem = database.unready(url)
    if problem:
        print(f"flint mcp: {problem}. flint mcp never creates or migrates a database: point --database-url (or "
              "FLINT_DATABASE_URL) at the one `flint serve` uses (a relative SQLite path depends on the working "
              "directory), or run `flint migrate` on it first.", file=sys.stderr)
        sys.exit(2)
    try:
        selection = toolsets.selection(args.toolsets, "true" if args.read_only else None)
    except FlintError as exc:
        print(f"flint mcp: --toolsets: {exc.message}", file=sys.stderr)
        sys.exit(2)
    print(f"flint mcp: database {database.describe(url)}", file=sys.stderr, flush=True)
    db = Database(url)
    key = settings.api_key
    problem = stdio.check_key(db, key)
    if problem:
        print(problem, file=sys.stderr)
        sys.exit(2)
    stdio.run(db, key or "", settings, selection)


def _positive(kind: type) -> object:
    def parse(text: str) -> object:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
        return value
    return parse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="flint", description="Flint: order-first commerce API.")
    parser.add_argument("--database-url", default=None,
                        help="SQLAlchemy URL (default: $FLINT_DATABASE_URL or sqlite:///flint.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="migrate, bootstrap a sandbox merchant on first start, serve HTTP")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--database-url", default=None, dest="database_url_sub")
    p_serve.add_argument("--no-signup", action="store_true", help="disable POST /v1/merchants")
    p_serve.add_argument("--public-url", default=None, metavar="URL",
                         help="the address buyers and agents reach this server at, e.g. https://pay.example.com; "
                              "every URL Flint returns starts with it (default $FLINT_PUBLIC_URL or "
                              "http://HOST:PORT)")
    p_serve.add_argument("--log-level", default="info")
    p_serve.add_argument("--workers", type=_positive(int), default=1,
                         help="server processes (default 1). More help on PostgreSQL; SQLite takes one writer at a "
                              "time, which one process already keeps busy")
    defaults = RateLimits()
    for budget, limit in (("key", defaults.per_key), ("merchant", defaults.per_merchant),
                          ("client", defaults.per_client)):
        default = f"{limit.rate}:{limit.burst}"
        p_serve.add_argument(f"--rate-limit-per-{budget}", default=None, metavar="RATE[:BURST]",
                             help=f"requests per second per {budget}{' and mode' if budget == 'merchant' else ''}"
                                  f"{' (keyless calls)' if budget == 'client' else ''}, `off` to disable "
                                  f"(default $FLINT_RATE_LIMIT_PER_{budget.upper()} or {default})")
    p_serve.add_argument("--no-jobs", action="store_true",
                         help="do not run the job runner in this process (run `flint worker` instead)")
    p_serve.add_argument("--job-concurrency", type=_positive(int), default=4, help="jobs run at once in-process (default 4)")
    p_serve.add_argument("--job-interval", type=_positive(float), default=0.5,
                         help="seconds between looks for due jobs when none was due (default 0.5)")
    p_serve.set_defaults(func=serve)
    p_worker = sub.add_parser("worker", help="run only the job runner (webhook deliveries, refund settlement, "
                                             "checkout expiry); several may share one PostgreSQL")
    p_worker.add_argument("--database-url", default=None, dest="database_url_sub")
    p_worker.add_argument("--concurrency", type=_positive(int), default=4, help="jobs run at once (default 4)")
    p_worker.add_argument("--public-url", default=None, metavar="URL",
                          help="the public URL `flint serve` uses, for the URLs in the events jobs emit "
                               f"(default $FLINT_PUBLIC_URL or {DEFAULT_PUBLIC_URL})")
    p_worker.add_argument("--interval", type=_positive(float), default=0.5,
                          help="seconds between looks for due jobs when none was due (default 0.5)")
    p_worker.set_defaults(func=worker)
    p_migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    p_migrate.add_argument("--database-url", default=None, dest="database_url_sub")
    p_migrate.set_defaults(func=migrate)
    p_mcp = sub.add_parser("mcp", help="serve MCP on stdio for the key in $FLINT_API_KEY, on a database "
                                       "`flint serve` or `flint migrate` set up")
    p_mcp.add_argument("--database-url", default=None, dest="database_url_sub")
    p_mcp.add_argument("--public-url", default=None, metavar="URL",
                       help="the public URL of the `flint serve` that shares this database, for the URLs tools "
                            f"return (default $FLINT_PUBLIC_URL or {DEFAULT_PUBLIC_URL})")
    p_mcp.add_argument("--toolsets", default=None, metavar="A,B",
                       help="the toolsets to serve, comma-separated, `all`, or `default` and more (default: the "
                            "default set; GET /v1/toolsets lists them)")
    p_mcp.add_argument("--read-only", action="store_true", help="serve only the tools that change nothing")
    p_mcp.set_defaults(func=mcp)
    args = parser.parse_args(argv)
    args.database_url = args.database_url_sub or args.database_url
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    args.func(args)


if __name__ == "__main__":
    main()
