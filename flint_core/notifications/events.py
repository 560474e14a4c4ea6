"""The event types about notifications: declared in the outbox's catalog when the domain is imported;
docs/events.md documents each."""

from __future__ import annotations

from functools import partial

from flint_core.platform import outbox

define = partial(outbox.define_event, domain="notifications")

define("notification.sent", "notification", "An email to a buyer was accepted by the SMTP server (the mail job). "
       "`smtp_reply` holds the server's answer. After a worker crash the buyer may get it twice, under the same "
       "Message-ID.", "`status` (was `QUEUED`), `attempts`, `last_attempt_at`, `smtp_reply`, `sent_at`, "
       "`updated_at`, and `next_attempt_at` when it had been retried")
define("notification.failed", "notification", "An email to a buyer could not be delivered. The SMTP server refused "
       "it for good (a 5xx answer), or every retry failed; `smtp_reply` says why.",
       "`status` (was `QUEUED`), `attempts`, `last_attempt_at`, `smtp_reply`, `updated_at`, and "
       "`next_attempt_at` when it had been retried")
