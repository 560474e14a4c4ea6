"""What an endpoint may be given, as pure checks: its URL (``check_url``: live mode is stricter) and the event
types it subscribes to (``check_events``: known types, or ``ALL_EVENTS`` alone)."""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Collection
from urllib.parse import urlsplit

from flint_core.kernel.errors import FlintError

ALL_EVENTS = "*"


def check_url(url: str, *, live: bool) -> str:
    """http(s) with a host; live mode needs https and a public host (test mode may use http://127.0.0.1)."""
    def bad(detail: str) -> FlintError:
        return FlintError("parameter_invalid", param="url", detail=detail)

    url = url.strip()
    if any(c.isspace() for c in url):
        raise bad("must not contain spaces")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError as exc:
        raise bad(f"not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise bad("must be an absolute https:// URL" + ("" if live else " (or http:// in test mode)"))
    if parts.fragment:
        raise bad("must not have a #fragment")
    if live:
        if parts.scheme.lower() != "https":
            raise bad("live mode delivers only to https:// URLs")
        if _private_host(host):
            raise bad(f"live mode cannot deliver to {host}, a local or private address")
    return url


def _private_host(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def check_events(enabled_events: list[str], known: Collection[str]) -> list[str]:
    """Known event types (deduplicated, in the given order), or exactly ["*"]."""
    if ALL_EVENTS in enabled_events:
        if len(set(enabled_events)) > 1:
            raise FlintError("parameter_invalid", param="enabled_events",
                             detail='"*" already means every type; pass ["*"] alone')
        return [ALL_EVENTS]
    for name in enabled_events:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else " See /docs/events for every type."
            raise FlintError("unknown_event_type", param="enabled_events", value=name, hint=hint)
    return list(dict.fromkeys(enabled_events))
