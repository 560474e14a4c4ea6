"""activity sequence

Every activity gets ``sequence``: its place in its object's history (1, 2, 3... per merchant, environment,
object type and object id), assigned from now on under the object's row lock (``Context.record``). Rows
that already exist are numbered here in (occurred_at, activity_id) order per object, the order lists used
before. The unique index on (merchant_id, env_id, object_id, object_type, sequence) replaces
ix_activities_object: it serves the same lookups, sorts an object's history, and refuses a second
activity with a number already taken.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

import flint_core.store.tables

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The table as this migration knows it (never the live model: that moves on).
activities = sa.table('activities', sa.column('activity_id', sa.String), sa.column('merchant_id', sa.String),
                      sa.column('env_id', sa.String), sa.column('object_type', sa.String),
                      sa.column('object_id', sa.String),
                      sa.column('occurred_at', flint_core.store.tables.UTCDateTime()),
                      sa.column('sequence', sa.Integer))


def upgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
    # One statement for every object: number each object's rows with a window function, then copy the
    # numbers over by id (UPDATE ... FROM: PostgreSQL, and SQLite since 3.33).
    ranked = sa.select(activities.c.activity_id, sa.func.row_number().over(
        partition_by=(activities.c.merchant_id, activities.c.env_id, activities.c.object_type,
                      activities.c.object_id),
        order_by=(activities.c.occurred_at, activities.c.activity_id)).label('n')).subquery()
    op.get_bind().execute(activities.update().values(sequence=ranked.c.n)
                          .where(activities.c.activity_id == ranked.c.activity_id))
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.alter_column('sequence', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index('ix_activities_object')
        batch_op.create_index('uq_activities_object_sequence',
                              ['merchant_id', 'env_id', 'object_id', 'object_type', 'sequence'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('uq_activities_object_sequence')
        batch_op.create_index('ix_activities_object', ['merchant_id', 'env_id', 'object_id'], unique=False)
        batch_op.drop_column('sequence')
