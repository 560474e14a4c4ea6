"""Merchants, their sandboxes and their API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Base, Id, Scoped, UTCDateTime


class Merchant(Base):
    __tablename__ = "merchants"
    merchant_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Sandbox(Base):
    __tablename__ = "sandboxes"
    sandbox_id: Mapped[str] = mapped_column(Id, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(Id, ForeignKey("merchants.merchant_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Test mode sends its emails only when the sandbox opts in (live mode always does): docs/notifications.md
    email_delivery: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiKey(Scoped, Base):
    __tablename__ = "api_keys"
    api_key_id: Mapped[str] = mapped_column(Id, primary_key=True)
    mode: Mapped[str] = mapped_column(String(8))  # test | live
    kind: Mapped[str] = mapped_column(String(16))  # secret | restricted
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    redacted: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rolled_to: Mapped[str | None] = mapped_column(Id, nullable=True)
    created_by: Mapped[str | None] = mapped_column(Id, nullable=True)
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # agent guard rails, see auth.KeyLimits
    __table_args__ = (Index("ix_api_keys_scope", "merchant_id", "env_id"),)
