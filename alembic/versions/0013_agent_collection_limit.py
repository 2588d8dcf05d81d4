"""An agent remembers that collections were chosen for it (``agents.limits_collections``), so once they are all
deleted it searches nothing instead of the user's whole scope. Agents that have collections now are marked.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 07:17:43
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('agents', sa.Column('limits_collections', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))
    op.execute("UPDATE agents SET limits_collections = true "
               "WHERE EXISTS (SELECT 1 FROM agent_collections AS ac WHERE ac.agent_id = agents.id)")


def downgrade() -> None:
    op.drop_column('agents', 'limits_collections')
