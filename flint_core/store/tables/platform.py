"""The machinery's tables (``flint_core.platform``): idempotency keys, destructive-action previews, the job
queue, request logs and rate-limit buckets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from flint_core.store.tables.base import Base, Id, Scoped, UTCDateTime


class IdempotencyRecord(Base):
    """A claimed idempotency key and, once execution finished, the response to replay byte for byte."""

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    key: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(Id)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # set while executing
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("merchant_id", "env_id", "key", name="uq_idempotency_keys_scope_key"),
                      Index("ix_idempotency_keys_created", "created_at"))


class Preview(Scoped, Base):
    """A confirmed-destructive-action token: the exact parameters and object version a preview showed."""

    __tablename__ = "previews"
    preview_id: Mapped[str] = mapped_column(Id, primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(Id)
    version: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Job(Base):
    """Due work (webhook deliveries, refund settlement, session expiry...). A row exists while the work is
    pending: a worker leases it (``locked_by``/``locked_until``), does it, and deletes it in the same
    transaction as the work's effects. A worker that dies leaves a lease that lapses; another takes over."""

    __tablename__ = "jobs"
    job_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                        autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12))  # QUEUED | DEAD (gave up; kept for inspection)
    attempts: Mapped[int] = mapped_column(Integer)
    locked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_jobs_due", "status", "run_at"),)


class RequestLog(Base):
    """One row per request on every face: who asked for what, and what came of it (secrets redacted)."""

    __tablename__ = "request_logs"
    request_id: Mapped[str] = mapped_column(Id, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    api_key_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    face: Mapped[str] = mapped_column(String(16))
    operation: Mapped[str | None] = mapped_column(String(64), nullable=True)
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(2048))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    replayed: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int] = mapped_column(Integer)
    error_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    object_ids: Mapped[list[str]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_request_logs_scope", "merchant_id", "env_id", "request_id"),)


class RequestLogObject(Base):
    """The objects a request touched, one row each, so logs can be filtered by resource id."""

    __tablename__ = "request_log_objects"
    request_id: Mapped[str] = mapped_column(Id, ForeignKey("request_logs.request_id", ondelete="CASCADE"),
                                            primary_key=True)
    object_id: Mapped[str] = mapped_column(Id, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(Id)
    env_id: Mapped[str] = mapped_column(Id)
    __table_args__ = (Index("ix_request_log_objects_object", "merchant_id", "env_id", "object_id"),)


class RateLimitBucket(Base):
    """A shared rate-limit budget (GCRA): ``tat_us`` is the theoretical arrival time, in microseconds since
    the epoch, of the next request. Stored in the database so every server worker draws on one budget."""

    __tablename__ = "rate_limit_buckets"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    tat_us: Mapped[int] = mapped_column(BigInteger)


class McpSession(Base):
    """The toolsets an MCP client enabled in its session on streamable HTTP (``enable_toolset``). The
    transport is stateless, so any worker answers any request: the session lives here, under the
    ``Mcp-Session-Id`` Flint gave the client, and only the key that enabled them sees them."""

    __tablename__ = "mcp_sessions"
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_key_id: Mapped[str] = mapped_column(Id)
    toolsets: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
