"""What saved-card operations accept."""

from __future__ import annotations

import enum

from pydantic import Field

from flint_core.payment_methods.lifecycle import PaymentMethodStatus
from flint_core.platform.schema import Input, ListInput, Metadata, lenient_enum


class Usage(enum.Enum):
    OFF_SESSION = "OFF_SESSION"  # charged later without the customer (renewals, invoices): the default
    ON_SESSION = "ON_SESSION"  # charged only while the customer is there (a faster checkout)


UsageIn = lenient_enum(Usage, "OFF_SESSION (default: may be charged later without the customer) or ON_SESSION.")


PaymentMethodStatusIn = lenient_enum(PaymentMethodStatus, "ACTIVE (default) or DETACHED.")


class CreateSetupIntentInput(Input):
    customer_id: str = Field(description="The customer the card is saved for, `cus_...`.")
    payment_source: str | None = Field(None, min_length=1, max_length=255, description="The card: a token "
                                       "(`tok_visa`) or, in test mode, a test card number. Absent: the customer "
                                       "enters it on the hosted page at `hosted_url`.")
    usage: UsageIn = Field(Usage.OFF_SESSION, description="OFF_SESSION (default) or ON_SESSION.")
    metadata: Metadata = Field(default_factory=dict)


class SetupIntentInput(Input):
    setup_intent_id: str = Field(description="The setup intent, `seti_...`.")


class ListPaymentMethodsInput(ListInput):
    customer_id: str = Field(description="Whose saved cards, `cus_...`.")
    status: PaymentMethodStatusIn = Field(PaymentMethodStatus.ACTIVE, description="ACTIVE (default: the cards "
                                          "that can be charged) or DETACHED.")


class PaymentMethodInput(Input):
    payment_method_id: str = Field(description="The saved card, `pm_...`.")


class SetDefaultPaymentMethodInput(Input):
    customer_id: str = Field(description="The customer, `cus_...`.")
    payment_method_id: str = Field(description="One of the customer's ACTIVE saved cards, `pm_...`.")


class DetachPaymentMethodInput(Input):
    payment_method_id: str = Field(description="The saved card to detach, `pm_...`.")
    preview_id: str | None = Field(None, max_length=100, description="The preview_id of a "
                                   "preview_detach_payment_method: detach only if the card is unchanged since.")
