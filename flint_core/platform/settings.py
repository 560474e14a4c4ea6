"""Server-wide settings: what `flint serve`, `flint worker`, `flint mcp` and `flint migrate` were told at start.

Every ``FLINT_*`` environment variable is read here, once, by :meth:`Settings.from_env` (the `flint`
command calls it once per command, its flags winning over the environment), and nowhere else: no module
reads the environment when it is imported, and code that needs a value takes it from ``settings``. The
variables: ``FLINT_DATABASE_URL`` (``database_url``), ``FLINT_PUBLIC_URL`` (``public_url``),
``FLINT_DEFAULT_CURRENCY`` (``default_currency``), ``FLINT_STRIPE_API_KEY`` (``stripe_api_key``),
``FLINT_API_KEY`` (``api_key``, the key `flint mcp` on stdio acts with),
``FLINT_RATE_LIMIT_PER_KEY`` / ``_PER_MERCHANT`` / ``_PER_CLIENT`` (``rate_limits``),
``FLINT_WEBHOOK_RETRY_DELAYS`` (``webhook_retry_delays``), ``FLINT_WEBHOOK_DISABLE_AFTER_SECONDS``
(``webhook_disable_after_seconds``), ``FLINT_IDEMPOTENCY_LEASE_SECONDS`` (``idempotency_lease_seconds``),
``FLINT_JOB_LEASE_SECONDS`` (``job_lease_seconds``), ``FLINT_JOB_MODULES`` (``job_modules``),
``FLINT_MCP_ALLOWED_HOSTS`` / ``FLINT_MCP_ALLOWED_ORIGINS`` (``mcp_allowed_hosts`` / ``mcp_allowed_origins``)
``FLINT_SMTP_URL`` (``smtp_server``), ``FLINT_EMAIL_FROM`` (``email_from``)
and ``FLINT_SIMULATOR_CRASH_AFTER_CALL`` (``simulator_crash_after_call``, a test hook). An unset or empty
variable leaves the default; a bad value is a ValueError naming the variable, so a command fails at start.

A leaf: it imports nothing that runs operations, so everything may read it.
"""

from __future__ import annotations

import base64
import math
import os
import pickle
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from email.utils import formataddr, getaddresses
from typing import Any
from urllib.parse import unquote, urlsplit

from flint_core.kernel import money
from flint_core.platform.rate_limits import Budget, RateLimits

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"  # where `flint serve` listens unless told otherwise


def normalize_public_url(value: str) -> str:
    """The public URL as ``scheme://host[:port]``, or ValueError saying what is wrong with it.

    No path: the hosted pages, the docs and the 3D Secure simulator link to each other with root-relative
    paths, so Flint must be served at the root of its origin. No query, fragment or credentials: every URL
    Flint returns starts with this value, so they would end up in every order and webhook payload."""
    text = value.strip()
    parts = urlsplit(text)
    problem = None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() or c == "\\" for c in text):
        problem = "must be an absolute http:// or https:// URL, e.g. https://pay.example.com"
    elif parts.username is not None or parts.password is not None:
        problem = "must not contain credentials"
    elif "?" in text or "#" in text:
        problem = "must not have a query or a fragment"
    elif parts.path not in ("", "/"):
        problem = "must not have a path: Flint serves its pages at the root of the origin"
    else:
        try:
            parts.port  # noqa: B018 (urlsplit checks the port only when asked)
        except ValueError:
            problem = "has an invalid port"
    if problem is not None:
        raise ValueError(f"public URL {value!r} {problem}")
    return f"{parts.scheme}://{parts.netloc}"


def parse_delays(text: str) -> tuple[float, ...]:
    """Webhook retry waits: ``"5,300,1800"`` -> (5.0, 300.0, 1800.0); each must be a number of seconds >= 0."""
    try:
        delays = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        delays = (-1.0,)
    if any(not 0 <= d < math.inf for d in delays):
        raise ValueError(f"webhook retry delays must be numbers of seconds >= 0, comma-separated, got {text!r}")
    return delays


