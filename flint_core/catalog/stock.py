"""Stock: the counts of tracked variations, their append-only ledger (``InventoryAdjustment``), and the
holds payments take on them (``reserve``, then ``sell`` or ``release``; ``restock`` for refunded units).

Every change of ``on_hand`` or ``reserved`` is one conditional UPDATE (no read-then-write: two requests
cannot both take the last unit) and one ledger row in the same transaction, so the ledger always sums to
the counts. A DENY variation never goes below zero available; a CONTINUE one may (a backorder).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, case, select, update
from sqlalchemy.orm.attributes import set_committed_value

from flint_core.catalog.inputs import InventoryPolicy
from flint_core.catalog.views import InventoryOut, inventory_out
from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.platform import outbox, queue
from flint_core.platform.context import Context
from flint_core.store.tables import InventoryAdjustment, InventoryReservation, Order, Variation


@dataclass(frozen=True, slots=True)
class Counts:
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


# The ledger and the holds are written with Core statements: rows only ever inserted (or, for holds, moved
# on by one UPDATE), so the unit of work has nothing to track and each event's flush nothing to write.
_LEDGER, _HOLDS = InventoryAdjustment.__table__, InventoryReservation.__table__


def counts(ctx: Context, variation_id: str) -> Counts:
    row = ctx.session.execute(select(Variation.on_hand, Variation.reserved)
                              .where(Variation.variation_id == variation_id)).one()
    return Counts(row.on_hand, row.reserved)


def _move(*, expected: bool, guarded: bool) -> Any:
    """The conditional UPDATE that moves a variation's counts, built once per shape (``expected``: only at
    this on_hand; ``guarded``: only if a DENY variation keeps zero or more available)."""
    v = _VARIATIONS.c
    stmt = update(_VARIATIONS).where(v.variation_id == bindparam("id"))
    if expected:
        stmt = stmt.where(v.on_hand == bindparam("expected"))
    if guarded:
        stmt = stmt.where(case((v.inventory_policy == InventoryPolicy.CONTINUE.value, True),
                               else_=v.on_hand + bindparam("on_hand_delta") - v.reserved - bindparam("reserved_delta")
                               >= 0))
    return stmt.values(on_hand=v.on_hand + bindparam("on_hand_delta"),
                       reserved=v.reserved + bindparam("reserved_delta"),
                       updated_at=bindparam("now")).returning(v.on_hand, v.reserved)


_VARIATIONS = Variation.__table__
_MOVES = {(expected, guarded): _move(expected=expected, guarded=guarded)
          for expected in (False, True) for guarded in (False, True)}


def change(ctx: Context, variation: Variation, *, on_hand: int = 0, reserved: int = 0, reason: str, param: str,
           expected_on_hand: int | None = None, order_id: str | None = None, refund_id: str | None = None,
           expires_at: datetime | None = None, enforce: bool = True) -> Counts:
    """Move the counts by ``on_hand`` and ``reserved`` in one conditional UPDATE and write its ledger row;
    returns the counts before the change (``variation`` holds the counts after it). Refused (409, nothing
    written) when a DENY variation would go below zero available (unless not ``enforce``d: a sale the buyer
    already paid for), or when ``expected_on_hand`` is not the count right now."""
    guarded = enforce and on_hand - reserved < 0  # the change lowers what is available
    row = ctx.session.execute(_MOVES[expected_on_hand is not None, guarded], {
        "id": variation.variation_id, "expected": expected_on_hand, "on_hand_delta": on_hand,
        "reserved_delta": reserved, "now": ctx.now}).first()
    if row is None:
        now = counts(ctx, variation.variation_id)
        if expected_on_hand is not None and now.on_hand != expected_on_hand:
            raise FlintError("inventory_changed", param="expected_on_hand", variation_id=variation.variation_id,
                             on_hand=now.on_hand, expected=expected_on_hand)
        raise FlintError("insufficient_inventory", param=param, variation_id=variation.variation_id,
                         available=now.available, wanted=reserved - on_hand)
    for name, value in (("on_hand", row.on_hand), ("reserved", row.reserved), ("updated_at", ctx.now)):
        set_committed_value(variation, name, value)
    ctx.session.execute(_LEDGER.insert(), dict(
        adjustment_id=ids.new_id("inventory_adjustment"), merchant_id=variation.merchant_id,
        env_id=variation.env_id, variation_id=variation.variation_id, item_id=variation.item_id, delta=on_hand,
        reserved_delta=reserved, reason=reason, quantity_after=row.on_hand, reserved_after=row.reserved,
        order_id=order_id, refund_id=refund_id, reservation_expires_at=expires_at,
        actor=ctx.principal.api_key_id if ctx.principal else "system", request_id=ctx.request_id,
        created_at=ctx.now))
    return Counts(row.on_hand - on_hand, row.reserved - reserved)


def announce(ctx: Context, variation: Variation, before: Counts) -> InventoryOut:
    """inventory.adjusted when the counts moved since ``before`` (``variation`` holds them now), and
    inventory.low / inventory.out_of_stock when what is available crossed the threshold or zero on the way
    down."""
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


# Reservations: the units an order's tracked catalog lines need, held for one payment of it.

HELD, SOLD, RELEASED = "HELD", "SOLD", "RELEASED"
HOLD = timedelta(minutes=15)  # how long an API payment's hold outlives an unanswered payment (3D Secure)
EXPIRE_RESERVATIONS = "inventory_reservation_expiry"


def reserve(ctx: Context, order: Order, payment_intent_id: str, until: datetime) -> None:
    """Hold the units of the order's tracked catalog lines for this payment, until ``until`` at the latest
    (in the transaction that creates the payment, before the processor is called). A DENY variation without
    enough available refuses the whole payment: 409 ``insufficient_inventory`` naming the line, nothing held.
    Lines are taken in variation order, so two payments never wait on each other's rows in a circle."""
    lines = [(i, li) for i, li in enumerate(order.line_items) if li.variation_id is not None]
    counted = tracked(ctx, {li.variation_id for _, li in lines})
    holds = []
    for i, li in sorted(lines, key=lambda pair: (pair[1].variation_id, pair[0])):
        variation = counted.get(li.variation_id)
        if variation is None:
            continue
        before = change(ctx, variation, reserved=li.quantity, reason="RESERVED", param=f"line_items.{i}",
                        order_id=order.order_id, expires_at=until)
        holds.append(dict(
            reservation_id=ids.new_id("inventory_reservation"), merchant_id=order.merchant_id, env_id=order.env_id,
            created_at=ctx.now, updated_at=ctx.now, payment_intent_id=payment_intent_id, order_id=order.order_id,
            line_item_id=li.line_item_id, variation_id=variation.variation_id, quantity=li.quantity, status=HELD,
            expires_at=until))
        announce(ctx, variation, before)
    if holds:
        ctx.session.execute(_HOLDS.insert(), holds)
        queue.enqueue(ctx.session, EXPIRE_RESERVATIONS, {"payment_intent_id": payment_intent_id}, run_at=until,
                      dedupe_key=f"{EXPIRE_RESERVATIONS}:{payment_intent_id}")


