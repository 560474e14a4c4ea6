"""The refund settlement job: a refund left PENDING (the processor answered "pending", or the call failed
or never returned) is asked about again with its own processor key, at a slowing pace, until it settles.
create_refund queues it in the transaction that reserves the refund (guide: docs/jobs.md)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from flint_core.platform import queue
from flint_core.platform.context import processor_of, system_context, utcnow
from flint_core.processors.base import ProcessorError
from flint_core.refunds.lifecycle import RefundStatus
from flint_core.refunds.settlement import record_result
from flint_core.store.tables import PaymentIntent, Refund

log = logging.getLogger("flint.jobs")

SETTLE_REFUND = "settle_refund"


def schedule_refund_settlement(session: Session, refund_id: str, now: datetime) -> None:
    """Queue the settlement of a PENDING refund (in the transaction that reserved it)."""
    queue.enqueue(session, SETTLE_REFUND, {"refund_id": refund_id}, run_at=now + queue.FIRST_POLL,
                  dedupe_key=f"{SETTLE_REFUND}:{refund_id}")


def cancel_refund_settlement(session: Session, refund_id: str) -> None:
    """The refund settled in the request itself: its job has nothing left to do."""
    queue.cancel(session, f"{SETTLE_REFUND}:{refund_id}")


@queue.handler(SETTLE_REFUND)
def settle_refund(claim: queue.Claim) -> None:
    """Ask the processor about one PENDING refund and record the answer; ask again later while it is
    still pending or the processor cannot be reached (that never makes the job DEAD: the refund's
    money stays reserved until it settles)."""
    db, refund_id, now = claim.db, claim.payload["refund_id"], max(claim.now, utcnow())  # tests move claim.now
    with db.transaction(write=False) as session:
        row = session.execute(select(Refund.status, Refund.merchant_id, Refund.env_id, Refund.amount,
                                     Refund.created_at, Refund.processor_reference, PaymentIntent.processor_reference)
                              .join(PaymentIntent, PaymentIntent.payment_intent_id == Refund.payment_intent_id)
                              .where(Refund.refund_id == refund_id)).one_or_none()
    if row is None or row[0] != RefundStatus.PENDING:
        with db.transaction() as session:
            claim.finish(session)
        return
    _, merchant_id, env_id, amount, created_at, refund_ref, charge_ref = row
    again = now + queue.poll_delay(now - created_at)
    processor = processor_of(db, env_id, claim.settings)
    try:  # outside any transaction: the processor may be slow
        result = (processor.refund_status(reference=refund_ref) if refund_ref else
                  processor.refund(key=f"{refund_id}:refund", reference=charge_ref or "", amount=amount))
    except ProcessorError as exc:
        log.warning("refund %s: processor unavailable (%s); asking again at %s", refund_id, exc, again)
        with db.transaction() as session:
            claim.retry_at(session, again, error=f"ProcessorError: {exc}"[:2000], reset_attempts=True)
        return
    with db.transaction() as session:
        ctx = system_context(session, merchant_id, env_id, operation="create_refund", settings=claim.settings, now=now,
                             db=db)
        refund = record_result(ctx, refund_id, result)
        if refund.status == RefundStatus.PENDING:
            claim.retry_at(session, again, reset_attempts=True)
        else:
            claim.finish(session)
