"""Label runs and the unit serials they allocate.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "label_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("batch_level", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("layout", sa.String(length=40), nullable=False),
        sa.Column("skip", sa.Integer(), nullable=False),
        sa.Column("link_base", sa.String(length=200), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_token_id", sa.Integer(), nullable=True),
        sa.Column("created_by_role", sa.String(length=30), nullable=False),
        sa.Column("trace_point_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_label_runs_batch_id_batches")),
        sa.ForeignKeyConstraint(
            ["created_by_token_id"], ["api_tokens.id"], name=op.f("fk_label_runs_created_by_token_id_api_tokens")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_label_runs_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_label_runs_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["trace_point_id"], ["trace_points.id"], name=op.f("fk_label_runs_trace_point_id_trace_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_runs")),
        sa.UniqueConstraint("organization_id", "idempotency_key", name="uq_label_runs_organization_key"),
    )
    with op.batch_alter_table("label_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_label_runs_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "label_serials",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("label_run_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_label_serials_batch_id_batches")),
        sa.ForeignKeyConstraint(
            ["label_run_id"], ["label_runs.id"], name=op.f("fk_label_serials_label_run_id_label_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_serials")),
        sa.UniqueConstraint("label_run_id", "position", name="uq_label_serials_run_position"),
        sa.UniqueConstraint("serial", name=op.f("uq_label_serials_serial")),
    )


def downgrade() -> None:
    op.drop_table("label_serials")
    with op.batch_alter_table("label_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_runs_batch_id"))

    op.drop_table("label_runs")
