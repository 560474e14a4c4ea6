"""checkout sessions that save a card

A checkout session in SETUP mode saves a customer's card on the hosted page without an order: it names
the customer and the setup intent it saves with, and has no order. A setup intent says whether the card
it saved was already on file (``duplicate``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('checkout_sessions') as batch:
        batch.add_column(sa.Column('mode', sa.String(length=8), nullable=False, server_default='PAYMENT'))
        batch.add_column(sa.Column('customer_id', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('setup_intent_id', sa.String(length=40), nullable=True))
        batch.alter_column('order_id', existing_type=sa.String(length=40), nullable=True)
        batch.create_foreign_key(batch.f('fk_checkout_sessions_customer_id_customers'), 'customers',
                                 ['customer_id'], ['customer_id'])
        batch.create_foreign_key(batch.f('fk_checkout_sessions_setup_intent_id_setup_intents'), 'setup_intents',
                                 ['setup_intent_id'], ['setup_intent_id'])
        batch.create_index('ix_checkout_sessions_setup_intent', ['setup_intent_id'], unique=False)
    with op.batch_alter_table('setup_intents') as batch:
        batch.add_column(sa.Column('duplicate', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('setup_intents') as batch:
        batch.drop_column('duplicate')
    op.execute("DELETE FROM checkout_sessions WHERE mode = 'SETUP'")
    with op.batch_alter_table('checkout_sessions') as batch:
        batch.drop_index('ix_checkout_sessions_setup_intent')
        batch.drop_constraint('fk_checkout_sessions_setup_intent_id_setup_intents', type_='foreignkey')
        batch.drop_constraint('fk_checkout_sessions_customer_id_customers', type_='foreignkey')
        batch.alter_column('order_id', existing_type=sa.String(length=40), nullable=False)
        batch.drop_column('setup_intent_id')
        batch.drop_column('customer_id')
        batch.drop_column('mode')
