"""order list indexes

list_orders pages by order_id (newest first), within one merchant and environment, optionally of one
status or one customer. The indexes it had led with created_at, or ended at the status or the customer,
so every page sorted the merchant's orders again (SQLite: a temporary B-tree per page). Each index now
ends with order_id, the list's own key: a page is a short walk down the index, however many orders exist.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

NEW = {'ix_orders_scope': ['merchant_id', 'env_id', 'order_id'],
       'ix_orders_customer': ['merchant_id', 'env_id', 'customer_id', 'order_id'],
       'ix_orders_status': ['merchant_id', 'env_id', 'status', 'order_id']}
OLD = {'ix_orders_scope': ['merchant_id', 'env_id', 'created_at'],
       'ix_orders_customer': ['merchant_id', 'env_id', 'customer_id'],
       'ix_orders_status': ['merchant_id', 'env_id', 'status']}


def _replace(indexes: dict[str, list[str]]) -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for name, columns in indexes.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    _replace(OLD)
