"""problem records, their incidents, history, and their sync with the ITSM tools

Revision ID: 0013_problems
Revises: 0012_maintenance_changes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_problems"
down_revision = "0012_maintenance_changes"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("workaround_en", sa.Text(), nullable=False),
        sa.Column("workaround_fr", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problems_status"), ["status"], unique=False)
    op.create_table(
        "problem_incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("ticket_reference", sa.String(length=32), nullable=False),
        sa.Column("linked_by", sa.String(length=255), nullable=False),
        sa.Column("linked_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("problem_incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_problem_incidents_pair", ["problem_id", "ticket_reference"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_problem_incidents_ticket_reference"), ["ticket_reference"], unique=False
        )
    op.create_table(
        "problem_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("problem_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_events_problem_id"), ["problem_id"])
    op.create_table(
        "problem_sync",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(length=64), nullable=False),
        sa.Column("upstream_id", sa.String(length=128), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("problem_sync", schema=None) as batch_op:
        batch_op.create_index(
            "ix_problem_sync_backend_problem", ["backend", "problem_id"], unique=True
        )
    op.create_table(
        "problem_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("locked_until", WHEN, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("problem_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_problem_outbox_due", ["state", "next_attempt_at"])
        batch_op.create_index(batch_op.f("ix_problem_outbox_problem_id"), ["problem_id"])


def downgrade() -> None:
    op.drop_table("problem_outbox")
    op.drop_table("problem_sync")
    op.drop_table("problem_events")
    op.drop_table("problem_incidents")
    op.drop_table("problems")
