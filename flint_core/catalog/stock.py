"""Stock: the counts of tracked variations and their append-only ledger (``InventoryAdjustment``).

Every change of ``on_hand`` or ``reserved`` is one conditional UPDATE (no read-then-write: two requests
cannot both take the last unit) and one ledger row in the same transaction, so the ledger always sums to
the counts. A DENY variation never goes below zero available; a CONTINUE one may (a backorder).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, select, update

from flint_core.catalog.inputs import InventoryPolicy
from flint_core.catalog.views import InventoryOut, inventory_out
from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.platform import outbox
from flint_core.platform.context import Context
from flint_core.store.tables import InventoryAdjustment, Variation


@dataclass(frozen=True, slots=True)
class Counts:
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def counts(ctx: Context, variation_id: str) -> Counts:
    row = ctx.session.execute(select(Variation.on_hand, Variation.reserved)
                              .where(Variation.variation_id == variation_id)).one()
    return Counts(row.on_hand, row.reserved)


def change(ctx: Context, variation: Variation, *, on_hand: int = 0, reserved: int = 0, reason: str, param: str,
           expected_on_hand: int | None = None, order_id: str | None = None, refund_id: str | None = None
           ) -> InventoryAdjustment | None:
    """Move the counts by ``on_hand`` and ``reserved`` in one conditional UPDATE and write its ledger row.
    Refused (409, nothing written) when a DENY variation would go below zero available, or when
    ``expected_on_hand`` is not the count right now."""
    stmt = update(Variation).where(Variation.variation_id == variation.variation_id)
    if expected_on_hand is not None:
        stmt = stmt.where(Variation.on_hand == expected_on_hand)
    if on_hand - reserved < 0:  # the change lowers what is available
        stmt = stmt.where(case((Variation.inventory_policy == InventoryPolicy.CONTINUE.value, True),
                               else_=Variation.on_hand + on_hand - Variation.reserved - reserved >= 0))
    done = ctx.session.execute(stmt.values(on_hand=Variation.on_hand + on_hand, reserved=Variation.reserved + reserved,
                                           updated_at=ctx.now).execution_options(synchronize_session=False))
    now = counts(ctx, variation.variation_id)
    if done.rowcount == 0:
        if expected_on_hand is not None and now.on_hand != expected_on_hand:
            raise FlintError("inventory_changed", param="expected_on_hand", variation_id=variation.variation_id,
                             on_hand=now.on_hand, expected=expected_on_hand)
        raise FlintError("insufficient_inventory", param=param, variation_id=variation.variation_id,
                         available=now.available, wanted=reserved - on_hand)
    ctx.session.expire(variation, ["on_hand", "reserved", "updated_at"])
    delta = on_hand if on_hand else reserved
    adjustment = InventoryAdjustment(
        adjustment_id=ids.new_id("inventory_adjustment"), merchant_id=ctx.merchant_id, env_id=ctx.env_id,
        variation_id=variation.variation_id, item_id=variation.item_id, delta=delta, reason=reason,
        quantity_after=now.on_hand, reserved_after=now.reserved, order_id=order_id, refund_id=refund_id,
        actor=ctx.principal.api_key_id if ctx.principal else "system", request_id=ctx.request_id,
        created_at=ctx.now)
    ctx.session.add(adjustment)
    return adjustment


def announce(ctx: Context, variation: Variation, before: Counts) -> InventoryOut:
    """inventory.adjusted when the counts moved, and inventory.low / inventory.out_of_stock when what is
    available crossed the threshold or zero on the way down."""
    ctx.session.refresh(variation)
    out = inventory_out(variation)
    now = Counts(variation.on_hand, variation.reserved)
    if (now.on_hand, now.reserved) == (before.on_hand, before.reserved):
        return out
    obj = out.model_dump(mode="json")
    previous = {"on_hand": before.on_hand, "reserved": before.reserved, "available": before.available}
    previous = {k: v for k, v in previous.items() if v != obj[k]}
    outbox.emit(ctx, "inventory.adjusted", obj, previous_attributes=previous)
    threshold = variation.low_stock_threshold
    if threshold is not None and before.available > threshold >= now.available > 0:
        outbox.emit(ctx, "inventory.low", obj, previous_attributes=previous)
    if before.available > 0 >= now.available:
        outbox.emit(ctx, "inventory.out_of_stock", obj, previous_attributes=previous)
    return out
