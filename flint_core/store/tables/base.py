"""What every table module shares: the declarative ``Base`` (one metadata, one naming convention), the
column types (``UTCDateTime``, ``Amount``, ``Id``), the ``Scoped`` columns of tenant-owned rows, and ``LIVE``.

Every row carries ``merchant_id`` and ``env_id`` (a sandbox id, or ``live``): every query is scoped by
both, so one key can never see another merchant's or sandbox's data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

LIVE = "live"  # env_id of live mode; test mode rows carry their sandbox id


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite has no time zones: store naive UTC, return aware)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


Amount = BigInteger  # integer minor units
Id = String(40)

convention = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
              "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=convention)


class Scoped:
    """Columns every tenant-owned row has."""

    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
