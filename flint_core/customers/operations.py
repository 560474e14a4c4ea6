"""Customers: who an order is for. Searchable by name and email."""

from __future__ import annotations

from sqlalchemy import or_

from flint_core.customers.inputs import CreateCustomerInput, GetCustomerInput, ListCustomersInput, SearchCustomersInput
from flint_core.customers.views import CustomerOut, customer_out
from flint_core.kernel import ids
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import contains, fetch, scoped
from flint_core.platform.registry import CREATE, READ_ONLY, operation
from flint_core.store.tables import Customer


@operation("create_customer", http="POST /v1/customers", scope="customers:write", safety=CREATE,
           summary="Create a customer.")
def create_customer(ctx: Context, params: CreateCustomerInput) -> CustomerOut:
    """Create a customer record to attach orders to (`customer_id` on create_order). Emails need not be
    unique; search first (search_customers) to avoid duplicates."""
    customer = Customer(customer_id=ids.new_id("customer"), merchant_id=ctx.merchant_id, env_id=ctx.env_id,
                        name=params.name, email=params.email, email_key=params.email.lower() if params.email else None,
                        phone=params.phone, metadata_=params.metadata, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(customer)
    ctx.record("customer", customer.customer_id, "CUSTOMER_CREATED", {"email": [None, customer.email]})
    return customer_out(customer)


@operation("get_customer", http="GET /v1/customers/{customer_id}", scope="customers:read", safety=READ_ONLY,
           summary="Fetch one customer.")
def get_customer(ctx: Context, params: GetCustomerInput) -> CustomerOut:
    """Fetch a customer by id. To find one by name or email, use search_customers; to see their orders,
    list_orders(customer_id=...)."""
    return customer_out(fetch(ctx, Customer, params.customer_id, resource="customer"))


@operation("list_customers", http="GET /v1/customers", scope="customers:read", safety=READ_ONLY,
           summary="List customers, newest first.")
def list_customers(ctx: Context, params: ListCustomersInput) -> Page[CustomerOut]:
    """List customers, newest first, optionally only those with one email."""
    stmt = scoped(ctx, Customer)
    if params.email:
        stmt = stmt.where(Customer.email_key == params.email.lower())
    rows, token = paginate(ctx.session, stmt, Customer.customer_id, params, {"email": params.email})
    return Page[CustomerOut](data=[customer_out(c) for c in rows], next_page_token=token)


@operation("search_customers", http="GET /v1/customers/search", scope="customers:read", safety=READ_ONLY,
           summary="Find customers by part of their email and/or name.")
def search_customers(ctx: Context, params: SearchCustomersInput) -> Page[CustomerOut]:
    """Find customers whose name or email contains `query` (case-insensitive), or narrow by `email` and
    `name` (every filter given must match). Use it before create_order to find `customer_id`, e.g.
    "Sarah's last order": search_customers(query="sarah") -> list_orders(customer_id=..., page_size=1)."""
    stmt = scoped(ctx, Customer)
    if params.query:
        stmt = stmt.where(or_(contains(Customer.name, params.query), contains(Customer.email, params.query)))
    if params.email:
        stmt = stmt.where(contains(Customer.email, params.email))
    if params.name:
        stmt = stmt.where(contains(Customer.name, params.name))
    rows, token = paginate(ctx.session, stmt, Customer.customer_id, params,
                           {"query": params.query, "email": params.email, "name": params.name})
    return Page[CustomerOut](data=[customer_out(c) for c in rows], next_page_token=token)
