"""Saved cards: a customer's payment methods, saved by setup intents (or by a payment with
save_payment_method), made the default, detached; pay_order charges them (payment_method_id)."""

from __future__ import annotations

import logging
from typing import Any

from flint_core.kernel.errors import FlintError
from flint_core.payment_methods import service
from flint_core.payment_methods.inputs import (
    CreateSetupIntentInput,
    DetachPaymentMethodInput,
    ListPaymentMethodsInput,
    PaymentMethodInput,
    SetDefaultPaymentMethodInput,
    SetupIntentInput,
)
from flint_core.payment_methods.lifecycle import PAYMENT_METHOD, SETUP_INTENT, PaymentMethodStatus, SetupIntentStatus
from flint_core.payment_methods.views import SavedPaymentMethodOut, SetupIntentOut, payment_method_out, setup_intent_out
from flint_core.platform import outbox, previews
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import fetch, scoped
from flint_core.platform.registry import (
    ENDS_AT_PROCESSOR,
    IDEMPOTENT_WRITE,
    READ_ONLY,
    RESUMES_SETUP,
    SAVES_CARD,
    operation,
)
from flint_core.processors.base import ProcessorError, SetupResult, SetupStatus
from flint_core.processors.cards import tokenize
from flint_core.store.tables import LIVE, Customer, PaymentMethod, SetupIntent

log = logging.getLogger("flint.payment_methods")



@operation("create_setup_intent", http="POST /v1/setup_intents", scope="customers:write", safety=SAVES_CARD,
           summary="Save a customer's card for later charges without charging it (3D Secure when asked).")
def create_setup_intent(ctx: Context, params: CreateSetupIntentInput) -> SetupIntentOut:
    """Save a card for a customer without charging it. SUCCEEDED: `payment_method_id` is the saved card
    (the customer's default if they had none; the same card saved again returns the existing one).
    REQUIRES_ACTION: send the customer to `next_action.url` (3D Secure; or, with no payment_source, the
    hosted page where they enter the card: `hosted_url`), then confirm_setup_intent.
    FAILED: `failure` says why. Charge the saved card later with pay_order(payment_method_id=...,
    off_session=true). Always send an idempotency key: a retry resumes the same setup."""
    customer = fetch(ctx, Customer, params.customer_id, resource="customer")
    mine = ctx.session.scalar(scoped(ctx, SetupIntent).where(
        SetupIntent.customer_id == customer.customer_id, SetupIntent.idempotency_key == ctx.idempotency_key)
    ) if ctx.idempotency_key else None
    if mine is not None and mine.status != SetupIntentStatus.PROCESSING:
        return setup_intent_out(ctx, mine)
    if mine is None:
        source = None if params.payment_source is None else tokenize(params.payment_source,
                                                                     test_mode=ctx.env_id != LIVE)
        card = {} if source is None else {"token": source.token, "brand": source.brand, "last4": source.last4}
        mine = service.new_setup_intent(ctx, customer.customer_id, card, params.usage, params.metadata,
                                        ctx.processor().name)
        if source is None:  # the customer enters the card on the hosted page
            service.collect_on_page(ctx, mine)
            return setup_intent_out(ctx, mine)
    return service.start_setup(ctx, mine)


@operation("confirm_setup_intent", http="POST /v1/setup_intents/{setup_intent_id}/confirm",
           scope="customers:write", safety=RESUMES_SETUP,
           summary="Finish saving a card after the customer's 3D Secure step.")
def confirm_setup_intent(ctx: Context, params: SetupIntentInput) -> SetupIntentOut:
    """Call after the customer answered 3D Secure at `next_action.url`: SUCCEEDED (the card is saved),
    FAILED (authentication failed), or still REQUIRES_ACTION when they have not answered yet."""
    seti = fetch(ctx, SetupIntent, params.setup_intent_id, resource="setup_intent", lock=True)
    SETUP_INTENT.require(seti.status, "confirm_setup_intent", seti.setup_intent_id, ctx.can)
    if service.collecting(seti):  # the customer has not entered a card on the page yet
        return setup_intent_out(ctx, seti)
    if service.unanswered(seti):  # the page's card reached the processor, its answer did not: ask again
        return service.start_setup(ctx, seti)
    processor, reference, seti_id = ctx.processor(), seti.processor_reference or "", seti.setup_intent_id
    return service.run_setup(ctx, seti_id, "confirm",
                             lambda: processor.confirm_setup(key=f"{seti_id}:confirm", reference=reference))


