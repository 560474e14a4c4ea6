"""The test-mode card simulator's own tables (``flint_core.processors.simulator``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Amount, Base, Id, UTCDateTime


class SimulatedCharge(Base):
    """The test-mode processor's own ledger. It lives beside Flint's tables but is written in its own
    transactions, like an external system: a Flint rollback never erases what the processor did."""

    __tablename__ = "simulator_charges"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)  # the caller's idempotency key
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    env_id: Mapped[str] = mapped_column(Id)
    behavior: Mapped[str] = mapped_column(String(40))
    capture: Mapped[bool] = mapped_column(Boolean)  # capture at once, or hold
    status: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int] = mapped_column(Amount)
    amount_captured: Mapped[int] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    authentication: Mapped[str | None] = mapped_column(String(16), nullable=True)  # 3DS: passed | failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimulatedSetup(Base):
    """The test-mode processor's card setups (saving a card, with 3D Secure when the card asks for it),
    by the caller's key; written in the simulator's own transactions like its charges."""

    __tablename__ = "simulator_setups"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    env_id: Mapped[str] = mapped_column(Id)
    token: Mapped[str] = mapped_column(String(64))  # a test card's token: what charges it later
    brand: Mapped[str | None] = mapped_column(String(20), nullable=True)
    last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    status: Mapped[str] = mapped_column(String(24))
    authentication: Mapped[str | None] = mapped_column(String(16), nullable=True)  # 3DS: passed | failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimulatedOperation(Base):
    """Answers to the simulator's non-authorize calls (capture, void, confirm, refund), by key."""

    __tablename__ = "simulator_operations"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    charge_reference: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(16))
    polls: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimulatorFault(Base):
    """Per-sandbox fault switch: the next ``remaining`` processor calls fail with ``mode``."""

    __tablename__ = "simulator_faults"
    env_id: Mapped[str] = mapped_column(Id, primary_key=True)
    mode: Mapped[str] = mapped_column(String(24))  # TIMEOUT (call happens, answer lost) | UNAVAILABLE (5xx)
    remaining: Mapped[int] = mapped_column(Integer)
