"""one-time codes and password reset links, kept as keyed digests

Revision ID: 0010_self_service
Revises: 0009_sign_in_links
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_self_service"
down_revision = "0009_sign_in_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "one_time_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_email", sa.String(length=255), nullable=False),
        sa.Column("destination", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("spent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("one_time_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_one_time_codes_user_email"), ["user_email"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_one_time_codes_created_at"), ["created_at"], unique=False
        )
    op.create_table(
        "reset_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("user_email", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_digest"),
    )
    with op.batch_alter_table("reset_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reset_links_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_table("reset_links")
    op.drop_table("one_time_codes")
