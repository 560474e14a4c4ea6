"""enqueue pending work

Data only. Before the job queue, PENDING refunds and OPEN checkout sessions were found by polling sweeps;
now each has a job, queued when the work becomes due. Work already pending when a database is upgraded
gets its job here: a ``settle_refund`` job due now for every PENDING refund, and an
``expire_checkout_session`` job for every OPEN session, due at its ``expires_at`` (now if its order
already left OPEN). Job kinds, payloads and dedupe keys are those of flint_core.refunds.jobs and
flint_core.checkout.jobs; a job that already exists is left alone, so running this twice queues nothing twice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import flint_core.store.tables

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# The tables as this migration knows them (never the live models: those move on).
jobs = sa.table('jobs', sa.column('kind', sa.String), sa.column('payload', sa.JSON),
                sa.column('run_at', flint_core.store.tables.UTCDateTime()), sa.column('status', sa.String),
                sa.column('attempts', sa.Integer), sa.column('dedupe_key', sa.String),
                sa.column('created_at', flint_core.store.tables.UTCDateTime()))
refunds = sa.table('refunds', sa.column('refund_id', sa.String), sa.column('status', sa.String))
sessions = sa.table('checkout_sessions', sa.column('checkout_session_id', sa.String), sa.column('order_id', sa.String),
                    sa.column('status', sa.String), sa.column('expires_at', flint_core.store.tables.UTCDateTime()))
orders = sa.table('orders', sa.column('order_id', sa.String), sa.column('status', sa.String))
BATCH = 1000


def upgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    existing = set(conn.scalars(sa.select(jobs.c.dedupe_key).where(jobs.c.dedupe_key.is_not(None))))
    rows = []
    for (refund_id,) in conn.execute(sa.select(refunds.c.refund_id).where(refunds.c.status == 'PENDING')):
        rows.append(('settle_refund', {'refund_id': refund_id}, now, f'settle_refund:{refund_id}'))
    open_sessions = sa.select(sessions.c.checkout_session_id, sessions.c.expires_at, orders.c.status).join(
        orders, orders.c.order_id == sessions.c.order_id).where(sessions.c.status == 'OPEN')
    for session_id, expires_at, order_status in conn.execute(open_sessions):
        rows.append(('expire_checkout_session', {'checkout_session_id': session_id},
                     expires_at if order_status == 'OPEN' else now, f'expire_checkout_session:{session_id}'))
    values = [dict(kind=kind, payload=payload, run_at=run_at, status='QUEUED', attempts=0, dedupe_key=key,
                   created_at=now) for kind, payload, run_at, key in rows if key not in existing]
    for start in range(0, len(values), BATCH):
        conn.execute(jobs.insert(), values[start:start + BATCH])


def downgrade() -> None:
    pass  # the jobs stay valid work; 0002's downgrade drops the table
