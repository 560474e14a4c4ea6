"""inventory adjustments

The append-only ledger of tracked variations' stock: every change of on_hand or reserved, with the
order, refund, key and request behind it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

import flint_core.store.tables

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inventory_adjustments',
        sa.Column('adjustment_id', sa.String(length=40), nullable=False),
        sa.Column('variation_id', sa.String(length=40), nullable=False),
        sa.Column('item_id', sa.String(length=40), nullable=False),
        sa.Column('delta', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('quantity_after', sa.Integer(), nullable=False),
        sa.Column('reserved_after', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.String(length=40), nullable=True),
        sa.Column('refund_id', sa.String(length=40), nullable=True),
        sa.Column('actor', sa.String(length=40), nullable=False),
        sa.Column('request_id', sa.String(length=40), nullable=True),
        sa.Column('merchant_id', sa.String(length=40), nullable=False),
        sa.Column('env_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['variation_id'], ['variations.variation_id'],
                                name=op.f('fk_inventory_adjustments_variation_id_variations')),
        sa.PrimaryKeyConstraint('adjustment_id', name=op.f('pk_inventory_adjustments')),
    )
    op.create_index('ix_inventory_adjustments_variation', 'inventory_adjustments',
                    ['variation_id', 'adjustment_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inventory_adjustments_variation', table_name='inventory_adjustments')
    op.drop_table('inventory_adjustments')
