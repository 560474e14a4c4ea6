"""What the hosted card-saving pages do, without HTML: a customer enters a card that a setup intent saves,
with 3D Secure when the card asks. Two pages share it: ``/setup/{setup_intent_id}`` (``create_setup_intent``
with no payment_source) and a SETUP checkout session's ``/checkout/{checkout_session_id}``, which sends the
customer on to its success_url once the card is saved. The card goes straight to the same tokenizing and
saving steps as the API; nothing here keeps it. A setup intent saves one card: a declined card ends it (its
own page asks for a new link; a checkout session's page starts a new setup intent for the next card)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from flint_core.checkout.inputs import CheckoutMode
from flint_core.checkout.lifecycle import CheckoutSessionStatus
from flint_core.checkout.service import record_status, success_redirect
from flint_core.checkout.status import current_status
from flint_core.kernel.errors import FlintError
from flint_core.kernel.text import has_control_character
from flint_core.orders.views import checkout_url
from flint_core.payment_methods import service
from flint_core.payment_methods.lifecycle import SetupIntentStatus
from flint_core.platform.context import Context, system_context, utcnow
from flint_core.platform.runtime import run_as_system
from flint_core.platform.settings import Settings
from flint_core.processors.cards import CARD_LIKE, tokenize
from flint_core.store.db import Database
from flint_core.store.tables import LIVE, CheckoutSession, Customer, Merchant, SetupIntent


@dataclass
class SetupPage:
    reference: str  # the id the page shows: its setup intent's, or its checkout session's
    # REQUIRES_ACTION shows the form (or the 3D Secure step), PROCESSING a Save button that asks the processor
    # again (its answer was lost); SUCCEEDED, FAILED, CANCELED, EXPIRED say how it ended
    status: str
    merchant_name: str
    customer_name: str | None
    test_mode: bool
    card: str | None = None  # "Visa ending in 4242", once saved
    message: str | None = None
    outcome: str = "shown"  # shown | declined | invalid | unavailable
    redirect: str | None = None  # the 3D Secure page once the card asked for it, or success_url once saved
    authenticate_url: str | None = None
    continue_url: str | None = None  # a checkout session's success_url, once the card is saved
    cancel_url: str | None = None  # a checkout session's cancel link


def page_url(setup_intent_id: str) -> str:
    return service.setup_page(setup_intent_id)


def _authenticate_url(seti: SetupIntent, base: str) -> str | None:
    """The 3D Secure step of a card already submitted, told to come back to the page at ``base`` (Flint's own
    simulator page; Stripe's page is absolute and comes back by itself)."""
    if seti.status != SetupIntentStatus.REQUIRES_ACTION or service.collecting(seti) or service.unanswered(seti):
        return None
    url = (seti.next_action or {}).get("url")
    if not url or not url.startswith("/"):
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'return_url': base + '/return'})}"


def _page(session: Session, seti: SetupIntent, base: str, *, message: str | None = None,
          outcome: str = "shown") -> SetupPage:
    merchant = session.get(Merchant, seti.merchant_id)
    customer = session.get(Customer, seti.customer_id)
    card = seti.card if seti.status == SetupIntentStatus.SUCCEEDED and seti.card.get("last4") else None
    status = SetupIntentStatus.PROCESSING if service.unanswered(seti) else seti.status  # then Save asks again
    return SetupPage(reference=seti.setup_intent_id, status=status,
                     merchant_name=merchant.name if merchant else "", customer_name=customer.name if customer else None,
                     test_mode=seti.env_id != LIVE, authenticate_url=_authenticate_url(seti, base),
                     card=f"{(card.get('brand') or 'card').title()} ending in {card['last4']}" if card else None,
                     message=message, outcome=outcome)


def load_page(db: Database, setup_intent_id: str) -> SetupPage | None:
    if has_control_character(setup_intent_id):
        return None
    with db.transaction(write=False) as session:
        seti = session.get(SetupIntent, setup_intent_id)
        return None if seti is None else _page(session, seti, page_url(setup_intent_id))


def _context(db: Database, session: Session, owner: SetupIntent | CheckoutSession, operation: str,
             settings: Settings, request_id: str | None) -> Context:
    """Act for the merchant whose setup intent (or checkout session) it is (actor ``system``, face
    ``hosted``): the page's customer has no key; the merchant's setup intent or session is its
    authorization to save their card."""
    return system_context(session, owner.merchant_id, owner.env_id, operation=operation, settings=settings,
                          face="hosted", request_id=request_id, db=db)


def check_card(number: str, expiry: str, cvc: str) -> str | None:
    """The form's own checks, in words for the customer (expiry and CVC are checked, then dropped)."""
    if not number.strip():
        return "Enter your card number."
    if CARD_LIKE.match(number.strip()) and (not expiry.strip() or not cvc.strip().isdigit()):
        return "Enter the card's expiry date (MM / YY) and its security code (CVC)."
    return None