def sell(ctx: Context, payment_intent_id: str) -> None:
    """The payment succeeded or is authorized: its held units leave the shelf (SOLD). A hold that had
    already lapsed is sold all the same (the buyer paid): a DENY variation may then go below zero."""
    holds = _holds(ctx, payment_intent_id, (HELD, RELEASED))
    for hold, variation in holds:
        reserved = -hold.quantity if hold.status == HELD else 0
        before = change(ctx, variation, on_hand=-hold.quantity, reserved=reserved, reason="SOLD", param="order_id",
                        order_id=hold.order_id, enforce=False)
        announce(ctx, variation, before)
    _settle(ctx, holds, SOLD)


def release(ctx: Context, payment_intent_id: str, *, lapsed_before: datetime | None = None) -> None:
    """The payment failed or was voided (or, with ``lapsed_before``, only its holds that expired by then):
    its units are available again (RELEASED). Units sold on an authorization that was voided go back on
    the shelf."""
    holds = [(hold, variation) for hold, variation in
             _holds(ctx, payment_intent_id, (HELD,) if lapsed_before is not None else (HELD, SOLD))
             if lapsed_before is None or hold.expires_at <= lapsed_before]
    for hold, variation in holds:
        sold = hold.status == SOLD
        before = change(ctx, variation, on_hand=hold.quantity if sold else 0, reserved=0 if sold else -hold.quantity,
                        reason="RELEASED", param="order_id", order_id=hold.order_id)
        announce(ctx, variation, before)
    _settle(ctx, holds, RELEASED)


def restock(ctx: Context, variation_id: str, quantity: int, *, order_id: str, refund_id: str, param: str) -> None:
    """Refunded units come back on the shelf (RESTOCKED)."""
    variation = tracked(ctx, {variation_id}).get(variation_id)
    if variation is None:  # tracking was turned off since the refund was planned: nothing to count
        return
    before = change(ctx, variation, on_hand=quantity, reason="RESTOCKED", param=param, order_id=order_id,
                    refund_id=refund_id)
    announce(ctx, variation, before)


def tracked(ctx: Context, variation_ids: set[str]) -> dict[str, Variation]:
    """The variations among these that track their stock, read as they are now."""
    if not variation_ids:
        return {}
    rows = ctx.session.scalars(select(Variation).where(Variation.variation_id.in_(variation_ids),
                                                       Variation.track_inventory.is_(True))
                               .execution_options(populate_existing=True))
    return {v.variation_id: v for v in rows}


def _holds(ctx: Context, payment_intent_id: str, statuses: tuple[str, ...]) -> list[tuple[Row[Any], Variation]]:
    """The payment's holds in these statuses, locked, with their variations, in variation order."""
    holds = ctx.session.execute(select(_HOLDS).where(
        _HOLDS.c.payment_intent_id == payment_intent_id, _HOLDS.c.status.in_(statuses))
        .order_by(_HOLDS.c.variation_id, _HOLDS.c.reservation_id).with_for_update()).all()
    if not holds:
        return []
    variations = {v.variation_id: v for v in ctx.session.scalars(
        select(Variation).where(Variation.variation_id.in_({h.variation_id for h in holds}))
        .execution_options(populate_existing=True))}
    return [(hold, variations[hold.variation_id]) for hold in holds]


def _settle(ctx: Context, holds: list[tuple[Row[Any], Variation]], status: str) -> None:
    if holds:
        ctx.session.execute(update(_HOLDS).where(_HOLDS.c.reservation_id.in_([h.reservation_id for h, _ in holds]))
                            .values(status=status, updated_at=ctx.now))