def _seconds(*, zero: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (0 <= value < math.inf and (zero or value > 0)):
            raise ValueError(f"{text!r} is not a number of seconds {'>= 0' if zero else 'greater than 0'}")
        return value
    return parse


def _currency(text: str) -> str:
    try:
        return money.normalize_currency(text)
    except money.CurrencyError:
        raise ValueError(f"default currency {text!r} is not an ISO 4217 code") from None


def _names(text: str) -> tuple[str, ...]:
    """A comma-separated list: ``"a, b,"`` -> ("a", "b")."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _switch(text: str) -> bool:
    if text.strip() not in ("0", "1"):
        raise ValueError(f"{text!r} is not 1 (on) or 0 (off)")
    return text.strip() == "1"


def _text(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where email goes (``FLINT_SMTP_URL``; docs/notifications.md): ``smtp://host[:port]`` (no TLS; port 25
    unless given), ``smtp+starttls://`` (upgraded with STARTTLS before anything is sent; 587) or
    ``smtps://`` (TLS from the first byte; 465), each with an optional ``user:password@`` (percent-encoded)
    to log in with."""

    security: str  # "plain" | "starttls" | "tls"
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}

    @classmethod
    def parse(cls, value: str) -> SmtpServer:
        """The server a URL names, or ValueError saying what is wrong (never repeating its password)."""
        text = value.strip()
        parts = urlsplit(text)
        shown = text if parts.password is None else text.replace(f":{parts.password}@", ":***@", 1)
        problem = None
        if parts.scheme not in cls.SCHEMES or not parts.hostname or any(c.isspace() for c in text):
            problem = "must be smtp://host[:port], smtp+starttls://host[:port] or smtps://host[:port]"
        elif parts.path not in ("", "/") or "?" in text or "#" in text:
            problem = "must not have a path, a query or a fragment"
        elif _port_or_none(parts) is False:
            problem = "has an invalid port"
        elif (parts.username is None) != (parts.password is None):
            problem = "needs both a user and a password to log in (user:password@host), or neither"
        if problem is not None:
            raise ValueError(f"SMTP URL {shown!r} {problem}")
        security, default_port = cls.SCHEMES[parts.scheme]
        return cls(security=security, host=parts.hostname or "", port=parts.port or default_port,
                   username=unquote(parts.username) if parts.username is not None else None,
                   password=unquote(parts.password) if parts.password is not None else None)


def _port_or_none(parts: object) -> int | None | bool:
    """The URL's port, None when it has none, False when it is not a valid port."""
    try:
        return parts.port  # type: ignore[attr-defined, no-any-return]
    except ValueError:
        return False


DEFAULT_EMAIL_FROM = "receipts@flint.invalid"  # an address that reaches no one: set FLINT_EMAIL_FROM to send


def parse_email_from(value: str) -> str:
    """The From of every email: an address, optionally with a display name (``Acme <receipts@acme.com>``),
    normalized; ValueError when it is not one address."""
    text = value.strip()
    found = getaddresses([text])
    name, address = found[0] if len(found) == 1 else ("", "")
    if any(c in text for c in "\r\n") or not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+", address):
        raise ValueError(f"email From {value!r} is not one email address (e.g. receipts@example.com or "
                         "'Acme <receipts@example.com>')")
    return formataddr((name, address)) if name else address


# What each variable sets (a field of Settings, or one budget of ``rate_limits``) and how its text is read.
VARIABLES: dict[str, tuple[str, Callable[[str], Any]]] = {
    "database_url": ("FLINT_DATABASE_URL", _text),
    "public_url": ("FLINT_PUBLIC_URL", normalize_public_url),
    "default_currency": ("FLINT_DEFAULT_CURRENCY", _currency),
    "stripe_api_key": ("FLINT_STRIPE_API_KEY", _text),
    "api_key": ("FLINT_API_KEY", _text),
    "rate_limit_per_key": ("FLINT_RATE_LIMIT_PER_KEY", Budget.parse),
    "rate_limit_per_merchant": ("FLINT_RATE_LIMIT_PER_MERCHANT", Budget.parse),
    "rate_limit_per_client": ("FLINT_RATE_LIMIT_PER_CLIENT", Budget.parse),
    "webhook_retry_delays": ("FLINT_WEBHOOK_RETRY_DELAYS", parse_delays),
    "webhook_disable_after_seconds": ("FLINT_WEBHOOK_DISABLE_AFTER_SECONDS", _seconds(zero=True)),
    "idempotency_lease_seconds": ("FLINT_IDEMPOTENCY_LEASE_SECONDS", _seconds(zero=False)),
    "job_lease_seconds": ("FLINT_JOB_LEASE_SECONDS", _seconds(zero=False)),
    "job_modules": ("FLINT_JOB_MODULES", _names),
    "mcp_allowed_hosts": ("FLINT_MCP_ALLOWED_HOSTS", _names),
    "mcp_allowed_origins": ("FLINT_MCP_ALLOWED_ORIGINS", _names),
    "simulator_crash_after_call": ("FLINT_SIMULATOR_CRASH_AFTER_CALL", _switch),
    "smtp_server": ("FLINT_SMTP_URL", SmtpServer.parse),
    "email_from": ("FLINT_EMAIL_FROM", parse_email_from),
}
_BUDGETS = ("per_key", "per_merchant", "per_client")
# Not a setting: how `flint serve --workers N` hands the settings it made to its worker processes.
HANDOFF = "FLINT_SERVER_SETTINGS"


