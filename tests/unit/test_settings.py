"""Settings.from_env: every FLINT_* variable is read there, once, into its field; a bad value is refused
naming the variable (or the flag); flags win over the environment; and importing Flint reads nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flint_core.platform.rate_limits import Budget, RateLimits
from flint_core.platform.settings import VARIABLES, Settings, SmtpServer

ROOT = Path(__file__).resolve().parents[2]

# Each variable, a value, and the field (as the Settings made from it) it must set.
EXAMPLES = {
    "FLINT_DATABASE_URL": ("postgresql+psycopg://db/flint", Settings(database_url="postgresql+psycopg://db/flint")),
    "FLINT_PUBLIC_URL": ("https://pay.example.com/", Settings(public_url="https://pay.example.com")),
    "FLINT_DEFAULT_CURRENCY": (" eur ", Settings(default_currency="EUR")),
    "FLINT_STRIPE_API_KEY": ("sk_live_x", Settings(stripe_api_key="sk_live_x")),
    "FLINT_API_KEY": ("sk_test_x", Settings(api_key="sk_test_x")),
    "FLINT_RATE_LIMIT_PER_KEY": ("10:20", Settings(rate_limits=RateLimits(per_key=Budget(10, 20)))),
    "FLINT_RATE_LIMIT_PER_MERCHANT": ("7", Settings(rate_limits=RateLimits(per_merchant=Budget(7, 14)))),
    "FLINT_RATE_LIMIT_PER_CLIENT": ("off", Settings(rate_limits=RateLimits(per_client=Budget(0, 0)))),
    "FLINT_WEBHOOK_RETRY_DELAYS": ("0.2, 0.2,0.5", Settings(webhook_retry_delays=(0.2, 0.2, 0.5))),
    "FLINT_WEBHOOK_DISABLE_AFTER_SECONDS": ("60", Settings(webhook_disable_after_seconds=60.0)),
    "FLINT_IDEMPOTENCY_LEASE_SECONDS": ("0.5", Settings(idempotency_lease_seconds=0.5)),
    "FLINT_JOB_LEASE_SECONDS": ("2", Settings(job_lease_seconds=2.0)),
    "FLINT_JOB_MODULES": ("myshop.jobs, other.jobs,", Settings(job_modules=("myshop.jobs", "other.jobs"))),
    "FLINT_MCP_ALLOWED_HOSTS": ("pay.example.com,pay.example.com:443",
                                Settings(mcp_allowed_hosts=("pay.example.com", "pay.example.com:443"))),
    "FLINT_MCP_ALLOWED_ORIGINS": ("https://pay.example.com",
                                  Settings(mcp_allowed_origins=("https://pay.example.com",))),
    "FLINT_SIMULATOR_CRASH_AFTER_CALL": ("1", Settings(simulator_crash_after_call=True)),
    "FLINT_SMTP_URL": ("smtp+starttls://mailer:p%40ss@mail.example.com",
                       Settings(smtp_server=SmtpServer("starttls", "mail.example.com", 587, "mailer", "p@ss"))),
    "FLINT_EMAIL_FROM": (" Acme  <receipts@acme.example> ", Settings(email_from="Acme <receipts@acme.example>")),
}

BAD = {
    "FLINT_PUBLIC_URL": "pay.example.com",
    "FLINT_DEFAULT_CURRENCY": "xx",
    "FLINT_RATE_LIMIT_PER_KEY": "fast",
    "FLINT_RATE_LIMIT_PER_MERCHANT": "0:5",
    "FLINT_RATE_LIMIT_PER_CLIENT": "10:0",
    "FLINT_WEBHOOK_RETRY_DELAYS": "5,soon",
    "FLINT_WEBHOOK_DISABLE_AFTER_SECONDS": "-1",
    "FLINT_IDEMPOTENCY_LEASE_SECONDS": "a minute",
    "FLINT_JOB_LEASE_SECONDS": "0",
    "FLINT_SIMULATOR_CRASH_AFTER_CALL": "yes",
    "FLINT_SMTP_URL": "mail.example.com:25",
    "FLINT_EMAIL_FROM": "receipts@acme.example, sales@acme.example",
}


def test_every_variable_is_covered() -> None:
    assert {variable for variable, _ in VARIABLES.values()} == set(EXAMPLES)


@pytest.mark.parametrize("variable", sorted(EXAMPLES))
def test_each_variable_sets_its_field(variable: str) -> None:
    text, expected = EXAMPLES[variable]
    assert Settings.from_env({variable: text}) == expected


def test_nothing_set_is_the_defaults() -> None:
    assert Settings.from_env({}) == Settings()
    assert Settings.from_env({"PATH": "/bin", "FLINT_UNRELATED": "x"}) == Settings()
    # an empty variable is as good as unset (FLINT_WEBHOOK_RETRY_DELAYS="" means the default schedule)
    assert Settings.from_env({variable: "" for variable in EXAMPLES}) == Settings()
    assert Settings.from_env({"FLINT_SIMULATOR_CRASH_AFTER_CALL": "0"}).simulator_crash_after_call is False


@pytest.mark.parametrize("variable", sorted(BAD))
def test_a_bad_value_is_refused_naming_its_variable(variable: str) -> None:
    with pytest.raises(ValueError) as refused:
        Settings.from_env({variable: BAD[variable]})
    assert f"(from ${variable})" in str(refused.value) and repr(BAD[variable]) in str(refused.value)


def test_the_currency_message() -> None:
    with pytest.raises(ValueError, match=r"^default currency 'xx' is not an ISO 4217 code "
                                         r"\(from \$FLINT_DEFAULT_CURRENCY\)$"):
        Settings.from_env({"FLINT_DEFAULT_CURRENCY": "xx"})


def test_flags_win_over_the_environment() -> None:
    environ = {"FLINT_PUBLIC_URL": "https://env.example.com", "FLINT_DATABASE_URL": "sqlite:///env.db",
               "FLINT_RATE_LIMIT_PER_KEY": "10:20", "FLINT_RATE_LIMIT_PER_CLIENT": "off"}
    settings = Settings.from_env(environ, public_url="https://flag.example.com/", database_url="sqlite:///flag.db",
                                 rate_limit_per_key="3", signup_enabled=False)
    assert settings.public_url == "https://flag.example.com" and settings.database_url == "sqlite:///flag.db"
    assert settings.rate_limits == RateLimits(per_key=Budget(3, 6), per_client=Budget(0, 0))
    assert settings.signup_enabled is False
    # a flag not given (None) or empty leaves the environment's value
    assert Settings.from_env(environ, public_url=None).public_url == "https://env.example.com"
    assert Settings.from_env(environ, public_url="").public_url == "https://env.example.com"
    # a bad flag is named as the flag, even when the environment's value is good
    with pytest.raises(ValueError, match=r"must not have a path.*\(from --public-url\)"):
        Settings.from_env(environ, public_url="https://pay.example.com/shop")
    # a flag that is not text is used as it is
    assert Settings.from_env({}, job_modules=("a.jobs",)).job_modules == ("a.jobs",)


def test_defaults_give_way_to_the_environment_and_flags() -> None:
    """`flint serve`: the listen address is the public URL unless $FLINT_PUBLIC_URL or --public-url says."""
    listen = {"public_url": "http://0.0.0.0:9000"}
    assert Settings.from_env({}, defaults=listen).public_url == "http://0.0.0.0:9000"
    env = {"FLINT_PUBLIC_URL": "https://env.example.com"}
    assert Settings.from_env(env, defaults=listen).public_url == "https://env.example.com"
    assert Settings.from_env(env, defaults=listen, public_url="https://flag.example.com").public_url == \
        "https://flag.example.com"


def test_the_default_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLINT_JOB_LEASE_SECONDS", "7")
    assert Settings.from_env().job_lease_seconds == 7.0


def test_secrets_stay_out_of_the_repr() -> None:
    settings = Settings(stripe_api_key="sk_live_secret", api_key="sk_test_secret",
                        database_url="postgresql://flint:hunter2@db/flint")
    assert "secret" not in repr(settings) and "hunter2" not in repr(settings)


def test_importing_flint_reads_no_environment() -> None:
    """Every variable set to a bad value: importing the core, the faces and the command still works (a
    value read at import time would raise there); only making the settings fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLINT_")} | BAD
    modules = ("flint_core.platform.runtime", "flint_core.platform.queue", "flint_core.platform.idempotency",
               "flint_core.webhooks.delivery", "flint_core.processors.select", "flint_core.store.db",
               "flint_http.app", "flint_mcp.http", "flint_mcp.stdio", "flint_cli.main")
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run([sys.executable, "-c", code, *modules], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    refused = subprocess.run([sys.executable, "-c", "from flint_core.platform.settings import Settings\n"
                              "Settings.from_env()"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "ValueError" in refused.stderr


@pytest.mark.parametrize("url, problem", [
    ("smtp://mail.example.com:99999", "has an invalid port"),
    ("smtp://mailer@mail.example.com", "needs both a user and a password"),
    ("smtps://mail.example.com/inbox", "must not have a path"),
    ("https://mail.example.com", "must be smtp://host[:port]"),
])
def test_a_bad_smtp_url_is_refused_without_repeating_its_password(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)) as refused:
        Settings.from_env({"FLINT_SMTP_URL": url})
    assert "(from $FLINT_SMTP_URL)" in str(refused.value)
    with pytest.raises(ValueError) as refused:
        Settings.from_env({"FLINT_SMTP_URL": "smtp://mailer:hunter2@mail.example.com/inbox"})
    assert "hunter2" not in str(refused.value) and "mailer:***@mail.example.com" in str(refused.value)


def test_smtp_urls_choose_their_security_and_default_port() -> None:
    def server(url: str) -> SmtpServer | None:
        return Settings.from_env({"FLINT_SMTP_URL": url}).smtp_server

    assert server("smtp://127.0.0.1:1025") == SmtpServer("plain", "127.0.0.1", 1025)
    assert server("smtp://mail.example.com") == SmtpServer("plain", "mail.example.com", 25)
    assert server("smtps://mail.example.com") == SmtpServer("tls", "mail.example.com", 465)
    assert server("smtp+starttls://mail.example.com/") == SmtpServer("starttls", "mail.example.com", 587)
    assert "p@ss" not in repr(Settings.from_env(
        {"FLINT_SMTP_URL": "smtp+starttls://mailer:p%40ss@mail.example.com"}))
