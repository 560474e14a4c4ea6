"""events webhooks jobs request logs rate limits

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

import flint_core.store.tables

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('events',
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('request_id', sa.String(length=40), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_object', ['merchant_id', 'env_id', 'object_id'], unique=False)
        batch_op.create_index('ix_events_order', ['merchant_id', 'env_id', 'order_id'], unique=False)
        batch_op.create_index('ix_events_scope', ['merchant_id', 'env_id', 'event_id'], unique=False)

    op.create_table('jobs',
    sa.Column('job_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('run_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('locked_by', sa.String(length=64), nullable=True),
    sa.Column('locked_until', flint_core.store.tables.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_jobs_dedupe_key'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_due', ['status', 'run_at'], unique=False)

    op.create_table('rate_limit_buckets',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('tat_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_buckets'))
    )
    op.create_table('request_logs',
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('api_key_id', sa.String(length=40), nullable=True),
    sa.Column('face', sa.String(length=16), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('path', sa.String(length=2048), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('replayed', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('error_type', sa.String(length=40), nullable=True),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('object_ids', sa.JSON(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_request_logs'))
    )
    with op.batch_alter_table('request_logs', schema=None) as batch_op:
        batch_op.create_index('ix_request_logs_scope', ['merchant_id', 'env_id', 'request_id'], unique=False)

    op.create_table('webhook_endpoints',
    sa.Column('webhook_endpoint_id', sa.String(length=40), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('enabled_events', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('disabled_reason', sa.String(length=200), nullable=True),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('previous_secret', sa.String(length=100), nullable=True),
    sa.Column('previous_secret_expires_at', flint_core.store.tables.UTCDateTime(), nullable=True),
    sa.Column('failing_since', flint_core.store.tables.UTCDateTime(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('webhook_endpoint_id', name=op.f('pk_webhook_endpoints'))
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_endpoints_scope', ['merchant_id', 'env_id'], unique=False)

    op.create_table('request_log_objects',
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['request_logs.request_id'], name=op.f('fk_request_log_objects_request_id_request_logs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'object_id', name=op.f('pk_request_log_objects'))
    )
    with op.batch_alter_table('request_log_objects', schema=None) as batch_op:
        batch_op.create_index('ix_request_log_objects_object', ['merchant_id', 'env_id', 'object_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('webhook_delivery_id', sa.String(length=40), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('webhook_endpoint_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.JSON(), nullable=False),
    sa.Column('next_attempt_at', flint_core.store.tables.UTCDateTime(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.event_id'], name=op.f('fk_webhook_deliveries_event_id_events')),
    sa.PrimaryKeyConstraint('webhook_delivery_id', name=op.f('pk_webhook_deliveries'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_endpoint', ['merchant_id', 'env_id', 'webhook_endpoint_id'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_event', ['merchant_id', 'env_id', 'event_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_event')
        batch_op.drop_index('ix_webhook_deliveries_endpoint')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('request_log_objects', schema=None) as batch_op:
        batch_op.drop_index('ix_request_log_objects_object')

    op.drop_table('request_log_objects')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_endpoints_scope')

    op.drop_table('webhook_endpoints')
    with op.batch_alter_table('request_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_request_logs_scope')

    op.drop_table('request_logs')
    op.drop_table('rate_limit_buckets')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_due')

    op.drop_table('jobs')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_scope')
        batch_op.drop_index('ix_events_order')
        batch_op.drop_index('ix_events_object')

    op.drop_table('events')

