"""catalog items

Items and their variations (the catalog domain), with each tracked variation's stock counts. SKUs are
unique per merchant and environment, compared without case.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

import flint_core.store.tables

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'items',
        sa.Column('item_id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('tax_category', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('image_urls', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('metadata', sa.JSON(), nullable=False),
        sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.Column('merchant_id', sa.String(length=40), nullable=False),
        sa.Column('env_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('item_id', name=op.f('pk_items')),
    )
    op.create_index('ix_items_scope', 'items', ['merchant_id', 'env_id', 'item_id'], unique=False)
    op.create_table(
        'variations',
        sa.Column('variation_id', sa.String(length=40), nullable=False),
        sa.Column('item_id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('sku', sa.String(length=100), nullable=True),
        sa.Column('sku_key', sa.String(length=100), nullable=True),
        sa.Column('pricing_type', sa.String(length=20), nullable=False),
        sa.Column('price_amount', sa.BigInteger(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('track_inventory', sa.Boolean(), nullable=False),
        sa.Column('inventory_policy', sa.String(length=20), nullable=False),
        sa.Column('low_stock_threshold', sa.Integer(), nullable=True),
        sa.Column('on_hand', sa.Integer(), nullable=False),
        sa.Column('reserved', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('metadata', sa.JSON(), nullable=False),
        sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.Column('merchant_id', sa.String(length=40), nullable=False),
        sa.Column('env_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['items.item_id'], name=op.f('fk_variations_item_id_items')),
        sa.PrimaryKeyConstraint('variation_id', name=op.f('pk_variations')),
        sa.UniqueConstraint('merchant_id', 'env_id', 'sku_key', name='uq_variations_sku'),
    )
    op.create_index('ix_variations_item', 'variations', ['item_id', 'position'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_variations_item', table_name='variations')
    op.drop_table('variations')
    op.drop_index('ix_items_scope', table_name='items')
    op.drop_table('items')