@operation("cancel_setup_intent", http="POST /v1/setup_intents/{setup_intent_id}/cancel", scope="customers:write",
           safety=ENDS_AT_PROCESSOR, summary="Abandon a setup intent still waiting for 3D Secure.")
def cancel_setup_intent(ctx: Context, params: SetupIntentInput) -> SetupIntentOut:
    """Cancel a REQUIRES_ACTION setup intent: no card is saved. Final."""
    seti = fetch(ctx, SetupIntent, params.setup_intent_id, resource="setup_intent", lock=True)
    SETUP_INTENT.require(seti.status, "cancel_setup_intent", seti.setup_intent_id, ctx.can)
    if service.collecting(seti):  # nothing reached the processor: nothing to cancel there
        service.record_setup(ctx, seti, SetupResult(SetupStatus.CANCELED, ""))
        return setup_intent_out(ctx, seti)
    processor, reference, seti_id = ctx.processor(), seti.processor_reference or "", seti.setup_intent_id
    return service.run_setup(ctx, seti_id, "cancel",
                             lambda: processor.cancel_setup(key=f"{seti_id}:cancel", reference=reference))


@operation("get_setup_intent", http="GET /v1/setup_intents/{setup_intent_id}", scope="orders:read",
           safety=READ_ONLY, summary="Fetch a setup intent: status, next action, the saved card.")
def get_setup_intent(ctx: Context, params: SetupIntentInput) -> SetupIntentOut:
    """Fetch a setup intent: its status, `next_action` while 3D Secure is pending, `failure`, and
    `payment_method_id` once the card is saved."""
    return setup_intent_out(ctx, fetch(ctx, SetupIntent, params.setup_intent_id, resource="setup_intent"))


@operation("list_payment_methods", http="GET /v1/customers/{customer_id}/payment_methods", scope="orders:read",
           safety=READ_ONLY, summary="List a customer's saved cards, newest first.")
def list_payment_methods(ctx: Context, params: ListPaymentMethodsInput) -> Page[SavedPaymentMethodOut]:
    """A customer's saved cards, newest first: the ACTIVE ones (status=DETACHED for the detached ones).
    `is_default` marks the one charged when none is named; `expired` cards still show."""
    customer = fetch(ctx, Customer, params.customer_id, resource="customer")
    stmt = scoped(ctx, PaymentMethod).where(PaymentMethod.customer_id == customer.customer_id,
                                            PaymentMethod.status == params.status.value)
    rows, token = paginate(ctx.session, stmt, PaymentMethod.payment_method_id, params,
                           {"customer_id": params.customer_id, "status": params.status.value})
    return Page[SavedPaymentMethodOut](data=[payment_method_out(ctx, pm, customer.default_payment_method_id)
                                        for pm in rows], next_page_token=token)


@operation("get_payment_method", http="GET /v1/payment_methods/{payment_method_id}", scope="orders:read",
           safety=READ_ONLY, summary="Fetch one saved card.")
def get_payment_method(ctx: Context, params: PaymentMethodInput) -> SavedPaymentMethodOut:
    """Fetch a saved card: brand, last four, expiry, whether it is the default, and its status."""
    pm = fetch(ctx, PaymentMethod, params.payment_method_id, resource="payment_method")
    return payment_method_out(ctx, pm, _default_of(ctx, pm.customer_id))


@operation("set_default_payment_method", http="POST /v1/customers/{customer_id}/default_payment_method",
           scope="customers:write", safety=IDEMPOTENT_WRITE,
           summary="Make one of a customer's saved cards the one charged when none is named.")
def set_default_payment_method(ctx: Context, params: SetDefaultPaymentMethodInput) -> SavedPaymentMethodOut:
    """Make an ACTIVE saved card the customer's default (the card a later charge uses when none is named).
    Setting the card that is already the default changes nothing."""
    customer = fetch(ctx, Customer, params.customer_id, resource="customer", lock=True)
    pm = service.chargeable(ctx, params.payment_method_id, customer.customer_id, "payment_method_id")
    old = customer.default_payment_method_id
    if old == pm.payment_method_id:
        return payment_method_out(ctx, pm, old)
    customer.default_payment_method_id, customer.updated_at = pm.payment_method_id, ctx.now
    ctx.record("customer", customer.customer_id, "DEFAULT_PAYMENT_METHOD_SET",
               {"default_payment_method_id": [old, pm.payment_method_id]})
    changed = [pm] + ([fetch(ctx, PaymentMethod, old, resource="payment_method")] if old else [])
    for card in changed:
        before = payment_method_out(ctx, card, old).model_dump(mode="json")
        card.version, card.updated_at = card.version + 1, ctx.now
        after = payment_method_out(ctx, card, pm.payment_method_id).model_dump(mode="json")
        outbox.emit(ctx, "payment_method.updated", after,
                    previous_attributes={k: v for k, v in before.items() if after[k] != v})
    return payment_method_out(ctx, pm, pm.payment_method_id)


