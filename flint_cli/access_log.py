"""The server's access log, redacted like request logs: a key sent in a query string (`?api_key=sk_test_...`,
answered 400) or a card number in a path must never reach stdout."""

from __future__ import annotations

import logging

from flint_core import request_logs

ACCESS_LOGGER = "uvicorn.access"
_PATH_ARG = 2  # uvicorn logs (client, method, path with query string, HTTP version, status)


class RedactedAccessLog(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARG and isinstance(args[_PATH_ARG], str):
            record.args = (*args[:_PATH_ARG], request_logs.redact_url(args[_PATH_ARG]), *args[_PATH_ARG + 1:])
        return True


def redact_access_log() -> None:
    """Filter the access logger (uvicorn's logging setup adds handlers and leaves logger filters alone)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactedAccessLog) for f in logger.filters):
        logger.addFilter(RedactedAccessLog())
