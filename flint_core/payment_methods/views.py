"""A customer's saved cards and the setup intents that save them, as every face returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from flint_core.payment_methods.lifecycle import PAYMENT_METHOD, SETUP_INTENT, SetupIntentStatus
from flint_core.platform.context import Context
from flint_core.platform.schema import Output
from flint_core.store.tables import PaymentMethod, SetupIntent


class CardOut(Output):
    brand: str = Field(description="visa, mastercard, amex, ...")
    last4: str = Field(description="The last four digits: all Flint ever keeps of the number.")
    exp_month: int = Field(description="Expiry month, 1 to 12.")
    exp_year: int = Field(description="Expiry year, e.g. 2034.")
    funding: str = Field(description="credit, debit, prepaid or unknown.")
    country: str | None = Field(description="Issuing country (ISO 3166-1 alpha-2).")
    fingerprint: str = Field(description="The same for the same card number: how duplicates are found.")


class SavedPaymentMethodOut(Output):
    object: Literal["payment_method"] = Field("payment_method", description="Always `payment_method`.")
    payment_method_id: str = Field(description="Id, `pm_...`: give it to pay_order to charge this card.")
    customer_id: str = Field(description="Whose card it is.")
    type: str = Field(description="Always `CARD` for now.")
    card: CardOut = Field(description="What the card is (never its number).")
    status: str = Field(description="ACTIVE, or DETACHED (final: never charged again).")
    expired: bool = Field(description="Whether the card's expiry month has passed.")
    usage: str = Field(description="OFF_SESSION (may be charged without the customer) or ON_SESSION.")
    is_default: bool = Field(description="Whether it is the customer's default card.")
    created_from: str = Field(description="SETUP_INTENT or PAYMENT (pay_order with save_payment_method).")
    processor: str = Field(description="Who keeps the card: `simulator` (test mode) or `stripe` (live mode).")
    processor_reference: str = Field(description="The processor's id for it: a Stripe payment method id "
                                                 "(`pm_...`) in live mode, a simulator test token otherwise.")
    last_used_at: datetime | None = Field(description="When a payment last charged it.")
    version: int = Field(description="Grows with every change.")
    available_actions: list[str] = Field(description="Operations legal now for your key.")
    metadata: dict[str, str] = Field(description="Your key-value pairs.")
    created_at: datetime = Field(description="When it was saved.")
    updated_at: datetime = Field(description="When it last changed.")


class SetupIntentOut(Output):
    object: Literal["setup_intent"] = Field("setup_intent", description="Always `setup_intent`.")
    setup_intent_id: str = Field(description="Id, `seti_...`.")
    customer_id: str = Field(description="The customer the card is saved for.")
    status: str = Field(description="PROCESSING, REQUIRES_ACTION (3D Secure), SUCCEEDED, FAILED or CANCELED.")
    usage: str = Field(description="OFF_SESSION or ON_SESSION.")
    payment_method_id: str | None = Field(description="The saved card, once SUCCEEDED.")
    duplicate: bool = Field(description="True when the card was already saved for this customer: "
                                        "payment_method_id is that card, and no second one was added.")
    card: dict[str, Any] = Field(description="The card being saved: brand and last4.")
    next_action: dict[str, Any] | None = Field(description="While REQUIRES_ACTION: `{type: REDIRECT_TO_URL, url}`, "
                                               "where the customer authenticates; then confirm_setup_intent.")
    failure: dict[str, Any] | None = Field(description="Why it FAILED: code, message, retryable.")
    hosted_url: str | None = Field(description="While it waits for the customer to enter a card (created without "
                                   "payment_source): the page to send them to.")
    expires_at: datetime = Field(description="When an unfinished setup is canceled.")
    version: int = Field(description="Grows with every change.")
    available_actions: list[str] = Field(description="Operations legal now for your key.")
    metadata: dict[str, str] = Field(description="Your key-value pairs.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")


def expired(pm: PaymentMethod, now: datetime) -> bool:
    """A card is valid through the last day of its expiry month."""
    return (pm.exp_year, pm.exp_month) < (now.year, now.month)


def payment_method_out(ctx: Context, pm: PaymentMethod, default_id: str | None) -> SavedPaymentMethodOut:
    card = CardOut(brand=pm.brand, last4=pm.last4, exp_month=pm.exp_month, exp_year=pm.exp_year,
                   funding=pm.funding, country=pm.country, fingerprint=pm.fingerprint)
    return SavedPaymentMethodOut(
        payment_method_id=pm.payment_method_id, customer_id=pm.customer_id, type=pm.type, card=card,
        status=pm.status, expired=expired(pm, ctx.now), usage=pm.usage,
        is_default=pm.payment_method_id == default_id, created_from=pm.created_from, processor=pm.processor,
        processor_reference=pm.processor_reference,
        last_used_at=pm.last_used_at, version=pm.version,
        available_actions=PAYMENT_METHOD.actions_for(pm.status, ctx.can), metadata=pm.metadata_,
        created_at=pm.created_at, updated_at=pm.updated_at)


def setup_intent_out(ctx: Context, seti: SetupIntent) -> SetupIntentOut:
    waiting_for_card = seti.status == SetupIntentStatus.REQUIRES_ACTION and not seti.card  # its hosted page
    return SetupIntentOut(
        setup_intent_id=seti.setup_intent_id, customer_id=seti.customer_id, status=seti.status, usage=seti.usage,
        payment_method_id=seti.payment_method_id, duplicate=seti.duplicate,
        card={"brand": seti.card.get("brand"), "last4": seti.card.get("last4")},
        next_action=None if seti.next_action is None else seti.next_action | {
            "url": ctx.settings.absolute_url(seti.next_action["url"])},
        failure=seti.failure, hosted_url=ctx.settings.absolute_url(f"/setup/{seti.setup_intent_id}") if waiting_for_card
        else None, expires_at=seti.expires_at, version=seti.version,
        available_actions=SETUP_INTENT.actions_for(seti.status, ctx.can), metadata=seti.metadata_,
        created_at=seti.created_at, updated_at=seti.updated_at)