@dataclass(frozen=True, slots=True)
class Settings:
    """Server-wide switches, made once at start (:meth:`from_env` in the `flint` command)."""

    signup_enabled: bool = True
    default_currency: str = "USD"  # of an order whose request names no currency (docs/money.md)
    stripe_api_key: str | None = field(default=None, repr=False)  # live mode's processor; test mode: the simulator
    rate_limits: RateLimits = field(default_factory=RateLimits)  # request budgets (docs/rate-limits.md)
    # Webhook retries (seconds before each retry) and how long an endpoint may fail before it is disabled.
    # None: the defaults (docs/webhooks.md).
    webhook_retry_delays: tuple[float, ...] | None = None
    webhook_disable_after_seconds: float | None = None
    # The address buyers, emails and agents reach this server at. Every URL Flint returns (hosted checkout
    # pages, 3D Secure challenges, docs links in errors and search results) starts with it, because a bare
    # path is useless to whoever reads it outside this server: an email, an agent on stdio. Normalized (no
    # trailing slash) when the settings are made, so an invalid value fails at start, not in a response.
    public_url: str = DEFAULT_PUBLIC_URL
    # How long an idempotency claim without an answer holds its key before a dead process is assumed
    # (docs/idempotency.md; tests shorten it).
    idempotency_lease_seconds: float = 60.0
    job_lease_seconds: float = 60.0  # how long a claim holds a job (docs/jobs.md)
    job_modules: tuple[str, ...] = ()  # extra modules whose import registers job handlers (docs/jobs.md)
    # Host names and browser origins /mcp accepts besides 127.0.0.1, localhost and [::1] (docs/mcp.md).
    mcp_allowed_hosts: tuple[str, ...] = ()
    mcp_allowed_origins: tuple[str, ...] = ()
    # A test hook (crash-safety tests): the process SIGKILLs itself right after the simulator acted.
    simulator_crash_after_call: bool = False
    # Where buyers' emails go (receipts, refund confirmations) and who they come from (docs/notifications.md).
    # None: nothing is sent; every notification is still stored, SKIPPED.
    smtp_server: SmtpServer | None = None
    email_from: str = DEFAULT_EMAIL_FROM  # with no display name, the merchant's name is shown
    database_url: str | None = field(default=None, repr=False)  # None: store.db.DEFAULT_URL (./flint.db)
    api_key: str | None = field(default=None, repr=False)  # the key `flint mcp` on stdio acts with

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_url", normalize_public_url(self.public_url))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, *, defaults: Mapping[str, Any] | None = None,
                 **flags: Any) -> Settings:
        """The settings from the ``FLINT_*`` variables in ``environ``, read once and checked.

        ``flags`` are command-line values, by the names in :data:`VARIABLES` (``public_url="https://..."``,
        ``rate_limit_per_key="10:20"``) or of any other field (``signup_enabled=False``); None (or an empty
        string) means not given. A flag wins over the environment; text is checked like the variable's, and
        other values are used as they are. ``defaults`` are field values for what neither gives (`flint
        serve`: the listen address as the public URL). A bad value is a ValueError naming where it came from:
        ``default currency 'xx' is not an ISO 4217 code (from $FLINT_DEFAULT_CURRENCY)``."""
        values: dict[str, Any] = dict(defaults or {})
        for name, (variable, parse) in VARIABLES.items():
            flag = flags.pop(name, None)
            if flag is not None and not isinstance(flag, str):
                values[name] = flag
                continue
            if flag is not None and flag.strip():
                text, source = flag, f"--{name.replace('_', '-')}"
            else:
                text, source = environ.get(variable, ""), f"${variable}"
            if not text.strip():
                continue
            try:
                values[name] = parse(text)
            except ValueError as exc:
                raise ValueError(f"{exc} (from {source})") from None
        budgets = {budget: values.pop(f"rate_limit_{budget}") for budget in _BUDGETS
                   if f"rate_limit_{budget}" in values}
        if budgets:
            values["rate_limits"] = replace(values.get("rate_limits", RateLimits()), **budgets)
        values.update((name, value) for name, value in flags.items() if value is not None)
        return cls(**values)

    def handoff(self) -> str:
        """These settings as text for a process this one starts (`flint serve --workers N`): the value of
        :data:`HANDOFF` in its environment, read back by :meth:`from_handoff`. Text from the parent process,
        never from a user."""
        return base64.b64encode(pickle.dumps(self)).decode()

    @classmethod
    def from_handoff(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        settings = pickle.loads(base64.b64decode(environ[HANDOFF]))  # noqa: S301 (our own parent wrote it)
        assert isinstance(settings, cls)
        return settings

    def absolute_url(self, url: str) -> str:
        """A path on this server as the URL to hand out; a URL that is already absolute (Stripe's 3D Secure
        page, a merchant's success_url) is returned as is."""
        return self.public_url + url if url.startswith("/") and not url.startswith("//") else url


