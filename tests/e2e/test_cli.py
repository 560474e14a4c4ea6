"""The real `flint` process: first start migrates, bootstraps a sandbox merchant and prints its key once;
the server answers on the port it was given; a second start reuses the database and prints no key. The
URLs it returns start with its public URL. `flint mcp` opens only a database that is already set up."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from flint_core.store.db import alembic_config, describe
from tests.e2e.processes import FLINT, ROOT, free_port, start, stop

HOSTED_ORDER = {"currency": "USD", "checkout_flow": "HOSTED", "line_items": [
    {"name": "Jacket", "quantity": 1, "unit_price_money": {"amount": 9900, "currency": "USD"}},
    {"name": "T-shirt", "quantity": 1, "unit_price_money": {"amount": 2900, "currency": "USD"}}]}


def flint(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a `flint` command to its end, without FLINT_* settings from the caller's environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLINT_")}
    return subprocess.run([*FLINT, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env=clean | (env or {}))


def test_serve_bootstraps_once_and_serves(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flint.db'}"
    port = free_port()
    proc, out = start(url, port)
    try:
        key = re.search(r"(sk_test_[A-Za-z0-9]+)", out)
        assert key, out
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {key.group(1)}"}
        who = httpx.get(f"{base}/v1/whoami", headers=headers).json()
        assert who["mode"] == "test" and who["sandbox_id"].startswith("sbx_")
        order = httpx.post(f"{base}/v1/orders", headers=headers, json=HOSTED_ORDER)
        assert order.status_code == 200 and order.headers["Request-Id"].startswith("req_")
        assert order.json()["pricing_amounts"]["total_money"]["amount"] == 13824
        # without --public-url the URLs it returns start with the address it listens on, and work
        page = order.json()["checkout_session_url"]
        assert page.startswith(f"{base}/checkout/cs_") and httpx.get(page).status_code == 200
    finally:
        stop(proc)
    proc, out = start(url, port, "--no-signup")
    try:
        assert "sk_test_" not in out and "existing database" in out
        signup = httpx.post(f"http://127.0.0.1:{port}/v1/merchants", json={"name": "x", "email": "x@example.com"})
        assert signup.status_code == 403 and signup.json()["error"]["code"] == "signup_disabled"
        assert httpx.get(f"http://127.0.0.1:{port}/v1/whoami", headers=headers).status_code == 200
    finally:
        stop(proc)


def test_serve_with_workers_runs_that_many_server_processes(tmp_path: Path) -> None:
    """`--workers 2`: two processes share the port, each with the settings the command made (here a flag)."""
    port = free_port()
    proc, out = start(f"sqlite:///{tmp_path / 'flint.db'}", port, "--workers", "2", "--no-signup")
    try:
        key = re.search(r"(sk_test_[A-Za-z0-9]+)", out)
        assert key, out
        base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key.group(1)}"}
        orders = [httpx.post(f"{base}/v1/orders", headers=headers, json=HOSTED_ORDER) for _ in range(6)]
        assert [o.status_code for o in orders] == [200] * 6
        signup = httpx.post(f"{base}/v1/merchants", json={"name": "x", "email": "x@example.com"})
        assert signup.status_code == 403  # the workers got --no-signup from the command
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        servers = [pid for pid in children if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]
        assert len(servers) == 2, children
    finally:
        stop(proc)


def test_migrate_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    done = subprocess.run([*FLINT, "migrate", "--database-url", url], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "migrated" in done.stdout and (tmp_path / "m.db").exists()


def test_the_access_log_never_prints_a_secret(tmp_path: Path) -> None:
    """A key sent in the query string is refused (400) and logged redacted, like request logs do."""
    port = free_port()
    proc, out = start(f"sqlite:///{tmp_path / 'flint.db'}", port)
    secret = re.search(r"(sk_test_[A-Za-z0-9]+)", out)
    assert secret, out
    base = f"http://127.0.0.1:{port}"
    try:
        refused = httpx.get(f"{base}/v1/whoami", params={"api_key": secret.group(1), "page": "1"})
        assert refused.status_code in (400, 401), refused.text
        httpx.get(f"{base}/v1/orders/4242424242424242")
    finally:
        stop(proc)
    assert proc.stdout is not None
    printed = proc.stdout.read()
    assert "/v1/whoami?api_key=[REDACTED]&page=1" in printed, printed
    assert secret.group(1) not in printed
    assert "4242424242424242" not in printed and "/v1/orders/[REDACTED]" in printed


def test_serve_with_a_public_url(tmp_path: Path) -> None:
    port = free_port()
    proc, out = start(f"sqlite:///{tmp_path / 'flint.db'}", port, "--public-url", "https://pay.example.com/")
    try:
        assert f"Serving on http://127.0.0.1:{port} as https://pay.example.com (" in out
        key = re.search(r"(sk_test_[A-Za-z0-9]+)", out)
        assert key, out
        headers = {"Authorization": f"Bearer {key.group(1)}"}
        order = httpx.post(f"http://127.0.0.1:{port}/v1/orders", headers=headers, json=HOSTED_ORDER).json()
        page = order["checkout_session_url"]
        assert page.startswith("https://pay.example.com/checkout/cs_")
        # what a proxy in front would do: the same path on the server answers
        path = page.removeprefix("https://pay.example.com")
        assert httpx.get(f"http://127.0.0.1:{port}{path}").status_code == 200
    finally:
        stop(proc)


@pytest.mark.parametrize("command", ["serve", "worker", "mcp"])
def test_an_invalid_public_url_is_refused_before_anything_is_touched(tmp_path: Path, command: str) -> None:
    database = tmp_path / "flint.db"
    flag = flint(command, "--database-url", f"sqlite:///{database}", "--public-url", "https://pay.example.com/shop")
    assert flag.returncode != 0 and flag.stdout == ""
    assert "must not have a path" in flag.stderr and "--public-url" in flag.stderr, flag.stderr
    env = flint(command, "--database-url", f"sqlite:///{database}", env={"FLINT_PUBLIC_URL": "pay.example.com"})
    assert env.returncode != 0 and "$FLINT_PUBLIC_URL" in env.stderr and "http://" in env.stderr, env.stderr
    assert not database.exists()


def test_mcp_never_creates_a_database(tmp_path: Path) -> None:
    """Started where there is no database (the default ./flint.db), it says so and creates nothing."""
    done = flint("mcp", cwd=tmp_path, env={"FLINT_API_KEY": "sk_test_whatever"})
    assert done.returncode == 2 and done.stdout == "", done
    assert f"there is no database file at {tmp_path / 'flint.db'}" in done.stderr
    assert "never creates or migrates a database" in done.stderr and "--database-url" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_mcp_refuses_an_unmigrated_or_outdated_sqlite_database(tmp_path: Path) -> None:
    from alembic import command

    empty = tmp_path / "empty.db"
    empty.touch()
    done = flint("mcp", "--database-url", f"sqlite:///{empty}", env={"FLINT_API_KEY": "sk_test_whatever"})
    assert done.returncode == 2 and done.stdout == "" and "it was never migrated" in done.stderr, done
    assert empty.stat().st_size == 0  # not migrated behind our back either
    older = f"sqlite:///{tmp_path / 'older.db'}"
    command.upgrade(alembic_config(older), "0002")
    done = flint("mcp", "--database-url", older, env={"FLINT_API_KEY": "sk_test_whatever"})
    assert done.returncode == 2 and "is at schema revision 0002, this Flint needs" in done.stderr, done
    assert "flint migrate" in done.stderr


def test_mcp_says_which_database_it_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flint.db'}"
    assert flint("migrate", "--database-url", url).returncode == 0
    done = flint("mcp", "--database-url", url, env={"FLINT_API_KEY": "sk_test_" + "x" * 32})
    assert done.returncode == 2 and done.stdout == ""
    opened, refused = done.stderr.strip().splitlines()[-2:]
    assert opened == f"flint mcp: database SQLite file {tmp_path / 'flint.db'}"
    assert refused.startswith("flint mcp: FLINT_API_KEY cannot be used: invalid_api_key")


def test_a_server_database_is_described_without_its_password() -> None:
    assert describe("postgresql+psycopg://flint:s3cret@db:5432/flint") == "postgresql+psycopg://flint:***@db:5432/flint"


def _postgres() -> str:
    url = os.environ.get("FLINT_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("set FLINT_TEST_DATABASE_URL to a PostgreSQL database to run this test on it")
    return url


def test_mcp_refuses_an_unmigrated_or_missing_postgres_database() -> None:
    base = _postgres()
    schema = "flint_mcp_unmigrated"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    # a schema of its own stands for an empty database: the tests' own database is migrated
    empty = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    try:
        done = flint("mcp", "--database-url", empty, env={"FLINT_API_KEY": "sk_test_whatever"})
        assert done.returncode == 2 and done.stdout == "" and "it was never migrated" in done.stderr, done
        assert inspect(engine).get_table_names(schema=schema) == []
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
    missing = make_url(base).set(database="flint_no_such_database").render_as_string(False)
    done = flint("mcp", "--database-url", missing, env={"FLINT_API_KEY": "sk_test_whatever"})
    assert done.returncode == 2 and done.stdout == "" and "cannot open postgresql" in done.stderr, done
    assert "flint_no_such_database" in done.stderr
