"""knowledge-gap events, changes and releases, tickets tagged with a change

Revision ID: 0006_insights
Revises: 0005_console
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_insights"
down_revision = "0005_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_gap_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("query_key", sa.String(length=200), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("best_score", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("knowledge_gap_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_gap_events_at"), ["at"], unique=False)

    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_ref", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_tickets_change_ref"), ["change_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_change_ref"))
        batch_op.drop_column("change_ref")
    op.drop_table("changes")
    op.drop_table("knowledge_gap_events")
