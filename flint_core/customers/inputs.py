"""What customer operations accept."""

from __future__ import annotations

from pydantic import Field

from flint_core.platform.schema import Input, ListInput, Metadata

Email = Field(None, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$",
              description="Email address (must contain one @).")


class CreateCustomerInput(Input):
    name: str | None = Field(None, min_length=1, max_length=200, description="Full name, e.g. `Sarah Chen`.")
    email: str | None = Email
    phone: str | None = Field(None, max_length=40, description="Phone number, free form.")
    metadata: Metadata = Field(default_factory=dict)


class GetCustomerInput(Input):
    customer_id: str = Field(description="Id of the customer, `cus_...`.")


class ListCustomersInput(ListInput):
    email: str | None = Field(None, max_length=320, description="Only customers with exactly this email "
                                                                "(case-insensitive).")


class SearchCustomersInput(ListInput):
    query: str | None = Field(None, min_length=1, max_length=320, description="Part of the name or email, "
                              "e.g. `sarah`.")
    email: str | None = Field(None, max_length=320, description="Email, or part of one (case-insensitive).")
    name: str | None = Field(None, max_length=200, description="Name, or part of one (case-insensitive).")
