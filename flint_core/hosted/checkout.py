"""What the hosted checkout page does, without HTML: load a session, pay it, come back from 3D Secure.

The page has no API key: it acts for the merchant who opened the session and pays through the very same
``pay_order`` and ``confirm_payment`` handlers as the API (face ``hosted``, actor ``system``), so there is
one payment path. Card numbers go straight to ``pay_order``, which tokenizes them; nothing here keeps them.
``flint_http.checkout_pages`` renders a ``CheckoutPage`` and follows its ``redirect``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from flint_core.checkout.lifecycle import CheckoutSessionStatus
from flint_core.checkout.service import record_status, success_redirect
from flint_core.checkout.status import current_status
from flint_core.checkout.views import session_out
from flint_core.kernel.errors import FlintError
from flint_core.kernel.money import Money
from flint_core.kernel.text import has_control_character
from flint_core.orders.announce import as_json
from flint_core.orders.service import balances, in_flight, lock_order
from flint_core.orders.views import checkout_url
from flint_core.payment_methods.lifecycle import PaymentMethodStatus
from flint_core.payments.lifecycle import PaymentStatus
from flint_core.payments.views import PaymentIntentOut
from flint_core.platform.context import Context, system_context, utcnow
from flint_core.platform.runtime import run_as_system
from flint_core.platform.settings import Settings
from flint_core.processors.cards import CARD_LIKE
from flint_core.store.db import Database
from flint_core.store.tables import LIVE, CheckoutSession, Customer, Merchant, Order, PaymentIntent, PaymentMethod

_EXPIRY = re.compile(r"^(\d{1,2})\s*/\s*(\d{2}|\d{4})$")


@dataclass(frozen=True)
class PageLine:
    name: str
    quantity: int
    unit_price: str
    total: str  # unit price x quantity, before discounts and tax (those are order-level rows)


@dataclass(frozen=True)
class CheckoutPage:
    """Everything the page shows, formatted; ``redirect`` set means: send the buyer there (303)."""

    checkout_session_id: str
    status: str  # OPEN | COMPLETE | EXPIRED | CANCELED
    merchant_name: str
    test_mode: bool
    lines: list[PageLine]
    amounts: list[tuple[str, str]]  # (label, formatted amount) rows between the lines and the total
    total: str
    amount_due: str
    buyer_email: str | None
    cancel_url: str | None
    expires_at: datetime
    # OPEN only: "authenticate" (the page's payment awaits 3D Secure at authenticate_url), "retry" (the
    # processor did not answer; pressing Pay again resumes the same payment), "busy" (a payment started
    # elsewhere is in flight), or None (the card form)
    pending: str | None = None
    authenticate_url: str | None = None
    message: str | None = None  # what happened to the buyer's last attempt, in words for the buyer
    outcome: str = "shown"  # shown | declined | invalid | unavailable | busy
    redirect: str | None = None
    continue_url: str | None = None  # COMPLETE: success_url, with the session id
    receipt: dict[str, str] = field(default_factory=dict)  # COMPLETE: what was paid, with which card
    # OPEN: the order's customer's saved cards, (payment_method_id, "Visa ending in 3184"), default first:
    # paying with one here is also how a customer authenticates a card an off-session charge could not use
    saved_cards: list[tuple[str, str]] = field(default_factory=list)
    can_save_card: bool = False  # OPEN: the form may offer to save the typed card for the order's customer


def _authenticate_url(cs: CheckoutSession, pi: PaymentIntent) -> str | None:
    """The 3D Secure page, told to send the buyer back to this checkout (Flint's own pages only)."""
    url = (pi.next_action or {}).get("url")
    if not url or not url.startswith("/"):
        return url
    back = f"{checkout_url(cs.checkout_session_id)}/return"
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'return_url': back})}"


def check_form(payment_source: str, buyer_email: str, expiry: str, cvc: str, now: datetime) -> str | None:
    """The form's own checks, in words for the buyer; None when it may go to pay_order. Expiry and CVC
    are checked and dropped (the simulator and tokens do not need them); tokens (`tok_visa`) need neither."""
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", buyer_email.strip()) or len(buyer_email) > 320:
        return "Enter a valid email address for your receipt."
    if not payment_source.strip():
        return "Enter your card number."
    if not CARD_LIKE.match(payment_source.strip()):
        return None if len(payment_source) <= 64 else "That is not a valid card number."
    match = _EXPIRY.match(expiry.strip())
    if match is None or not 1 <= int(match[1]) <= 12:
        return "Enter the card's expiry date as MM / YY."
    if (int(match[2]) % 100 + 2000, int(match[1])) < (now.year, now.month):
        return "Your card's expiry date is in the past."
    if not re.fullmatch(r"\d{3,4}", cvc.strip()):
        return "Enter the 3 or 4 digit security code (CVC) from your card."
    return None


