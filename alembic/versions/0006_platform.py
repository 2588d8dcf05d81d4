"""Worker heartbeats (``worker_heartbeats``) and event payloads too large for a NOTIFY (``event_payloads``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('worker_heartbeats',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('hostname', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('is_leader', sa.Boolean(), nullable=False),
    sa.Column('services', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_beat', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_worker_heartbeats_last_beat'), 'worker_heartbeats', ['last_beat'], unique=False)
    op.create_table('event_payloads',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_ids', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('event_payloads')
    op.drop_index(op.f('ix_worker_heartbeats_last_beat'), table_name='worker_heartbeats')
    op.drop_table('worker_heartbeats')
