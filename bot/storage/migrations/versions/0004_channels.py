"""channel addresses: where each user (by e-mail) can be reached, and the channel last used

Revision ID: 0004_channels
Revises: 0003_tickets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_channels"
down_revision = "0003_tickets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_addresses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("channel_addresses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_channel_addresses_email_channel", ["email", "channel"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_addresses", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_addresses_email_channel")
    op.drop_table("channel_addresses")
