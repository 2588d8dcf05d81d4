"""Reports and data exports: generated files a user owns, each with the job that builds it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('chat_id', sa.Uuid(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('error_code', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('error_detail', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('storage_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('health_summary', 'data_export')", name='ck_reports_kind'),
    sa.CheckConstraint("status IN ('queued', 'running', 'completed', 'failed', 'cancelled')",
                       name='ck_reports_status'),
    sa.CheckConstraint('progress BETWEEN 0 AND 100', name='ck_reports_progress'),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_reports_chat_id'), 'reports', ['chat_id'], unique=False)
    op.create_index('ix_reports_owner_created', 'reports', ['owner_id', 'created_at'], unique=False)
    op.create_index('uq_reports_open_export', 'reports', ['owner_id'], unique=True,
                    postgresql_where=sa.text("kind = 'data_export' AND status IN ('queued', 'running')"))


def downgrade() -> None:
    op.drop_index('uq_reports_open_export', table_name='reports',
                  postgresql_where=sa.text("kind = 'data_export' AND status IN ('queued', 'running')"))
    op.drop_index('ix_reports_owner_created', table_name='reports')
    op.drop_index(op.f('ix_reports_chat_id'), table_name='reports')
    op.drop_table('reports')
