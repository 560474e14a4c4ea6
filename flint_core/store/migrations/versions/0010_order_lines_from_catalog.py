"""order lines from the catalog, stock reservations

Order lines remember the variation they were sold from (with the catalog version of their snapshot);
the stock ledger records how reserved moved beside on_hand; and each payment's hold on stock is a row
of inventory_reservations until it is sold or released.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

import flint_core.store.tables

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('order_line_items') as batch:
        batch.add_column(sa.Column('variation_id', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('variation_name', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('catalog_version', sa.Integer(), nullable=True))
    with op.batch_alter_table('inventory_adjustments') as batch:
        batch.add_column(sa.Column('reserved_delta', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('reservation_expires_at', flint_core.store.tables.UTCDateTime(), nullable=True))
    op.create_table(
        'inventory_reservations',
        sa.Column('reservation_id', sa.String(length=40), nullable=False),
        sa.Column('payment_intent_id', sa.String(length=40), nullable=False),
        sa.Column('order_id', sa.String(length=40), nullable=False),
        sa.Column('line_item_id', sa.String(length=40), nullable=False),
        sa.Column('variation_id', sa.String(length=40), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('expires_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.Column('merchant_id', sa.String(length=40), nullable=False),
        sa.Column('env_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['variation_id'], ['variations.variation_id'],
                                name=op.f('fk_inventory_reservations_variation_id_variations')),
        sa.PrimaryKeyConstraint('reservation_id', name=op.f('pk_inventory_reservations')),
    )
    op.create_index('ix_inventory_reservations_payment', 'inventory_reservations', ['payment_intent_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_inventory_reservations_payment', table_name='inventory_reservations')
    op.drop_table('inventory_reservations')
    with op.batch_alter_table('inventory_adjustments') as batch:
        batch.drop_column('reservation_expires_at')
        batch.drop_column('reserved_delta')
    with op.batch_alter_table('order_line_items') as batch:
        batch.drop_column('catalog_version')
        batch.drop_column('variation_name')
        batch.drop_column('variation_id')
