"""Server-wide settings: what `flint serve`, `flint worker` and `flint mcp` were told at start.

A leaf: it imports nothing that runs operations, so everything may read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flint_core.platform.rate_limits import RateLimits

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


@dataclass(frozen=True, slots=True)
class Settings:
    """Server-wide switches (set by `flint serve`)."""

    signup_enabled: bool = True
    default_currency: str = "USD"  # of an order whose request names no currency (docs/money.md)
    stripe_api_key: str | None = None  # live-mode processor; test mode always uses the simulator
    rate_limits: RateLimits = field(default_factory=RateLimits)  # request budgets (docs/rate-limits.md)
    # Webhook retries (seconds before each retry) and how long an endpoint may fail before it is disabled.
    # None: $FLINT_WEBHOOK_RETRY_DELAYS / $FLINT_WEBHOOK_DISABLE_AFTER_SECONDS, else the defaults (docs/webhooks.md).
    webhook_retry_delays: tuple[float, ...] | None = None
    webhook_disable_after_seconds: float | None = None
    # The address buyers, emails and agents reach this server at. Every URL Flint returns (hosted checkout
    # pages, 3D Secure challenges, docs links in errors and search results) starts with it, because a bare
    # path is useless to whoever reads it outside this server: an email, an agent on stdio. Normalized (no
    # trailing slash) when the settings are made, so an invalid value fails at start, not in a response.
    public_url: str = DEFAULT_PUBLIC_URL

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_url", normalize_public_url(self.public_url))

    def absolute_url(self, url: str) -> str:
        """A path on this server as the URL to hand out; a URL that is already absolute (Stripe's 3D Secure
        page, a merchant's success_url) is returned as is."""
        return self.public_url + url if url.startswith("/") and not url.startswith("//") else url


