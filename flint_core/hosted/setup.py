"""What the hosted card-saving page (``/setup/{setup_intent_id}``) does, without HTML: a customer enters
the card a setup intent created without one saves (``create_setup_intent`` with no payment_source), with
3D Secure when the card asks. The card goes straight to the same tokenizing and saving steps as the API;
nothing here keeps it. A setup intent is saved once: a declined card ends it (the store makes a new one)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from flint_core.kernel.errors import FlintError
from flint_core.kernel.text import has_control_character
from flint_core.payment_methods import service
from flint_core.payment_methods.lifecycle import SetupIntentStatus
from flint_core.platform.context import Context, system_context
from flint_core.platform.runtime import run_as_system
from flint_core.platform.settings import Settings
from flint_core.processors.cards import CARD_LIKE, tokenize
from flint_core.store.db import Database
from flint_core.store.tables import LIVE, Customer, Merchant, SetupIntent


@dataclass
class SetupPage:
    setup_intent_id: str
    status: str  # the setup intent's: REQUIRES_ACTION shows the form (or the 3D Secure step), the rest say how it ended
    merchant_name: str
    customer_name: str | None
    test_mode: bool
    card: str | None = None  # "Visa ending in 4242", once saved
    message: str | None = None
    outcome: str = "shown"  # shown | declined | invalid | unavailable
    redirect: str | None = None  # the 3D Secure page, once the card asked for it
    authenticate_url: str | None = None


def page_url(setup_intent_id: str) -> str:
    return service.setup_page(setup_intent_id)


def _authenticate_url(seti: SetupIntent) -> str | None:
    """The 3D Secure step of a card already submitted, told to come back to this page (Flint's own
    simulator page; Stripe's page is absolute and comes back by itself)."""
    if seti.status != SetupIntentStatus.REQUIRES_ACTION or service.collecting(seti):
        return None
    url = (seti.next_action or {}).get("url")
    if not url or not url.startswith("/"):
        return url
    back = page_url(seti.setup_intent_id) + "/return"
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'return_url': back})}"


def _page(session: Session, seti: SetupIntent, *, message: str | None = None, outcome: str = "shown") -> SetupPage:
    merchant = session.get(Merchant, seti.merchant_id)
    customer = session.get(Customer, seti.customer_id)
    card = seti.card if seti.status == SetupIntentStatus.SUCCEEDED and seti.card.get("last4") else None
    return SetupPage(setup_intent_id=seti.setup_intent_id, status=seti.status,
                     merchant_name=merchant.name if merchant else "", customer_name=customer.name if customer else None,
                     test_mode=seti.env_id != LIVE, authenticate_url=_authenticate_url(seti),
                     card=f"{(card.get('brand') or 'card').title()} ending in {card['last4']}" if card else None,
                     message=message, outcome=outcome)


def load_page(db: Database, setup_intent_id: str) -> SetupPage | None:
    if has_control_character(setup_intent_id):
        return None
    with db.transaction(write=False) as session:
        seti = session.get(SetupIntent, setup_intent_id)
        return None if seti is None else _page(session, seti)


def _context(db: Database, session: Session, seti: SetupIntent, operation: str, settings: Settings,
             request_id: str | None) -> Context:
    """Act for the merchant whose setup intent it is (actor ``system``, face ``hosted``): the page's customer
    has no key; the setup intent is the merchant's authorization to save their card."""
    return system_context(session, seti.merchant_id, seti.env_id, operation=operation, settings=settings,
                          face="hosted", request_id=request_id, db=db)


def check_card(number: str, expiry: str, cvc: str) -> str | None:
    """The form's own checks, in words for the customer (expiry and CVC are checked, then dropped)."""
    if not number.strip():
        return "Enter your card number."
    if CARD_LIKE.match(number.strip()) and (not expiry.strip() or not cvc.strip().isdigit()):
        return "Enter the card's expiry date (MM / YY) and its security code (CVC)."
    return None


def submit(db: Database, setup_intent_id: str, *, card_number: str, expiry: str = "", cvc: str = "",
           settings: Settings = Settings(), request_id: str | None = None) -> SetupPage | None:
    """The customer pressed Save: tokenize the card and save it (or start its 3D Secure step)."""
    if has_control_character(setup_intent_id):
        return None
    with db.session() as session:
        seti = session.get(SetupIntent, setup_intent_id, with_for_update=True)
        if seti is None:
            return None
        if not service.collecting(seti):
            session.commit()
            return _page(session, seti)
        problem = check_card(card_number, expiry, cvc)
        if problem is not None:
            session.commit()
            return _page(session, seti, outcome="invalid", message=problem)
        ctx = _context(db, session, seti, "create_setup_intent", settings, request_id)
        error = None
        try:
            source = tokenize(card_number, test_mode=seti.env_id != LIVE, param="card_number")
            service.submit_card(ctx, setup_intent_id, source)
        except FlintError as exc:
            session.rollback()
            error = exc
        seti = session.get(SetupIntent, setup_intent_id, populate_existing=True)
        assert seti is not None
        session.commit()
        return _outcome(session, seti, error)


def return_from_authentication(db: Database, setup_intent_id: str, *, settings: Settings = Settings(),
                               request_id: str | None = None) -> SetupPage | None:
    """The customer is back from 3D Secure: confirm_setup_intent, then say how it ended."""
    if has_control_character(setup_intent_id):
        return None
    with db.session() as session:
        seti = session.get(SetupIntent, setup_intent_id)
        if seti is None:
            return None
        error = None
        if seti.status == SetupIntentStatus.REQUIRES_ACTION and not service.collecting(seti):
            _, error = run_as_system(_context(db, session, seti, "confirm_setup_intent", settings, request_id),
                                     {"setup_intent_id": setup_intent_id})
        seti = session.get(SetupIntent, setup_intent_id, populate_existing=True)
        assert seti is not None
        session.commit()
        return _outcome(session, seti, error)


def _outcome(session: Session, seti: SetupIntent, error: FlintError | None) -> SetupPage:
    if error is not None:
        unavailable = error.spec.type == "processor_error"
        message = ("We could not reach the card processor. Try again in a moment." if unavailable else
                   "That is not a valid card number." if error.param == "card_number" else error.message)
        return _page(session, seti, outcome="unavailable" if unavailable else "invalid", message=message)
    if seti.status == SetupIntentStatus.FAILED:
        reason = (seti.failure or {}).get("message") or "Your card was declined."
        return _page(session, seti, outcome="declined", message=f"{reason} Your card was not saved.")
    if seti.status == SetupIntentStatus.REQUIRES_ACTION and not service.collecting(seti):
        page = _page(session, seti, message="Your bank needs you to confirm this card before it is saved.")
        page.redirect = page.authenticate_url
        return page
    return _page(session, seti)


def page_scope(db: Database, setup_intent_id: str) -> tuple[tuple[str, str] | None, set[str]]:
    """The merchant scope of a setup intent's page, and the ids it touches (setup intent, customer)."""
    if has_control_character(setup_intent_id):
        return None, set()
    with db.transaction(write=False) as session:
        seti = session.get(SetupIntent, setup_intent_id)
        if seti is None:
            return None, set()
        return (seti.merchant_id, seti.env_id), {seti.setup_intent_id, seti.customer_id}