def _buyer_message(error: FlintError) -> str:
    """An error from the payment operation, said to the buyer (never echoing what they typed)."""
    if error.spec.type == "processor_error":
        return "We could not reach the card processor. Press Pay again: you will not be charged twice."
    if error.code == "insufficient_inventory":
        return "Sorry, part of this order is no longer in stock. Nothing was charged."
    if error.param == "payment_source":
        return ("Card numbers cannot be entered on this page in live mode." if error.code == "card_number_not_allowed"
                else "That is not a valid card number.")
    return error.message


def _decline_message(failure: dict[str, object]) -> str:
    if failure.get("code") == "authentication_failed":
        return "Your bank did not confirm this payment (3D Secure failed). Please try again or use a different card."
    advice = {"transient": "Please try again.", "hard_decline": "Please use a different card."}.get(
        str(failure.get("category")), "Please check the details or use a different card.")
    return f"{failure.get('message')} {advice}"


def _lock(session: Session, checkout_session_id: str) -> tuple[CheckoutSession, Order] | None:
    """The session and its order, re-read under row locks (payment handlers commit in between). The
    order is locked first, as pay_order and confirm_payment lock it before anything of ours: one lock
    order everywhere, so concurrent submits queue instead of deadlocking."""
    if has_control_character(checkout_session_id):
        return None  # names nothing (and PostgreSQL cannot even compare a NUL)
    order_id = session.scalar(select(CheckoutSession.order_id)
                              .where(CheckoutSession.checkout_session_id == checkout_session_id))
    if order_id is None:
        return None
    order = lock_order(session, order_id)
    cs = session.get(CheckoutSession, checkout_session_id, with_for_update=True, populate_existing=True)
    assert order is not None and cs is not None
    return cs, order


def _page(session: Session, cs: CheckoutSession, order: Order, now: datetime, *, status: str | None = None,
          submitted: bool = False, payment: PaymentIntentOut | None = None, error: FlintError | None = None,
          problem: str | None = None, authenticate_now: bool = False) -> CheckoutPage:
    """The page for the session as it is now. ``submitted``: the buyer just acted (paid, or came back
    from 3D Secure), so a COMPLETE session sends them on to success_url; ``payment``/``error``/``problem``
    is what their attempt produced; ``authenticate_now`` sends them to a 3D Secure step it just started."""
    status = status or current_status(session, cs, order, now)
    merchant = session.get(Merchant, cs.merchant_id)

    def fmt(amount: int) -> str:
        return Money(amount, order.currency).format()

    amounts = [("Subtotal", fmt(order.subtotal_amount))]
    if order.discount_amount:
        codes = ", ".join(c.code for c in order.coupons)
        amounts.append((f"Discount ({codes})" if codes else "Discount", fmt(-order.discount_amount)))
    amounts += [(sc.name, fmt(sc.applied_amount)) for sc in order.service_charges]
    amounts.append(("Tax", fmt(order.tax_amount - order.inclusive_tax_amount)))
    if order.inclusive_tax_amount:
        amounts.append(("Tax included in prices", fmt(order.inclusive_tax_amount)))
    if order.tip_amount:
        amounts.append(("Tip", fmt(order.tip_amount)))
    own = session.get(PaymentIntent, cs.payment_intent_id) if cs.payment_intent_id else None
    page = dict(checkout_session_id=cs.checkout_session_id, status=status,
                merchant_name=merchant.name if merchant else "", test_mode=cs.env_id != LIVE,
                lines=[PageLine(li.name, li.quantity, fmt(li.unit_price), fmt(li.gross_amount))
                       for li in order.line_items],
                amounts=amounts, total=fmt(order.total_amount), amount_due=fmt(balances(order).outstanding),
                buyer_email=order.buyer_email, cancel_url=cs.cancel_url, expires_at=cs.expires_at)
    if status == CheckoutSessionStatus.COMPLETE:
        held = own is not None and own.status == PaymentStatus.REQUIRES_CAPTURE
        receipt = {"amount": fmt(own.amount if own else order.total_amount), "order_id": order.order_id,
                   "state": "authorized" if held else "received"}
        method = own.payment_method if own is not None else {}
        if method.get("last4"):
            receipt["card"] = f"{(method.get('brand') or 'card').title()} ending in {method['last4']}"
        success = success_redirect(cs)
        return CheckoutPage(**page, receipt=receipt, continue_url=success, redirect=success if submitted else None)
    if status != CheckoutSessionStatus.OPEN:
        return CheckoutPage(**page)
    pending = in_flight(order)
    if pending is not None and (own is None or pending.payment_intent_id != own.payment_intent_id):
        return CheckoutPage(**page, pending="busy", outcome="busy" if submitted else "shown",
                            message="A payment for this order is already in progress. Refresh this page in a "
                                    "moment to see how it ended.")
    if own is not None and own.status == PaymentStatus.REQUIRES_ACTION:
        url = _authenticate_url(cs, own)
        message = ("Your bank needs you to confirm this payment before it goes through." if not submitted else
                   "Your bank has not confirmed this payment yet." if error is None else
                   "We could not reach the card processor to finish this payment. Confirm again: you will not be "
                   "charged twice.")
        return CheckoutPage(**page, pending="authenticate", authenticate_url=url, message=message,
                            redirect=url if authenticate_now else None)
    retry = "retry" if own is not None and own.status == PaymentStatus.PROCESSING else None
    page["saved_cards"] = _saved_cards(session, order)
    page["can_save_card"] = _can_save_card(cs, order)
    if error is not None:
        unavailable = error.spec.type == "processor_error"
        return CheckoutPage(**page, pending=retry, outcome="unavailable" if unavailable else "invalid",
                            message=_buyer_message(error))
    if problem is not None:
        return CheckoutPage(**page, pending=retry, outcome="invalid", message=problem)
    if retry:
        return CheckoutPage(**page, pending=retry, message="Your last payment attempt did not finish. Press Pay "
                                                           "again to complete it: you will not be charged twice.")
    if payment is not None and payment.status == PaymentStatus.FAILED and payment.failure:
        return CheckoutPage(**page, outcome="declined", message=_decline_message(payment.failure))
    return CheckoutPage(**page)


