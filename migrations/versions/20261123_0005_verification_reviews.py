"""The authority's verification decisions (approve, reject with a reason, resubmitted) on producers and certificates.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verification_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_verification_reviews_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_reviews")),
    )
    with op.batch_alter_table("verification_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_verification_reviews_subject", ["subject", "subject_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("verification_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_verification_reviews_subject")
    op.drop_table("verification_reviews")
