"""The customer as every face returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from flint_core.platform.schema import Output
from flint_core.store.tables import Customer


class CustomerOut(Output):
    object: Literal["customer"] = Field("customer", description="Always `customer`.")
    customer_id: str = Field(description="Id, `cus_...`.")
    name: str | None = Field(description="Full name.")
    email: str | None = Field(description="Email address.")
    phone: str | None = Field(description="Phone number.")
    default_payment_method_id: str | None = Field(description="The saved card charged when none is named "
                                                  "(`pm_...`), or null.")
    metadata: dict[str, str] = Field(description="Your key-value pairs.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")


def customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut(customer_id=customer.customer_id, name=customer.name, email=customer.email,
                       phone=customer.phone, default_payment_method_id=customer.default_payment_method_id,
                       metadata=customer.metadata_, created_at=customer.created_at, updated_at=customer.updated_at)
