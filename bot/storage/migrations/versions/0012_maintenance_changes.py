"""planned maintenance notices, changes read from the ITSM tools' calendars, announcements

Revision ID: 0012_maintenance_changes
Revises: 0011_incident_reach
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_maintenance_changes"
down_revision = "0011_incident_reach"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident_notices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="incident", nullable=False)
        )
        batch_op.add_column(sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("service", sa.String(length=200), nullable=True))
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("upstream_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("service", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("url", sa.String(length=500), nullable=True))
    op.create_table(
        "maintenance_announcements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("maintenance_announcements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_maintenance_announcements_notice_email", ["notice_id", "email"], unique=True
        )


def downgrade() -> None:
    op.drop_table("maintenance_announcements")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        for name in ("url", "state", "ends_at", "service", "upstream_id", "source"):
            batch_op.drop_column(name)
    with op.batch_alter_table("incident_notices", schema=None) as batch_op:
        for name in ("service", "ends_at", "starts_at", "kind"):
            batch_op.drop_column(name)