def _can_save_card(cs: CheckoutSession, order: Order) -> bool:
    """A typed card can be saved for the order's customer (test mode for now: live payments are not yet
    made for a Stripe customer, docs/saved-cards.md)."""
    return order.customer_id is not None and cs.env_id != LIVE


def _saved_cards(session: Session, order: Order) -> list[tuple[str, str]]:
    """The order's customer's ACTIVE saved cards, the default first: (payment_method_id, label)."""
    if order.customer_id is None:
        return []
    default = session.scalar(select(Customer.default_payment_method_id).where(Customer.customer_id == order.customer_id))
    cards = session.execute(select(PaymentMethod.payment_method_id, PaymentMethod.brand, PaymentMethod.last4).where(
        PaymentMethod.customer_id == order.customer_id, PaymentMethod.status == PaymentMethodStatus.ACTIVE)
        .order_by(PaymentMethod.payment_method_id.desc())).all()
    cards.sort(key=lambda card: card.payment_method_id != default)
    return [(card.payment_method_id, f"{card.brand.title()} ending in {card.last4}") for card in cards]


def load_page(db: Database, checkout_session_id: str) -> CheckoutPage | None:
    """GET /checkout/{id}: read only (a session past its expiry shows EXPIRED before the job writes it)."""
    if has_control_character(checkout_session_id):
        return None
    with db.transaction(write=False) as session:
        cs = session.get(CheckoutSession, checkout_session_id)
        order = session.get(Order, cs.order_id) if cs is not None and cs.order_id else None
        return None if cs is None or order is None else _page(session, cs, order, utcnow())


