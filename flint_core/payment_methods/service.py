"""Steps the saved-card operations share, and what payments ask of a saved card: saving a card once per
customer (``save_card``, deduplicated by fingerprint), finding one that may be charged (``chargeable``),
and the processor call of a setup intent (``run_setup``: persisted first, called outside any transaction,
recorded in a new one, like a payment)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.payment_methods.inputs import Usage
from flint_core.payment_methods.lifecycle import SETUP_INTENT, PaymentMethodStatus, SetupIntentStatus
from flint_core.payment_methods.views import SetupIntentOut, payment_method_out, setup_intent_out
from flint_core.platform import outbox, queue
from flint_core.platform.context import Context
from flint_core.platform.queries import fetch
from flint_core.processors.base import CardDetails, CardSource, ProcessorError, SetupResult, SetupStatus
from flint_core.processors.recovery import failure_block
from flint_core.store.tables import Customer, PaymentMethod, SetupIntent

SETUP_EXPIRY = timedelta(hours=24)  # an unfinished setup intent is canceled after this
EXPIRE_SETUP_INTENT = "expire_setup_intent"  # the job that does it (jobs.py)
EXPIRING_NOTICE = timedelta(days=30)  # payment_method.expiring comes this long before a card's expiry
CARD_EXPIRING = "payment_method_expiring"  # the job that sends it (jobs.py)
REDIRECT = "REDIRECT_TO_URL"  # a setup intent's next_action.type (COMMERCE.md's spelling, an enum like its status)


def expires_at(exp_month: int, exp_year: int) -> datetime:
    """The end of a card's expiry month (it is valid through that month's last day)."""
    return datetime(exp_year + exp_month // 12, exp_month % 12 + 1, 1, tzinfo=UTC)


def save_card(ctx: Context, customer_id: str, card: CardDetails, *, usage: str, created_from: str,
              processor: str) -> tuple[PaymentMethod, bool]:
    """The customer's saved card for ``card``, and whether it was already saved: the one with the same
    fingerprint and expiry, else a new one, made the default if the customer had none. Under the
    customer's row lock, so two saves of the same card cannot both add it."""
    customer = fetch(ctx, Customer, customer_id, resource="customer", lock=True)
    same = ctx.session.scalar(select(PaymentMethod).where(
        PaymentMethod.customer_id == customer_id, PaymentMethod.fingerprint == card.fingerprint,
        PaymentMethod.exp_month == card.exp_month, PaymentMethod.exp_year == card.exp_year,
        PaymentMethod.status == PaymentMethodStatus.ACTIVE))
    if same is not None:
        return same, True
    pm = PaymentMethod(
        payment_method_id=ids.new_id("payment_method"), merchant_id=customer.merchant_id, env_id=customer.env_id,
        customer_id=customer_id, type="CARD", brand=card.brand, last4=card.last4, exp_month=card.exp_month,
        exp_year=card.exp_year, funding=card.funding, country=card.country, fingerprint=card.fingerprint,
        status=PaymentMethodStatus.ACTIVE, usage=usage, processor=processor, processor_reference=card.reference,
        created_from=created_from, last_used_at=None, detached_at=None, version=1, metadata_={},
        created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(pm)
    queue.enqueue(ctx.session, CARD_EXPIRING, {"payment_method_id": pm.payment_method_id},
                  run_at=expires_at(pm.exp_month, pm.exp_year) - EXPIRING_NOTICE,
                  dedupe_key=f"{CARD_EXPIRING}:{pm.payment_method_id}")
    delta = {"payment_method_id": [None, pm.payment_method_id]}
    if customer.default_payment_method_id is None:
        customer.default_payment_method_id, customer.updated_at = pm.payment_method_id, ctx.now
        delta["default_payment_method_id"] = [None, pm.payment_method_id]
    ctx.record("customer", customer_id, "PAYMENT_METHOD_ATTACHED", delta)
    outbox.emit(ctx, "payment_method.attached",
                payment_method_out(ctx, pm, customer.default_payment_method_id).model_dump(mode="json"))
    return pm, False


def charge_source(ctx: Context, pm: PaymentMethod) -> CardSource:
    """What charges a saved card: its processor reference, under its customer's processor customer."""
    customer = ctx.session.scalar(select(Customer.processor_reference).where(Customer.customer_id == pm.customer_id))
    return CardSource(pm.processor_reference, pm.brand, pm.last4, customer)


def card_on_file(ctx: Context, customer_id: str | None) -> str:
    """The card charged when none is named: the customer's default (a subscription's own will come first)."""
    if customer_id is None:
        raise FlintError("customer_required", param="off_session",
                         detail="the card on file is a customer's: give payment_method_id, or attach the order to "
                                "a customer (update_order customer_id)")
    default = ctx.session.scalar(select(Customer.default_payment_method_id).where(Customer.customer_id == customer_id))
    if default is None:
        raise FlintError("parameter_missing", param="payment_method_id",
                         detail=f"customer {customer_id} has no default card")
    return default


def chargeable(ctx: Context, payment_method_id: str, customer_id: str | None, param: str) -> PaymentMethod:
    """A saved card a payment for ``customer_id`` may charge: the caller's, ACTIVE, and that customer's."""
    pm = fetch(ctx, PaymentMethod, payment_method_id, resource="payment_method", param=param)
    if pm.status == PaymentMethodStatus.DETACHED:
        raise FlintError("payment_method_detached", param=param, payment_method_id=pm.payment_method_id)
    if customer_id is not None and pm.customer_id != customer_id:
        raise FlintError("payment_method_customer_mismatch", param=param, payment_method_id=pm.payment_method_id,
                         owner=pm.customer_id, customer_id=customer_id)
    return pm


def run_setup(ctx: Context, setup_intent_id: str, action: str, attempt: Callable[[], SetupResult]) -> SetupIntentOut:
    """Call the processor for a setup intent outside any transaction (what the caller did so far is
    committed first: the recovery point), then record its answer."""
    ctx.checkpoint()
    try:
        result = attempt()
    except ProcessorError as exc:
        again = f"{action}_setup_intent" if action != "setup" else "create_setup_intent"
        raise FlintError("processor_timeout" if exc.timeout else "processor_unavailable",
                         detail=f"{exc} (setup intent {setup_intent_id}, {action})",
                         suggested_actions=[f"{again} (the same request with the same idempotency key)",
                                            "get_setup_intent"]) from None
    seti = ctx.session.get(SetupIntent, setup_intent_id, with_for_update=True, populate_existing=True)
    assert seti is not None
    record_setup(ctx, seti, result)
    return setup_intent_out(ctx, seti)


_SETUP_EVENTS = {SetupIntentStatus.REQUIRES_ACTION: "setup_intent.requires_action",
                 SetupIntentStatus.SUCCEEDED: "setup_intent.succeeded", SetupIntentStatus.FAILED: "setup_intent.failed",
                 SetupIntentStatus.CANCELED: "setup_intent.canceled"}


def record_setup(ctx: Context, seti: SetupIntent, result: SetupResult) -> None:
    """A processor's answer on the setup intent, once per change (of status, or of where the customer must
    go next): the card saved on SUCCEEDED."""
    seti.processor_reference = result.reference or seti.processor_reference
    if result.customer:  # the processor's customer the card lives under: its later charges name it
        ctx.session.execute(update(Customer).where(Customer.customer_id == seti.customer_id,
                                                   Customer.processor_reference.is_(None))
                            .values(processor_reference=result.customer).execution_options(synchronize_session=False))
    new = SetupIntentStatus(result.status.value)
    next_action = ({"type": REDIRECT, "url": result.next_action_url}
                   if result.status is SetupStatus.REQUIRES_ACTION else None)
    if new == seti.status and next_action == seti.next_action:
        return
    before = setup_intent_out(ctx, seti).model_dump(mode="json")
    if new != seti.status:
        SETUP_INTENT.check_transition(seti.status, new)
    seti.status, seti.next_action, seti.updated_at, seti.version = new, next_action, ctx.now, seti.version + 1
    if result.status is SetupStatus.SUCCEEDED:
        assert result.card is not None
        pm, seti.duplicate = save_card(ctx, seti.customer_id, result.card, usage=seti.usage,
                                       created_from="SETUP_INTENT", processor=seti.processor)
        seti.payment_method_id = pm.payment_method_id
    elif result.status is SetupStatus.REQUIRES_ACTION:
        schedule_expiry(ctx, seti)
    elif result.status is SetupStatus.FAILED:
        assert result.failure is not None
        block = failure_block(result.failure, ctx.can)
        seti.failure = {"code": block["code"], "decline_code": block["decline_code"], "message": block["message"],
                        "retryable": block["retryable"]}
    _announce(ctx, seti, before)
    if not SETUP_INTENT.transitions[new]:  # final
        for hook in SETUP_ENDED:
            hook(ctx, seti)


# Called in the transaction where a setup intent reached a final status (a checkout session saving a card
# with it writes its own end down: flint_core.checkout.jobs).
SETUP_ENDED: list[Callable[[Context, SetupIntent], None]] = []


def _announce(ctx: Context, seti: SetupIntent, before: dict[str, Any]) -> None:
    """The activity (under the setup intent's row lock) and the event of a change of the setup intent."""
    after = setup_intent_out(ctx, seti).model_dump(mode="json")
    ctx.record("setup_intent", seti.setup_intent_id, f"SETUP_INTENT_{seti.status}",
               {k: [before[k], after[k]] for k in ("status", "payment_method_id") if before[k] != after[k]})
    outbox.emit(ctx, _SETUP_EVENTS[SetupIntentStatus(seti.status)], after,
                previous_attributes={k: v for k, v in before.items() if after[k] != v})


def schedule_expiry(ctx: Context, seti: SetupIntent, *, advance: bool = False) -> None:
    """The job that cancels the setup intent if the customer has not finished by its expires_at
    (``advance``: brought forward to an expires_at moved earlier)."""
    queue.enqueue(ctx.session, EXPIRE_SETUP_INTENT, {"setup_intent_id": seti.setup_intent_id},
                  run_at=seti.expires_at, dedupe_key=f"{EXPIRE_SETUP_INTENT}:{seti.setup_intent_id}", advance=advance)


def setup_page(setup_intent_id: str) -> str:
    """Where a customer enters the card a setup intent saves, as a path on this server."""
    return f"/setup/{setup_intent_id}"


def collect_on_page(ctx: Context, seti: SetupIntent) -> None:
    """A setup intent created without a card waits for the customer to enter one on its hosted page."""
    before = setup_intent_out(ctx, seti).model_dump(mode="json")
    seti.status, seti.next_action = SetupIntentStatus.REQUIRES_ACTION, {
        "type": REDIRECT, "url": setup_page(seti.setup_intent_id)}
    schedule_expiry(ctx, seti)
    _announce(ctx, seti, before)


def collecting(seti: SetupIntent) -> bool:
    """Whether the setup intent still waits for its card (its hosted page has not been submitted)."""
    return seti.status == SetupIntentStatus.REQUIRES_ACTION and not seti.card


def submit_card(ctx: Context, setup_intent_id: str, source: CardSource) -> SetupIntentOut:
    """The card the customer entered on the setup intent's page: saved like create_setup_intent saves one
    (3D Secure when the card asks)."""
    seti = fetch(ctx, SetupIntent, setup_intent_id, resource="setup_intent", lock=True)
    if not collecting(seti):
        return setup_intent_out(ctx, seti)
    seti.card, seti.updated_at = {"token": source.token, "brand": source.brand, "last4": source.last4}, ctx.now
    return start_setup(ctx, seti)


def unanswered(seti: SetupIntent) -> bool:
    """Whether the setup intent's card went to the processor and its answer was lost (a timeout): ask again.
    No answer means no processor reference yet: PROCESSING through the API, still REQUIRES_ACTION (the
    status it waited for its card in) on the hosted page."""
    return bool(seti.card) and seti.processor_reference is None and seti.status in (
        SetupIntentStatus.PROCESSING, SetupIntentStatus.REQUIRES_ACTION)


def start_setup(ctx: Context, seti: SetupIntent) -> SetupIntentOut:
    """Ask the processor to save the setup intent's card (key ``seti_...:setup``: a retry, after a lost answer,
    is the same call and gets the first one's answer)."""
    customer = ctx.session.scalar(select(Customer.processor_reference).where(Customer.customer_id == seti.customer_id))
    card = seti.card
    source = CardSource(card["token"], card.get("brand"), card.get("last4"), customer)
    processor, seti_id, customer_id = ctx.processor(), seti.setup_intent_id, seti.customer_id
    return run_setup(ctx, seti_id, "setup", lambda: processor.setup(key=f"{seti_id}:setup", source=source,
                                                                    customer_key=customer_id))


def new_setup_intent(ctx: Context, customer_id: str, card: dict[str, str | None], usage: Usage,
                     metadata: dict[str, str], processor: str, *, expires_at: datetime | None = None) -> SetupIntent:
    seti = SetupIntent(
        setup_intent_id=ids.new_id("setup_intent"), merchant_id=ctx.merchant_id, env_id=ctx.env_id,
        customer_id=customer_id, status=SETUP_INTENT.initial, usage=usage.value, card=card, payment_method_id=None,
        duplicate=False, processor=processor, processor_reference=None, next_action=None, failure=None,
        expires_at=expires_at or ctx.now + SETUP_EXPIRY, idempotency_key=ctx.idempotency_key, version=1,
        metadata_=metadata, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(seti)
    ctx.record("setup_intent", seti.setup_intent_id, "SETUP_INTENT_CREATED", {"customer_id": [None, customer_id]},
               created=True)
    return seti


def setup_on_page(ctx: Context, customer_id: str, expires_at: datetime) -> SetupIntent:
    """A setup intent whose card the customer enters on a hosted page (a SETUP checkout session's), canceled
    at ``expires_at`` if they have not finished."""
    seti = new_setup_intent(ctx, customer_id, {}, Usage.OFF_SESSION, {}, ctx.processor().name, expires_at=expires_at)
    seti.idempotency_key = None  # the request's key is the session's: a create_setup_intent must not find this one
    collect_on_page(ctx, seti)
    return seti
