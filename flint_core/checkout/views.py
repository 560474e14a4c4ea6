"""The checkout session as every face returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from flint_core.checkout.lifecycle import CHECKOUT_SESSION, CheckoutSessionStatus
from flint_core.checkout.status import current_status
from flint_core.orders.service import balances
from flint_core.orders.views import checkout_url
from flint_core.platform.context import Context
from flint_core.platform.schema import MoneyOut, Resource
from flint_core.store.tables import CheckoutSession, Order, SetupIntent


class CheckoutSessionOut(Resource):
    object: Literal["checkout_session"] = Field("checkout_session", description="Always `checkout_session`.")
    checkout_session_id: str = Field(description="Id, `cs_...`.")
    mode: str = Field(description="PAYMENT (collects an order's balance) or SETUP (saves a customer's card).")
    order_id: str | None = Field(description="PAYMENT: the order the page collects payment for. SETUP: null.")
    customer_id: str | None = Field(description="The customer: SETUP's, whose card is saved; PAYMENT: the "
                                                "order's, if any.")
    setup_intent_id: str | None = Field(description="SETUP: the setup intent saving the card now (a declined "
                                                    "card gets a new one).")
    payment_method_id: str | None = Field(description="SETUP: the saved card, `pm_...`, once COMPLETE.")
    status: str = Field(description="OPEN (takes payment, or a card), COMPLETE (paid, or card saved, through it), "
                                    "EXPIRED, or CANCELED (its order was canceled or paid another way; SETUP: its "
                                    "setup intent was canceled).")
    checkout_session_url: str | None = Field(description="The page to send the buyer to while OPEN: an absolute "
                                             "URL on the server's public URL (`https://<server>/checkout/cs_...`), "
                                             "ready for a link or an email. Null once the session is no longer "
                                             "OPEN.")
    success_url: str = Field(description="Where the buyer goes after paying (absolute: a path given at creation "
                                         "is returned on the server's public URL).")
    cancel_url: str | None = Field(description="Where the page's cancel link goes, if any (absolute, like "
                                               "success_url).")
    capture_method: str | None = Field(description="AUTOMATIC or MANUAL, passed to pay_order (SETUP: null).")
    amount_due_money: MoneyOut | None = Field(description="What the buyer is asked to pay: the order's "
                                                          "outstanding balance now (SETUP: null).")
    order_status: str | None = Field(description="The order's status now; PAID (or AUTHORIZED) after a payment "
                                                 "(SETUP: null).")
    payment_intent_id: str | None = Field(description="The last payment the page started, `pi_...`.")
    expires_at: datetime = Field(description="When the page stops taking payments.")
    available_actions: list[str] = Field(description="Operations legal on this session now, for the calling key.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")
    metadata: dict[str, str] = Field(description="Your key-value pairs.")


def session_out(ctx: Context, cs: CheckoutSession, order: Order | None) -> CheckoutSessionOut:
    """The session (``order``: a PAYMENT session's order; None in SETUP mode)."""
    status = current_status(ctx.session, cs, order, ctx.now)
    url = ctx.settings.absolute_url  # a path on this server (the default success_url) is handed out absolute
    if order is None:
        seti = ctx.session.get(SetupIntent, cs.setup_intent_id)
        assert seti is not None
        collects: dict[str, Any] = dict(customer_id=cs.customer_id, setup_intent_id=cs.setup_intent_id,
                                        payment_method_id=seti.payment_method_id, capture_method=None,
                                        amount_due_money=None, order_status=None)
    else:
        collects = dict(customer_id=order.customer_id, setup_intent_id=None, payment_method_id=None,
                        capture_method=cs.capture_method, order_status=order.status,
                        amount_due_money=MoneyOut.of(balances(order).outstanding, order.currency))
    return CheckoutSessionOut(
        checkout_session_id=cs.checkout_session_id, mode=cs.mode, order_id=cs.order_id, status=status,
        checkout_session_url=(url(checkout_url(cs.checkout_session_id)) if status == CheckoutSessionStatus.OPEN
                              else None),
        success_url=url(cs.success_url), cancel_url=url(cs.cancel_url) if cs.cancel_url else None,
        payment_intent_id=cs.payment_intent_id, expires_at=cs.expires_at,
        available_actions=CHECKOUT_SESSION.actions_for(status, ctx.can), created_at=cs.created_at,
        updated_at=cs.updated_at, metadata=cs.metadata_, **collects)
