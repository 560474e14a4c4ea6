"""saved payment methods and setup intents

Customers' saved cards (payment_methods) and the setup intents that save them, the customer's default
card, what a payment intent charged (a saved card, off session, to be saved), and the simulator's own
record of card setups.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

import flint_core.store.tables

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'payment_methods',
        sa.Column('payment_method_id', sa.String(length=40), nullable=False),
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('type', sa.String(length=16), nullable=False),
        sa.Column('brand', sa.String(length=20), nullable=False),
        sa.Column('last4', sa.String(length=4), nullable=False),
        sa.Column('exp_month', sa.Integer(), nullable=False),
        sa.Column('exp_year', sa.Integer(), nullable=False),
        sa.Column('funding', sa.String(length=16), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=True),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('usage', sa.String(length=16), nullable=False),
        sa.Column('processor', sa.String(length=16), nullable=False),
        sa.Column('processor_reference', sa.String(length=255), nullable=False),
        sa.Column('created_from', sa.String(length=16), nullable=False),
        sa.Column('last_used_at', flint_core.store.tables.UTCDateTime(), nullable=True),
        sa.Column('detached_at', flint_core.store.tables.UTCDateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('metadata', sa.JSON(), nullable=False),
        sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.Column('merchant_id', sa.String(length=40), nullable=False),
        sa.Column('env_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'],
                                name=op.f('fk_payment_methods_customer_id_customers')),
        sa.PrimaryKeyConstraint('payment_method_id', name=op.f('pk_payment_methods')),
    )
    op.create_index('ix_payment_methods_customer', 'payment_methods', ['customer_id', 'payment_method_id'])
    op.create_index('ix_payment_methods_fingerprint', 'payment_methods', ['customer_id', 'fingerprint'])
    op.create_table(
        'setup_intents',
        sa.Column('setup_intent_id', sa.String(length=40), nullable=False),
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('usage', sa.String(length=16), nullable=False),
        sa.Column('card', sa.JSON(), nullable=False),
        sa.Column('payment_method_id', sa.String(length=40), nullable=True),
        sa.Column('processor', sa.String(length=16), nullable=False),
        sa.Column('processor_reference', sa.String(length=255), nullable=True),
        sa.Column('next_action', sa.JSON(), nullable=True),
        sa.Column('failure', sa.JSON(), nullable=True),
        sa.Column('expires_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=255), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('metadata', sa.JSON(), nullable=False),
        sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.Column('merchant_id', sa.String(length=40), nullable=False),
        sa.Column('env_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'],
                                name=op.f('fk_setup_intents_customer_id_customers')),
        sa.PrimaryKeyConstraint('setup_intent_id', name=op.f('pk_setup_intents')),
    )
    op.create_index('ix_setup_intents_customer', 'setup_intents', ['customer_id', 'setup_intent_id'])
    op.create_table(
        'simulator_setups',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('reference', sa.String(length=64), nullable=False),
        sa.Column('env_id', sa.String(length=40), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('brand', sa.String(length=20), nullable=True),
        sa.Column('last4', sa.String(length=4), nullable=True),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('authentication', sa.String(length=16), nullable=True),
        sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_simulator_setups')),
        sa.UniqueConstraint('reference', name=op.f('uq_simulator_setups_reference')),
    )
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('default_payment_method_id', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('processor_reference', sa.String(length=255), nullable=True))
    with op.batch_alter_table('payment_intents') as batch:
        batch.add_column(sa.Column('payment_method_id', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('off_session', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('save_payment_method', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('payment_intents') as batch:
        batch.drop_column('save_payment_method')
        batch.drop_column('off_session')
        batch.drop_column('payment_method_id')
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('processor_reference')
        batch.drop_column('default_payment_method_id')
    op.drop_table('simulator_setups')
    op.drop_index('ix_setup_intents_customer', table_name='setup_intents')
    op.drop_table('setup_intents')
    op.drop_index('ix_payment_methods_fingerprint', table_name='payment_methods')
    op.drop_index('ix_payment_methods_customer', table_name='payment_methods')
    op.drop_table('payment_methods')