def _save(ctx: Context, seti: SetupIntent, card_number: str) -> FlintError | None:
    """Tokenize the typed card and save it with the setup intent (or start its 3D Secure step); a setup
    whose processor answer was lost is asked again with its own card instead. On an error, what was not
    committed before the processor call is rolled back and the error returned."""
    try:
        if service.unanswered(seti):
            service.start_setup(ctx, seti)
        else:
            source = tokenize(card_number, test_mode=ctx.env_id != LIVE, param="card_number")
            service.submit_card(ctx, seti.setup_intent_id, source)
    except FlintError as exc:
        ctx.session.rollback()
        return exc
    return None


def _problem(seti: SetupIntent, card_number: str, expiry: str, cvc: str) -> str | None:
    """What is wrong with the form, for a setup intent still waiting for its card."""
    return check_card(card_number, expiry, cvc) if service.collecting(seti) else None


def _acts(seti: SetupIntent) -> bool:
    """Whether pressing Save does something: enter the card, or ask again after a lost answer."""
    return service.collecting(seti) or service.unanswered(seti)


def submit(db: Database, setup_intent_id: str, *, card_number: str, expiry: str = "", cvc: str = "",
           settings: Settings = Settings(), request_id: str | None = None) -> SetupPage | None:
    """The customer pressed Save: tokenize the card and save it (or start its 3D Secure step)."""
    if has_control_character(setup_intent_id):
        return None
    base = page_url(setup_intent_id)
    with db.session() as session:
        seti = session.get(SetupIntent, setup_intent_id, with_for_update=True)
        if seti is None:
            return None
        problem = _problem(seti, card_number, expiry, cvc)
        if not _acts(seti) or problem is not None:
            session.commit()
            return _page(session, seti, base, outcome="invalid" if problem else "shown", message=problem)
        error = _save(_context(db, session, seti, "create_setup_intent", settings, request_id), seti, card_number)
        seti = session.get(SetupIntent, setup_intent_id, populate_existing=True)
        assert seti is not None
        session.commit()
        return _outcome(session, seti, error, base)


def return_from_authentication(db: Database, setup_intent_id: str, *, settings: Settings = Settings(),
                               request_id: str | None = None) -> SetupPage | None:
    """The customer is back from 3D Secure: confirm_setup_intent, then say how it ended."""
    if has_control_character(setup_intent_id):
        return None
    with db.session() as session:
        seti = session.get(SetupIntent, setup_intent_id)
        if seti is None:
            return None
        error = _confirm(_context(db, session, seti, "confirm_setup_intent", settings, request_id), seti)
        seti = session.get(SetupIntent, setup_intent_id, populate_existing=True)
        assert seti is not None
        session.commit()
        return _outcome(session, seti, error, page_url(setup_intent_id))


def _confirm(ctx: Context, seti: SetupIntent) -> FlintError | None:
    """confirm_setup_intent for a card waiting for 3D Secure (nothing for any other setup intent)."""
    if seti.status != SetupIntentStatus.REQUIRES_ACTION or service.collecting(seti):
        return None
    return run_as_system(ctx, {"setup_intent_id": seti.setup_intent_id})[1]


def _outcome(session: Session, seti: SetupIntent, error: FlintError | None, base: str) -> SetupPage:
    if error is not None:
        unavailable = error.spec.type == "processor_error"
        message = ("We could not reach the card processor. Press Save again in a moment: your card is not "
                   "saved twice." if service.unanswered(seti) else
                   "We could not reach the card processor. Try again in a moment." if unavailable else
                   "That is not a valid card number." if error.param == "card_number" else error.message)
        return _page(session, seti, base, outcome="unavailable" if unavailable else "invalid", message=message)
    if seti.status == SetupIntentStatus.FAILED:
        reason = (seti.failure or {}).get("message") or "Your card was declined."
        return _page(session, seti, base, outcome="declined", message=f"{reason} Your card was not saved.")
    if seti.status == SetupIntentStatus.REQUIRES_ACTION and not service.collecting(seti):
        page = _page(session, seti, base, message="Your bank needs you to confirm this card before it is saved.")
        page.redirect = page.authenticate_url
        return page
    return _page(session, seti, base)


def page_scope(db: Database, setup_intent_id: str) -> tuple[tuple[str, str] | None, set[str]]:
    """The merchant scope of a setup intent's page, and the ids it touches (setup intent, customer)."""
    if has_control_character(setup_intent_id):
        return None, set()
    with db.transaction(write=False) as session:
        seti = session.get(SetupIntent, setup_intent_id)
        if seti is None:
            return None, set()
        return (seti.merchant_id, seti.env_id), {seti.setup_intent_id, seti.customer_id}


# A SETUP checkout session's page: the same form, the session's status, and its redirects.

