"""Admin console: LLM providers, groups and their grants, agents and their grants, the audit log, a chat's
agent, one-time passwords and invitations.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PURPOSE_CHECK = 'ck_one_time_codes_purpose'


def upgrade() -> None:
    op.create_table('groups',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_groups_name', 'groups', ['name'], unique=True)
    op.create_table('llm_providers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('base_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('api_key_encrypted', sa.Text(), nullable=True),
    sa.Column('timeout_seconds', sa.Float(), nullable=False),
    sa.Column('allow_local', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('openai', 'anthropic', 'openai_compatible')", name='ck_llm_providers_kind'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_llm_providers_name', 'llm_providers', ['name'], unique=True)
    op.create_table('audit_log',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('target_type', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('target_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('target_label', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('client_address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_audit_log_action_created', 'audit_log', ['action', 'created_at'], unique=False)
    op.create_index('ix_audit_log_actor_created', 'audit_log', ['actor_id', 'created_at'], unique=False)
    op.create_index('ix_audit_log_created', 'audit_log', ['created_at'], unique=False)
    op.create_table('group_members',
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id')
    )
    op.create_index(op.f('ix_group_members_user_id'), 'group_members', ['user_id'], unique=False)
    op.create_table('agents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('icon', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('skill_id', sa.Uuid(), nullable=True),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('provider_id', sa.Uuid(), nullable=True),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('tools', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("tier IS NULL OR tier IN ('small', 'medium', 'large')", name='ck_agents_tier'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['llm_providers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_agents_owner', 'agents', ['owner_id'], unique=False)
    op.create_table('collection_group_grants',
    sa.Column('collection_id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'group_id')
    )
    op.create_index(op.f('ix_collection_group_grants_group_id'), 'collection_group_grants', ['group_id'], unique=False)
    op.create_table('agent_collections',
    sa.Column('agent_id', sa.Uuid(), nullable=False),
    sa.Column('collection_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', 'collection_id')
    )
    op.create_index(op.f('ix_agent_collections_collection_id'), 'agent_collections', ['collection_id'], unique=False)
    op.create_table('agent_grants',
    sa.Column('agent_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', 'user_id')
    )
    op.create_index(op.f('ix_agent_grants_user_id'), 'agent_grants', ['user_id'], unique=False)
    op.create_table('agent_group_grants',
    sa.Column('agent_id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', 'group_id')
    )
    op.create_index(op.f('ix_agent_group_grants_group_id'), 'agent_group_grants', ['group_id'], unique=False)
    op.add_column('chats', sa.Column('agent_id', sa.Uuid(), nullable=True))
    op.create_index(op.f('ix_chats_agent_id'), 'chats', ['agent_id'], unique=False)
    op.create_foreign_key('fk_chats_agent_id_agents', 'chats', 'agents', ['agent_id'], ['id'], ondelete='SET NULL')
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.drop_constraint(_PURPOSE_CHECK, 'one_time_codes', type_='check')
    op.create_check_constraint(_PURPOSE_CHECK, 'one_time_codes',
                               "purpose IN ('email_verification', 'telegram_link', 'invitation')")


def downgrade() -> None:
    op.drop_column('users', 'must_change_password')
    op.drop_constraint(_PURPOSE_CHECK, 'one_time_codes', type_='check')
    op.create_check_constraint(_PURPOSE_CHECK, 'one_time_codes', "purpose IN ('email_verification', 'telegram_link')")
    op.drop_constraint('fk_chats_agent_id_agents', 'chats', type_='foreignkey')
    op.drop_index(op.f('ix_chats_agent_id'), table_name='chats')
    op.drop_column('chats', 'agent_id')
    op.drop_index(op.f('ix_agent_group_grants_group_id'), table_name='agent_group_grants')
    op.drop_table('agent_group_grants')
    op.drop_index(op.f('ix_agent_grants_user_id'), table_name='agent_grants')
    op.drop_table('agent_grants')
    op.drop_index(op.f('ix_agent_collections_collection_id'), table_name='agent_collections')
    op.drop_table('agent_collections')
    op.drop_index(op.f('ix_collection_group_grants_group_id'), table_name='collection_group_grants')
    op.drop_table('collection_group_grants')
    op.drop_index('ix_agents_owner', table_name='agents')
    op.drop_table('agents')
    op.drop_index(op.f('ix_group_members_user_id'), table_name='group_members')
    op.drop_table('group_members')
    op.drop_index('ix_audit_log_created', table_name='audit_log')
    op.drop_index('ix_audit_log_actor_created', table_name='audit_log')
    op.drop_index('ix_audit_log_action_created', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index('ix_llm_providers_name', table_name='llm_providers')
    op.drop_table('llm_providers')
    op.drop_index('ix_groups_name', table_name='groups')
    op.drop_table('groups')
