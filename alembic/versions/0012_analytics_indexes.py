"""Indexes of the usage analytics: messages by time (user messages with their chat; assistant messages
covering provider, model, tier, tokens and latency; assistant messages that called tools), notifications and
delivery attempts by time.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 02:25:46
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ANSWER_COLUMNS = ['provider', 'model', 'tier', 'input_tokens', 'output_tokens', 'latency_ms']


def upgrade() -> None:
    op.create_index('ix_messages_assistant_created', 'messages', ['created_at'], unique=False,
                    postgresql_include=_ANSWER_COLUMNS, postgresql_where=sa.text("role = 'assistant'"))
    op.create_index('ix_messages_tool_calls_created', 'messages', ['created_at'], unique=False,
                    postgresql_where=sa.text("role = 'assistant' AND tool_calls <> '[]'::jsonb"))
    op.create_index('ix_messages_user_created', 'messages', ['created_at', 'chat_id'], unique=False,
                    postgresql_where=sa.text("role = 'user'"))
    op.create_index('ix_notification_deliveries_created', 'notification_deliveries', ['created_at'], unique=False)
    op.create_index('ix_notifications_created', 'notifications', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notifications_created', table_name='notifications')
    op.drop_index('ix_notification_deliveries_created', table_name='notification_deliveries')
    op.drop_index('ix_messages_user_created', table_name='messages')
    op.drop_index('ix_messages_tool_calls_created', table_name='messages')
    op.drop_index('ix_messages_assistant_created', table_name='messages')