def saves_card(db: Database, checkout_session_id: str) -> bool:
    """Whether a checkout session is a SETUP one (its page is this one, not the payment page)."""
    if has_control_character(checkout_session_id):
        return False
    with db.transaction(write=False) as session:
        return session.scalar(select(CheckoutSession.mode).where(
            CheckoutSession.checkout_session_id == checkout_session_id)) == CheckoutMode.SETUP.value


def _in_session(page: SetupPage, cs: CheckoutSession, status: str, *, submitted: bool) -> SetupPage:
    """A setup intent's page as its checkout session shows it: the session's id and status, a new card
    asked for after a decline while OPEN, and on to success_url once saved (``submitted``: at once)."""
    page.reference, page.cancel_url = cs.checkout_session_id, cs.cancel_url
    if status == CheckoutSessionStatus.COMPLETE:
        page.status, page.continue_url = SetupIntentStatus.SUCCEEDED, success_redirect(cs)
        page.redirect = page.continue_url if submitted else None
    elif status != CheckoutSessionStatus.OPEN:
        page.status, page.redirect = status, None  # EXPIRED or CANCELED
    elif page.status == SetupIntentStatus.FAILED:
        page.status = SetupIntentStatus.REQUIRES_ACTION  # the form again, saying why the last card failed
    return page


def _lock_session(session: Session, checkout_session_id: str) -> CheckoutSession | None:
    if has_control_character(checkout_session_id):
        return None
    cs = session.get(CheckoutSession, checkout_session_id, with_for_update=True, populate_existing=True)
    return cs if cs is not None and cs.mode == CheckoutMode.SETUP.value else None


def _session_setup(session: Session, cs: CheckoutSession) -> SetupIntent:
    seti = session.get(SetupIntent, cs.setup_intent_id, populate_existing=True)
    assert seti is not None
    return seti


def load_session_page(db: Database, checkout_session_id: str) -> SetupPage | None:
    """GET a SETUP session's page: read only (its status is derived, as get_checkout_session derives it)."""
    if has_control_character(checkout_session_id):
        return None
    with db.transaction(write=False) as session:
        cs = session.get(CheckoutSession, checkout_session_id)
        if cs is None or cs.mode != CheckoutMode.SETUP.value:
            return None
        seti = _session_setup(session, cs)
        status = current_status(session, cs, None, utcnow())
        page = _page(session, seti, checkout_url(checkout_session_id))
        return _in_session(page, cs, status, submitted=False)


def submit_for_session(db: Database, checkout_session_id: str, *, card_number: str, expiry: str = "",
                       cvc: str = "", settings: Settings = Settings(),
                       request_id: str | None = None) -> SetupPage | None:
    """The customer pressed Save on a SETUP session's page: save the card with the session's setup intent
    (a new one after a declined card), then COMPLETE the session and send them to success_url."""
    base = checkout_url(checkout_session_id)
    with db.session() as session:
        cs = _lock_session(session, checkout_session_id)
        if cs is None:
            return None
        ctx = _context(db, session, cs, "create_setup_intent", settings, request_id)
        status, seti = record_status(ctx, cs, None), _session_setup(session, cs)
        if status == CheckoutSessionStatus.OPEN and seti.status == SetupIntentStatus.FAILED:
            assert cs.customer_id is not None
            seti = service.setup_on_page(ctx, cs.customer_id, cs.expires_at)
            cs.setup_intent_id, cs.updated_at = seti.setup_intent_id, ctx.now
        problem = _problem(seti, card_number, expiry, cvc)
        if status != CheckoutSessionStatus.OPEN or not _acts(seti) or problem is not None:
            session.commit()
            page = _page(session, seti, base, outcome="invalid" if problem else "shown", message=problem)
            return _in_session(page, cs, status, submitted=problem is None)
        error = _save(ctx, seti, card_number)
        return _settle(session, ctx, checkout_session_id, error, base)


def return_for_session(db: Database, checkout_session_id: str, *, settings: Settings = Settings(),
                       request_id: str | None = None) -> SetupPage | None:
    """The customer is back from 3D Secure on a SETUP session's page: confirm its setup intent, then
    COMPLETE the session (and on to success_url) or say what happened."""
    base = checkout_url(checkout_session_id)
    with db.session() as session:
        cs = _lock_session(session, checkout_session_id)
        if cs is None:
            return None
        ctx = _context(db, session, cs, "confirm_setup_intent", settings, request_id)
        error = None
        if record_status(ctx, cs, None) == CheckoutSessionStatus.OPEN:
            error = _confirm(ctx, _session_setup(session, cs))
        return _settle(session, ctx, checkout_session_id, error, base)


def _settle(session: Session, ctx: Context, checkout_session_id: str, error: FlintError | None,
            base: str) -> SetupPage:
    """After the customer acted: write the session's status down (COMPLETE once the card is saved) and
    show how it went."""
    cs = _lock_session(session, checkout_session_id)
    assert cs is not None
    status = record_status(ctx, cs, None)
    session.commit()
    return _in_session(_outcome(session, _session_setup(session, cs), error, base), cs, status, submitted=True)
