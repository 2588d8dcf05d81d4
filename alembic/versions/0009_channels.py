"""Delivery beyond the app: delivery preferences, one-time codes, Telegram links, the delivery log, medication
proposals; escalation and document provenance on reminders, the escalation time on notifications, the verified
address on users.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 16:04:28
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('delivery_preferences',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('channels', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('quiet_start', sa.Time(), nullable=True),
    sa.Column('quiet_end', sa.Time(), nullable=True),
    sa.Column('review_enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('review_time', sa.Time(), server_default='08:00', nullable=False),
    sa.Column('last_review_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('one_time_codes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("purpose IN ('email_verification', 'telegram_link')", name='ck_one_time_codes_purpose'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    op.create_index('ix_one_time_codes_user_purpose', 'one_time_codes', ['user_id', 'purpose'], unique=False)
    op.create_table('reminder_proposals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('chat_id', sa.Uuid(), nullable=True),
    sa.Column('document_id', sa.Uuid(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('items', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('reminder_ids', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('proposed', 'confirmed', 'rejected')", name='ck_reminder_proposals_status'),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_reminder_proposals_chat_id'), 'reminder_proposals', ['chat_id'], unique=False)
    op.create_index(op.f('ix_reminder_proposals_user_id'), 'reminder_proposals', ['user_id'], unique=False)
    op.create_table('telegram_links',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('assistant_chat_id', sa.Uuid(), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['assistant_chat_id'], ['chats.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id'),
    sa.UniqueConstraint('chat_id')
    )
    op.create_table('notification_deliveries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('notification_id', sa.Uuid(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('detail', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("outcome IN ('sent', 'failed')", name='ck_notification_deliveries_outcome'),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_notification_deliveries_notification_id'), 'notification_deliveries', ['notification_id'], unique=False)
    op.add_column('notifications', sa.Column('escalate_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_notifications_escalate_at', 'notifications', ['escalate_at'], unique=False, postgresql_where='escalate_at IS NOT NULL')
    op.add_column('reminders', sa.Column('escalate_after_minutes', sa.Integer(), nullable=True))
    op.add_column('reminders', sa.Column('source_document_id', sa.Uuid(), nullable=True))
    op.add_column('reminders', sa.Column('source_page', sa.Integer(), nullable=True))
    op.create_foreign_key('reminders_source_document_id_fkey', 'reminders', 'documents', ['source_document_id'],
                          ['id'], ondelete='SET NULL')
    op.create_check_constraint('ck_reminders_escalate_after_minutes', 'reminders',
                               'escalate_after_minutes IS NULL OR escalate_after_minutes BETWEEN 1 AND 1440')
    op.add_column('users', sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('users', 'email_verified_at')
    op.drop_constraint('ck_reminders_escalate_after_minutes', 'reminders', type_='check')
    op.drop_constraint('reminders_source_document_id_fkey', 'reminders', type_='foreignkey')
    op.drop_column('reminders', 'source_page')
    op.drop_column('reminders', 'source_document_id')
    op.drop_column('reminders', 'escalate_after_minutes')
    op.drop_index('ix_notifications_escalate_at', table_name='notifications', postgresql_where='escalate_at IS NOT NULL')
    op.drop_column('notifications', 'escalate_at')
    op.drop_index(op.f('ix_notification_deliveries_notification_id'), table_name='notification_deliveries')
    op.drop_table('notification_deliveries')
    op.drop_table('telegram_links')
    op.drop_index(op.f('ix_reminder_proposals_user_id'), table_name='reminder_proposals')
    op.drop_index(op.f('ix_reminder_proposals_chat_id'), table_name='reminder_proposals')
    op.drop_table('reminder_proposals')
    op.drop_index('ix_one_time_codes_user_purpose', table_name='one_time_codes')
    op.drop_table('one_time_codes')
    op.drop_table('delivery_preferences')