def _detach_effects(ctx: Context, pm: PaymentMethod, default_id: str | None) -> dict[str, list[Any]]:
    effects: dict[str, list[Any]] = {"status": [pm.status, PaymentMethodStatus.DETACHED]}
    if default_id == pm.payment_method_id:
        effects["customer.default_payment_method_id"] = [default_id, None]
    # Subscriptions and open invoices that charge it automatically will be listed here once they exist.
    effects["charged_automatically_by"] = [[], []]
    return effects


@operation("preview_detach_payment_method", http="POST /v1/payment_methods/{payment_method_id}/detach/preview",
           scope="orders:read", safety=READ_ONLY,
           summary="What detach_payment_method would do (and what would lose this card), with a preview_id.")
def preview_detach_payment_method(ctx: Context, params: PaymentMethodInput) -> previews.ActionPreview:
    """Read-only. Shows whether the card can be detached now and what would change: its status, the
    customer's default, and what charges it automatically. Pass the preview_id to detach_payment_method."""
    pm = fetch(ctx, PaymentMethod, params.payment_method_id, resource="payment_method")
    error = None
    try:
        PAYMENT_METHOD.require(pm.status, "detach_payment_method", pm.payment_method_id, ctx.can)
    except FlintError as exc:
        error = exc
    effects = _detach_effects(ctx, pm, _default_of(ctx, pm.customer_id))
    return previews.action_preview(ctx, "detach_payment_method", params, pm.payment_method_id, pm.version,
                                   effects, error)


@operation("detach_payment_method", http="POST /v1/payment_methods/{payment_method_id}/detach",
           scope="customers:write", safety=ENDS_AT_PROCESSOR, preview_by="preview_detach_payment_method",
           summary="Forget a saved card for good: it can never be charged again.")
def detach_payment_method(ctx: Context, params: DetachPaymentMethodInput) -> SavedPaymentMethodOut:
    """Detach a saved card: DETACHED is final (charging it is 409 payment_method_detached). If it was the
    customer's default, the customer has no default afterwards. Preview first
    (preview_detach_payment_method) and pass its preview_id."""
    pm = fetch(ctx, PaymentMethod, params.payment_method_id, resource="payment_method")
    customer = fetch(ctx, Customer, pm.customer_id, resource="customer", lock=True)
    ctx.session.refresh(pm, with_for_update=True)
    if params.preview_id is not None:
        previews.confirm(ctx, params.preview_id, "detach_payment_method",
                         previews.fingerprint("detach_payment_method", params), pm.payment_method_id, pm.version)
    PAYMENT_METHOD.require(pm.status, "detach_payment_method", pm.payment_method_id, ctx.can)
    before = payment_method_out(ctx, pm, customer.default_payment_method_id).model_dump(mode="json")
    effects = _detach_effects(ctx, pm, customer.default_payment_method_id)
    pm.status, pm.detached_at, pm.updated_at, pm.version = PaymentMethodStatus.DETACHED, ctx.now, ctx.now, pm.version + 1
    if customer.default_payment_method_id == pm.payment_method_id:
        customer.default_payment_method_id, customer.updated_at = None, ctx.now
    ctx.record("customer", customer.customer_id, "PAYMENT_METHOD_DETACHED",
               {"payment_method_id": pm.payment_method_id} | {k: v for k, v in effects.items() if v[0] != v[1]})
    after = payment_method_out(ctx, pm, customer.default_payment_method_id)
    outbox.emit(ctx, "payment_method.detached", after.model_dump(mode="json"),
                previous_attributes={k: v for k, v in before.items() if after.model_dump(mode="json")[k] != v})
    processor, reference, pm_id = ctx.processor(), pm.processor_reference, pm.payment_method_id
    ctx.checkpoint()  # detached in Flint first: whatever the processor says, Flint never charges it again
    try:
        processor.detach(key=f"{pm_id}:detach", reference=reference)
    except ProcessorError as exc:  # the card stays unusable through Flint; the processor forgets it later
        log.warning("payment method %s: the processor did not confirm the detach (%s)", pm_id, exc)
    return after


def _default_of(ctx: Context, customer_id: str) -> str | None:
    return ctx.session.scalar(scoped(ctx, Customer).with_only_columns(Customer.default_payment_method_id)
                              .where(Customer.customer_id == customer_id))
