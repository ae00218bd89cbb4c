"""escalations handled from the agent console: who took it, when, its ticket

Revision ID: 0005_console
Revises: 0005_auth
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_console"
down_revision = "0005_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ticket_reference", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("ticket_reference")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("taken_at")
        batch_op.drop_column("assignee")
