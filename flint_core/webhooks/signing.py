"""Standard Webhooks signatures (https://www.standardwebhooks.com): secrets, signing, request headers.

A secret is ``whsec_`` + base64 of random bytes; the HMAC key is the decoded bytes. The signed content is
``"{webhook-id}.{webhook-timestamp}.{body}"`` and ``webhook-signature`` carries ``v1,<base64 HMAC-SHA256>``,
one per valid secret, space-separated (both during a rotation's grace period), so any Standard Webhooks
verifier accepts a delivery signed with either secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"
SECRET_BYTES = 32  # the spec allows 24 to 64
USER_AGENT = "Flint-Webhooks/1"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def key_of(secret: str) -> bytes:
    raw = secret[len(PREFIX):] if secret.startswith(PREFIX) else secret
    return base64.b64decode(raw)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of ``body`` for this message id and unix timestamp."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one delivery attempt, signed with every secret given (current first)."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_),
    }
