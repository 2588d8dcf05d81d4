"""Long-term memory (``memories`` with a generated lexeme vector for lexical dedupe and recall,
``memory_changes``) and the user's answer preferences (``users.preferred_name`` ... ``confirm_health_memories``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:50:00
"""

from collections.abc import Sequence

import pgvector.sqlalchemy
import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('memories',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('importance', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('superseded_by', sa.Uuid(), nullable=True),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('source_chat_id', sa.Uuid(), nullable=True),
    sa.Column('source_message_id', sa.Uuid(), nullable=True),
    sa.Column('source_document_id', sa.Uuid(), nullable=True),
    sa.Column('source_page', sa.Integer(), nullable=True),
    sa.Column('source_chunk_id', sa.Uuid(), nullable=True),
    sa.Column('embedding', pgvector.sqlalchemy.vector.VECTOR(dim=384), nullable=True),
    sa.Column('lexemes', postgresql.TSVECTOR(), sa.Computed("to_tsvector('russian'::regconfig, content)", persisted=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("author IN ('assistant', 'user')", name='ck_memories_author'),
    sa.CheckConstraint("category IN ('condition', 'medication', 'allergy', 'vital', 'lab_result', 'procedure', 'preference', 'goal', 'person', 'other')", name='ck_memories_category'),
    sa.CheckConstraint("importance IN ('critical', 'high', 'medium', 'low')", name='ck_memories_importance'),
    sa.CheckConstraint("status IN ('active', 'superseded', 'forgotten')", name='ck_memories_status'),
    sa.ForeignKeyConstraint(['source_chat_id'], ['chats.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_chunk_id'], ['chunks.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_document_id'], ['documents.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_message_id'], ['messages.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['superseded_by'], ['memories.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_memories_lexemes', 'memories', ['lexemes'], unique=False, postgresql_using='gin')
    op.create_index('ix_memories_user_status', 'memories', ['user_id', 'status', 'category'], unique=False)
    op.create_table('memory_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('memory_id', sa.Uuid(), nullable=True),
    sa.Column('previous_id', sa.Uuid(), nullable=True),
    sa.Column('content', sa.Text(), server_default='', nullable=False),
    sa.Column('previous_content', sa.Text(), server_default='', nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('proposal', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('created', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('chat_id', sa.Uuid(), nullable=True),
    sa.Column('message_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('created', 'duplicate', 'superseded', 'forgotten')", name='ck_memory_changes_kind'),
    sa.CheckConstraint("state IN ('applied', 'undone', 'pending', 'confirmed', 'rejected')", name='ck_memory_changes_state'),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['memory_id'], ['memories.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['previous_id'], ['memories.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_memory_changes_user_created', 'memory_changes', ['user_id', 'created_at'], unique=False)
    op.add_column('users', sa.Column('preferred_name', sqlmodel.sql.sqltypes.AutoString(length=100), server_default='', nullable=False))
    op.add_column('users', sa.Column('answer_style', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='default', nullable=False))
    op.add_column('users', sa.Column('units', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='metric', nullable=False))
    op.add_column('users', sa.Column('default_tier', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='medium', nullable=False))
    op.add_column('users', sa.Column('confirm_health_memories', sa.Boolean(), server_default=sa.text('true'), nullable=False))
    op.create_check_constraint('ck_users_answer_style', 'users', "answer_style IN ('default', 'concise', 'detailed')")
    op.create_check_constraint('ck_users_units', 'users', "units IN ('metric', 'imperial')")
    op.create_check_constraint('ck_users_default_tier', 'users', "default_tier IN ('small', 'medium', 'large')")


def downgrade() -> None:
    for name in ('ck_users_default_tier', 'ck_users_units', 'ck_users_answer_style'):
        op.drop_constraint(name, 'users', type_='check')
    op.drop_column('users', 'confirm_health_memories')
    op.drop_column('users', 'default_tier')
    op.drop_column('users', 'units')
    op.drop_column('users', 'answer_style')
    op.drop_column('users', 'preferred_name')
    op.drop_index('ix_memory_changes_user_created', table_name='memory_changes')
    op.drop_table('memory_changes')
    op.drop_index('ix_memories_user_status', table_name='memories')
    op.drop_index('ix_memories_lexemes', table_name='memories', postgresql_using='gin')
    op.drop_table('memories')
