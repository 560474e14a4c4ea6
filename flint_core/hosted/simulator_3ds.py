"""What the simulated 3D Secure page does, without HTML: the buyer passes or fails the authentication of a
simulated charge (test mode; Stripe hosts its own page in live mode). The merchant's integration then
calls confirm_payment, or the checkout page does it for the buyer on their way back."""

from __future__ import annotations

from sqlalchemy import select

from flint_core.kernel.text import has_control_character
from flint_core.processors import simulator
from flint_core.store.db import Database
from flint_core.store.tables import PaymentIntent, SetupIntent


def answer(db: Database, reference: str, *, passed: bool) -> bool:
    """Record the buyer's answer; False when no charge or card setup with this reference awaits one."""
    return simulator.authenticate(db, reference, passed=passed)


def page_scope(db: Database, reference: str) -> tuple[tuple[str, str] | None, set[str]]:
    """The merchant scope of a simulated charge or card setup (the 3D Secure page), via its payment intent
    (and order) or its setup intent (and customer)."""
    if has_control_character(reference):
        return None, set()
    with db.transaction(write=False) as session:
        found = session.execute(select(PaymentIntent.merchant_id, PaymentIntent.env_id, PaymentIntent.payment_intent_id,
                                       PaymentIntent.order_id)
                                .where(PaymentIntent.processor_reference == reference).limit(1)).first()
        if found is None:
            found = session.execute(select(SetupIntent.merchant_id, SetupIntent.env_id, SetupIntent.setup_intent_id,
                                           SetupIntent.customer_id)
                                    .where(SetupIntent.processor_reference == reference).limit(1)).first()
    if found is None:
        return None, set()
    merchant_id, env_id, intent_id, owner_id = found
    return (merchant_id, env_id), {intent_id, owner_id}
