"""checkout sessions by order

An order shows the newest OPEN session that can still take its payment (``checkout_session_url``); a
page of orders reads it in the page's own query, one index probe per order. The index on order_id alone
left that probe to sort the order's sessions; ending the index with checkout_session_id (ids sort by
creation) gives the newest first.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('checkout_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_checkout_sessions_order_id')
        batch_op.create_index('ix_checkout_sessions_order', ['order_id', 'checkout_session_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('checkout_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_checkout_sessions_order')
        batch_op.create_index('ix_checkout_sessions_order_id', ['order_id'], unique=False)
