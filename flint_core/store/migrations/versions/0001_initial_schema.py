"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

import flint_core.store.tables

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('activities',
    sa.Column('activity_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=False),
    sa.Column('type', sa.String(length=60), nullable=False),
    sa.Column('occurred_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('face', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=True),
    sa.Column('delta', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('activity_id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_object', ['merchant_id', 'env_id', 'object_id'], unique=False)

    op.create_table('api_keys',
    sa.Column('api_key_id', sa.String(length=40), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('redacted', sa.String(length=40), nullable=False),
    sa.Column('expires_at', flint_core.store.tables.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', flint_core.store.tables.UTCDateTime(), nullable=True),
    sa.Column('rolled_to', sa.String(length=40), nullable=True),
    sa.Column('created_by', sa.String(length=40), nullable=True),
    sa.Column('limits', sa.JSON(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('api_key_id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_api_keys_secret_hash'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index('ix_api_keys_scope', ['merchant_id', 'env_id'], unique=False)

    op.create_table('coupons',
    sa.Column('coupon_id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('code_key', sa.String(length=100), nullable=False),
    sa.Column('percentage', sa.String(length=20), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('stackable', sa.Boolean(), nullable=False),
    sa.Column('max_redemptions', sa.Integer(), nullable=True),
    sa.Column('times_redeemed', sa.Integer(), nullable=False),
    sa.Column('expires_at', flint_core.store.tables.UTCDateTime(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('coupon_id', name=op.f('pk_coupons')),
    sa.UniqueConstraint('merchant_id', 'env_id', 'code_key', name='uq_coupons_code')
    )
    op.create_table('customers',
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('email_key', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customers'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_email', ['merchant_id', 'env_id', 'email_key'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('locked_at', flint_core.store.tables.UTCDateTime(), nullable=True),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('merchant_id', 'env_id', 'key', name='uq_idempotency_keys_scope_key')
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_keys_created', ['created_at'], unique=False)

    op.create_table('merchants',
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('merchant_id', name=op.f('pk_merchants'))
    )
    op.create_table('orders',
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('buyer_email', sa.String(length=320), nullable=True),
    sa.Column('tax_address', sa.JSON(), nullable=True),
    sa.Column('tip', sa.JSON(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('subtotal_amount', sa.BigInteger(), nullable=False),
    sa.Column('discount_amount', sa.BigInteger(), nullable=False),
    sa.Column('service_charge_amount', sa.BigInteger(), nullable=False),
    sa.Column('tax_amount', sa.BigInteger(), nullable=False),
    sa.Column('inclusive_tax_amount', sa.BigInteger(), nullable=False),
    sa.Column('tip_amount', sa.BigInteger(), nullable=False),
    sa.Column('total_amount', sa.BigInteger(), nullable=False),
    sa.Column('tax_breakdown', sa.JSON(), nullable=False),
    sa.Column('authorized_amount', sa.BigInteger(), nullable=False),
    sa.Column('paid_amount', sa.BigInteger(), nullable=False),
    sa.Column('refunded_amount', sa.BigInteger(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_orders'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_customer', ['merchant_id', 'env_id', 'customer_id'], unique=False)
        batch_op.create_index('ix_orders_scope', ['merchant_id', 'env_id', 'created_at'], unique=False)
        batch_op.create_index('ix_orders_status', ['merchant_id', 'env_id', 'status'], unique=False)

    op.create_table('previews',
    sa.Column('preview_id', sa.String(length=40), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('expires_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('preview_id', name=op.f('pk_previews'))
    )
    op.create_table('simulator_charges',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('behavior', sa.String(length=40), nullable=False),
    sa.Column('capture', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('amount_captured', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('authentication', sa.String(length=16), nullable=True),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_simulator_charges')),
    sa.UniqueConstraint('reference', name=op.f('uq_simulator_charges_reference'))
    )
    op.create_table('simulator_faults',
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('mode', sa.String(length=24), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('env_id', name=op.f('pk_simulator_faults'))
    )
    op.create_table('simulator_operations',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('charge_reference', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('polls', sa.Integer(), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_simulator_operations')),
    sa.UniqueConstraint('reference', name=op.f('uq_simulator_operations_reference'))
    )
    with op.batch_alter_table('simulator_operations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_simulator_operations_charge_reference'), ['charge_reference'], unique=False)

    op.create_table('tax_rates',
    sa.Column('tax_rate_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('postal_prefix', sa.String(length=20), nullable=True),
    sa.Column('percentage', sa.String(length=20), nullable=False),
    sa.Column('tax_category', sa.String(length=20), nullable=False),
    sa.Column('inclusive', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('tax_rate_id', name=op.f('pk_tax_rates'))
    )
    with op.batch_alter_table('tax_rates', schema=None) as batch_op:
        batch_op.create_index('ix_tax_rates_scope', ['merchant_id', 'env_id'], unique=False)

    op.create_table('order_coupons',
    sa.Column('order_coupon_id', sa.String(length=40), nullable=False),
    sa.Column('coupon_id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('stackable', sa.Boolean(), nullable=False),
    sa.Column('percentage', sa.String(length=20), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('discount_amount', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.coupon_id'], name=op.f('fk_order_coupons_coupon_id_coupons')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.order_id'], name=op.f('fk_order_coupons_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_coupon_id', name=op.f('pk_order_coupons'))
    )
    with op.batch_alter_table('order_coupons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_coupons_order_id'), ['order_id'], unique=False)

    op.create_table('order_line_items',
    sa.Column('line_item_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=True),
    sa.Column('item_id', sa.String(length=40), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('tax_category', sa.String(length=20), nullable=False),
    sa.Column('refunded_quantity', sa.BigInteger(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('gross_amount', sa.BigInteger(), nullable=False),
    sa.Column('discount_amount', sa.BigInteger(), nullable=False),
    sa.Column('service_charge_amount', sa.BigInteger(), nullable=False),
    sa.Column('tax_amount', sa.BigInteger(), nullable=False),
    sa.Column('inclusive_tax_amount', sa.BigInteger(), nullable=False),
    sa.Column('total_amount', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.order_id'], name=op.f('fk_order_line_items_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('line_item_id', name=op.f('pk_order_line_items'))
    )
    with op.batch_alter_table('order_line_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_items_order_id'), ['order_id'], unique=False)

    op.create_table('order_service_charges',
    sa.Column('service_charge_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('percentage', sa.String(length=20), nullable=True),
    sa.Column('taxable', sa.Boolean(), nullable=False),
    sa.Column('applied_amount', sa.BigInteger(), nullable=False),
    sa.Column('tax_amount', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.order_id'], name=op.f('fk_order_service_charges_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_charge_id', name=op.f('pk_order_service_charges'))
    )
    with op.batch_alter_table('order_service_charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_service_charges_order_id'), ['order_id'], unique=False)

    op.create_table('payment_intents',
    sa.Column('payment_intent_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_captured', sa.BigInteger(), nullable=False),
    sa.Column('amount_refunded', sa.BigInteger(), nullable=False),
    sa.Column('capture_method', sa.String(length=16), nullable=False),
    sa.Column('payment_method', sa.JSON(), nullable=False),
    sa.Column('processor', sa.String(length=16), nullable=False),
    sa.Column('processor_reference', sa.String(length=255), nullable=True),
    sa.Column('attempts', sa.JSON(), nullable=False),
    sa.Column('failure', sa.JSON(), nullable=True),
    sa.Column('next_action', sa.JSON(), nullable=True),
    sa.Column('buyer_email', sa.String(length=320), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.order_id'], name=op.f('fk_payment_intents_order_id_orders')),
    sa.PrimaryKeyConstraint('payment_intent_id', name=op.f('pk_payment_intents'))
    )
    with op.batch_alter_table('payment_intents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_intents_order_id'), ['order_id'], unique=False)

    op.create_table('sandboxes',
    sa.Column('sandbox_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('last_reset_at', flint_core.store.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.merchant_id'], name=op.f('fk_sandboxes_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('sandbox_id', name=op.f('pk_sandboxes'))
    )
    with op.batch_alter_table('sandboxes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandboxes_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('checkout_sessions',
    sa.Column('checkout_session_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('success_url', sa.String(length=2048), nullable=False),
    sa.Column('cancel_url', sa.String(length=2048), nullable=True),
    sa.Column('capture_method', sa.String(length=16), nullable=False),
    sa.Column('expires_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=40), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.order_id'], name=op.f('fk_checkout_sessions_order_id_orders')),
    sa.ForeignKeyConstraint(['payment_intent_id'], ['payment_intents.payment_intent_id'], name=op.f('fk_checkout_sessions_payment_intent_id_payment_intents')),
    sa.PrimaryKeyConstraint('checkout_session_id', name=op.f('pk_checkout_sessions'))
    )
    with op.batch_alter_table('checkout_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkout_sessions_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_checkout_sessions_status', ['status', 'expires_at'], unique=False)

    op.create_table('refunds',
    sa.Column('refund_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('tax_amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('line_items', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('processor_reference', sa.String(length=255), nullable=True),
    sa.Column('created_by', sa.String(length=40), nullable=True),
    sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('env_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.order_id'], name=op.f('fk_refunds_order_id_orders')),
    sa.ForeignKeyConstraint(['payment_intent_id'], ['payment_intents.payment_intent_id'], name=op.f('fk_refunds_payment_intent_id_payment_intents')),
    sa.PrimaryKeyConstraint('refund_id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index('ix_refunds_created_by', ['created_by', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_refunds_status', ['status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_refunds_status')
        batch_op.drop_index(batch_op.f('ix_refunds_order_id'))
        batch_op.drop_index('ix_refunds_created_by')

    op.drop_table('refunds')
    with op.batch_alter_table('checkout_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_checkout_sessions_status')
        batch_op.drop_index(batch_op.f('ix_checkout_sessions_order_id'))

    op.drop_table('checkout_sessions')
    with op.batch_alter_table('sandboxes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandboxes_merchant_id'))

    op.drop_table('sandboxes')
    with op.batch_alter_table('payment_intents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_intents_order_id'))

    op.drop_table('payment_intents')
    with op.batch_alter_table('order_service_charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_service_charges_order_id'))

    op.drop_table('order_service_charges')
    with op.batch_alter_table('order_line_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_line_items_order_id'))

    op.drop_table('order_line_items')
    with op.batch_alter_table('order_coupons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_coupons_order_id'))

    op.drop_table('order_coupons')
    with op.batch_alter_table('tax_rates', schema=None) as batch_op:
        batch_op.drop_index('ix_tax_rates_scope')

    op.drop_table('tax_rates')
    with op.batch_alter_table('simulator_operations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_simulator_operations_charge_reference'))

    op.drop_table('simulator_operations')
    op.drop_table('simulator_faults')
    op.drop_table('simulator_charges')
    op.drop_table('previews')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_status')
        batch_op.drop_index('ix_orders_scope')
        batch_op.drop_index('ix_orders_customer')

    op.drop_table('orders')
    op.drop_table('merchants')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_keys_created')

    op.drop_table('idempotency_keys')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_email')

    op.drop_table('customers')
    op.drop_table('coupons')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_api_keys_scope')

    op.drop_table('api_keys')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_object')

    op.drop_table('activities')

