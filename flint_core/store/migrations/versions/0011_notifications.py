"""notifications

The outbox of messages to buyers (payment receipts, refund confirmations: the notifications domain),
and each sandbox's opt-in to having its emails really sent (email_delivery, off for every existing one).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

import flint_core.store.tables

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notifications',
        sa.Column('notification_id', sa.String(length=40), nullable=False),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('customer_id', sa.String(length=40), nullable=True),
        sa.Column('order_id', sa.String(length=40), nullable=True),
        sa.Column('payment_intent_id', sa.String(length=40), nullable=True),
        sa.Column('refund_id', sa.String(length=40), nullable=True),
        sa.Column('to_address', sa.String(length=320), nullable=False),
        sa.Column('reply_to', sa.String(length=320), nullable=True),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('text_body', sa.Text(), nullable=False),
        sa.Column('html_body', sa.Text(), nullable=False),
        sa.Column('message_id', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('skip_reason', sa.String(length=300), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_attempt_at', flint_core.store.tables.UTCDateTime(), nullable=True),
        sa.Column('next_attempt_at', flint_core.store.tables.UTCDateTime(), nullable=True),
        sa.Column('smtp_reply', sa.String(length=1000), nullable=True),
        sa.Column('sent_at', flint_core.store.tables.UTCDateTime(), nullable=True),
        sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.Column('merchant_id', sa.String(length=40), nullable=False),
        sa.Column('env_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('notification_id', name=op.f('pk_notifications')),
    )
    op.create_index('ix_notifications_scope', 'notifications', ['merchant_id', 'env_id', 'notification_id'],
                    unique=False)
    op.create_index('ix_notifications_customer', 'notifications',
                    ['merchant_id', 'env_id', 'customer_id', 'notification_id'], unique=False)
    op.create_index('ix_notifications_order', 'notifications', ['merchant_id', 'env_id', 'order_id', 'notification_id'],
                    unique=False)
    with op.batch_alter_table('sandboxes') as batch:
        batch.add_column(sa.Column('email_delivery', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('sandboxes') as batch:
        batch.drop_column('email_delivery')
    op.drop_index('ix_notifications_order', table_name='notifications')
    op.drop_index('ix_notifications_customer', table_name='notifications')
    op.drop_index('ix_notifications_scope', table_name='notifications')
    op.drop_table('notifications')