def pay_checkout_session(db: Database, checkout_session_id: str, *, payment_source: str, buyer_email: str,
                         expiry: str = "", cvc: str = "", payment_method_id: str = "", save_card: bool = False,
                         settings: Settings = Settings(), request_id: str | None = None) -> CheckoutPage | None:
    """The buyer pressed Pay: run pay_order for the session's order with the buyer's card (or one of the
    customer's saved cards, ``payment_method_id``: with the customer present, so its bank may ask for 3D
    Secure), then mark the session COMPLETE if the money was collected. This page's own payment still in
    flight (after a processor timeout) is resumed with the card it started with, never started twice."""
    with db.session() as session:
        found = _lock(session, checkout_session_id)
        if found is None:
            return None
        cs, order = found
        ctx = _page_context(db, session, cs, "pay_order", settings,
                             request_id=request_id)
        status = record_status(ctx, cs, order)
        pending = in_flight(order)
        problem = None
        source: dict[str, object] = {"payment_source": payment_source}
        if pending is not None and pending.payment_intent_id == cs.payment_intent_id:
            source = {"payment_source": pending.payment_method["token"]}  # resume it, with its own card
        elif pending is None and payment_method_id:
            source = {"payment_method_id": payment_method_id}
            if payment_method_id not in dict(_saved_cards(session, order)):
                problem = "Choose one of your saved cards, or enter a card."
        elif pending is None:
            problem = check_form(payment_source, buyer_email, expiry, cvc, ctx.now)
            if save_card and _can_save_card(cs, order):  # the buyer ticked "save this card"
                source["save_payment_method"] = True
        if status != CheckoutSessionStatus.OPEN or problem is not None or (
                pending is not None and pending.payment_intent_id != cs.payment_intent_id):
            session.commit()
            return _page(session, cs, order, ctx.now, status=status, submitted=True, problem=problem)
        shown = as_json(session_out(ctx, cs, order))  # before paying: the completed event's previous_attributes
        before = set(session.scalars(select(PaymentIntent.payment_intent_id)
                                     .where(PaymentIntent.order_id == order.order_id)))
        payment, error = _pay(ctx, {"order_id": order.order_id, **source, "capture_method": cs.capture_method,
                                    "buyer_email": buyer_email.strip() or None})
        found = _lock(session, checkout_session_id)
        assert found is not None
        cs, order = found
        started = sorted(set(session.scalars(select(PaymentIntent.payment_intent_id)
                                             .where(PaymentIntent.order_id == order.order_id))) - before)
        if started:
            cs.payment_intent_id, cs.updated_at = started[-1], ctx.now
        status = record_status(ctx, cs, order, shown)
        session.commit()
        return _page(session, cs, order, ctx.now, status=status, submitted=True, payment=payment, error=error,
                     authenticate_now=True)


def return_from_authentication(db: Database, checkout_session_id: str, *, settings: Settings = Settings(),
                               request_id: str | None = None) -> CheckoutPage | None:
    """The buyer is back from 3D Secure: confirm_payment the page's payment and settle the session."""
    with db.session() as session:
        found = _lock(session, checkout_session_id)
        if found is None:
            return None
        cs, order = found
        ctx = _page_context(db, session, cs, "confirm_payment", settings,
                             request_id=request_id)
        own = session.get(PaymentIntent, cs.payment_intent_id) if cs.payment_intent_id else None
        payment = error = shown = None
        if cs.status == CheckoutSessionStatus.OPEN and own is not None and own.status == PaymentStatus.REQUIRES_ACTION:
            shown = as_json(session_out(ctx, cs, order))
            payment, error = _pay(ctx, {"payment_intent_id": own.payment_intent_id})
            found = _lock(session, checkout_session_id)
            assert found is not None
            cs, order = found
        status = record_status(ctx, cs, order, shown)
        session.commit()
        return _page(session, cs, order, ctx.now, status=status, submitted=True, payment=payment, error=error)


def _page_context(db: Database, session: Session, cs: CheckoutSession, operation: str, settings: Settings,
                  request_id: str | None) -> Context:
    """Act for the merchant who opened the session (actor ``system``, face ``hosted``): the page's buyer has
    no key, and the session itself is the merchant's authorization to collect this order's balance."""
    return system_context(session, cs.merchant_id, cs.env_id, operation=operation, settings=settings, face="hosted",
                          request_id=request_id, db=db)


def _pay(ctx: Context, arguments: dict[str, object]) -> tuple[PaymentIntentOut | None, FlintError | None]:
    """Run the context's payment operation (pay_order or confirm_payment): its payment, or the error."""
    result, error = run_as_system(ctx, arguments)
    assert result is None or isinstance(result, PaymentIntentOut)
    return result, error


def page_scope(db: Database, checkout_session_id: str) -> tuple[tuple[str, str] | None, set[str]]:
    """The merchant scope of a checkout session, and the ids its page touches (session, order, payment; in
    SETUP mode customer and setup intent)."""
    if has_control_character(checkout_session_id):
        return None, set()
    with db.transaction(write=False) as session:
        cs = session.get(CheckoutSession, checkout_session_id)
        if cs is None:
            return None, set()
        touched = {cs.checkout_session_id, cs.order_id, cs.payment_intent_id, cs.customer_id, cs.setup_intent_id}
        return (cs.merchant_id, cs.env_id), {touched_id for touched_id in touched if touched_id}
