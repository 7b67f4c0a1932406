"""EPCIS exchange: captured EPCIS documents and the batch events made from them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "epcis_captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("captured_by_user_id", sa.Integer(), nullable=True),
        sa.Column("captured_by_token_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_epcis_captures_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_epcis_captures_batch_id_batches")),
        sa.ForeignKeyConstraint(
            ["captured_by_user_id"], ["users.id"], name=op.f("fk_epcis_captures_captured_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["captured_by_token_id"], ["api_tokens.id"], name=op.f("fk_epcis_captures_captured_by_token_id_api_tokens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epcis_captures")),
        sa.UniqueConstraint("organization_id", "digest", name="uq_epcis_captures_org_digest"),
    )
    with op.batch_alter_table("epcis_captures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_epcis_captures_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_epcis_captures_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "epcis_captured_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("batch_event_id", sa.Integer(), nullable=False),
        sa.Column("source_event_id", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["epcis_captures.id"], name=op.f("fk_epcis_captured_events_capture_id_epcis_captures")
        ),
        sa.ForeignKeyConstraint(
            ["batch_event_id"],
            ["batch_events.id"],
            name=op.f("fk_epcis_captured_events_batch_event_id_batch_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epcis_captured_events")),
        sa.UniqueConstraint("batch_event_id", name=op.f("uq_epcis_captured_events_batch_event_id")),
    )
    with op.batch_alter_table("epcis_captured_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_epcis_captured_events_capture_id"), ["capture_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("epcis_captured_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epcis_captured_events_capture_id"))
    op.drop_table("epcis_captured_events")
    with op.batch_alter_table("epcis_captures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epcis_captures_batch_id"))
        batch_op.drop_index(batch_op.f("ix_epcis_captures_organization_id"))
    op.drop_table("epcis_captures")
