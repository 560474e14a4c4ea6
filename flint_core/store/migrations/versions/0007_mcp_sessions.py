"""mcp sessions

The toolsets an MCP client enabled in its session on streamable HTTP (``enable_toolset``), kept in the
database so any worker can answer the session's next request.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

import flint_core.store.tables

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'mcp_sessions',
        sa.Column('session_id', sa.String(length=64), nullable=False),
        sa.Column('api_key_id', sa.String(length=40), nullable=False),
        sa.Column('toolsets', sa.JSON(), nullable=False),
        sa.Column('created_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.Column('updated_at', flint_core.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('session_id'),
    )
    op.create_index('ix_mcp_sessions_updated_at', 'mcp_sessions', ['updated_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_mcp_sessions_updated_at', table_name='mcp_sessions')
    op.drop_table('mcp_sessions')
