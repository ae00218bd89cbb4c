"""incident notices reach people: versions, audience, deliveries, subscriptions; satisfaction
surveys of closed tickets

Revision ID: 0011_incident_reach
Revises: 0010_self_service
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_incident_reach"
down_revision = "0010_self_service"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident_notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sites", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("departments", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        # Notices from before were pull-only: nothing of them is owed to anyone.
        batch_op.add_column(
            sa.Column("announced_version", sa.Integer(), nullable=False, server_default="1")
        )
    op.create_table(
        "notice_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["incident_notices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_notice_deliveries_once",
        "notice_deliveries",
        ["notice_id", "version", "email"],
        unique=True,
    )
    op.create_table(
        "notice_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["incident_notices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_notice_subscriptions_once", "notice_subscriptions", ["notice_id", "email"], unique=True
    )
    op.create_table(
        "satisfaction_surveys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_reference", sa.String(length=32), nullable=False),
        sa.Column("requester", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_reference"),
    )
    op.create_index(
        "ix_satisfaction_surveys_requester", "satisfaction_surveys", ["requester"], unique=False
    )
    op.create_index(
        "ix_satisfaction_surveys_asked_at", "satisfaction_surveys", ["asked_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("satisfaction_surveys")
    op.drop_table("notice_subscriptions")
    op.drop_table("notice_deliveries")
    with op.batch_alter_table("incident_notices", schema=None) as batch_op:
        batch_op.drop_column("announced_version")
        batch_op.drop_column("version")
        batch_op.drop_column("departments")
        batch_op.drop_column("sites")
