"""Public page: scans of codes and consumers' problem reports.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scanned_at", sa.DateTime(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("serial", sa.String(length=20), nullable=True),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("device", sa.String(length=10), nullable=False),
        sa.Column("ip_hash", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_scans_batch_id_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
    )
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.create_index("ix_scans_batch_serial_at", ["batch_id", "serial", "scanned_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_scans_scanned_at"), ["scanned_at"], unique=False)

    op.create_table(
        "problem_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("serial", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("ip_hash", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_problem_reports_batch_id_batches")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_problem_reports_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_reports")),
    )
    with op.batch_alter_table("problem_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_reports_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_problem_reports_ip_hash_created_at", ["ip_hash", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_reports_organization_id"), ["organization_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("problem_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_reports_organization_id"))
        batch_op.drop_index("ix_problem_reports_ip_hash_created_at")
        batch_op.drop_index(batch_op.f("ix_problem_reports_batch_id"))

    op.drop_table("problem_reports")
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scans_scanned_at"))
        batch_op.drop_index("ix_scans_batch_serial_at")

    op.drop_table("scans")
