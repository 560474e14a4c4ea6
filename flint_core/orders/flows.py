"""Where higher domains plug into an order's life. Orders declare these points and call them; the
domains that fill them (checkout, payments) import orders, never the other way round.

- ``CHECKOUT_FLOWS``: what create_order does for a ``checkout_flow`` (checkout fills HOSTED: open a
  hosted checkout session for the new order).
- ``HOLD_RELEASERS``: how cancel_order voids the holds of an AUTHORIZED order at the processor
  (payments fills it); each returns the order re-read under its lock.
- ``LEFT_OPEN``: reactions to an order leaving OPEN (paid, authorized or canceled), run by
  ``transitions.move_order`` in the transaction that moved it (checkout ends the order's open sessions).
"""

from __future__ import annotations

from collections.abc import Callable

from flint_core.orders.inputs import CheckoutFlow, CreateOrderInput
from flint_core.platform.context import Context
from flint_core.store.tables import Order

CHECKOUT_FLOWS: dict[CheckoutFlow, Callable[[Context, Order, CreateOrderInput], None]] = {}
HOLD_RELEASERS: list[Callable[[Context, Order], Order]] = []
LEFT_OPEN: list[Callable[[Context, Order], None]] = []
