"""The tally of a unit's scans by day and network (trace.scans.UnitScanDay), filled from the scans already kept.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_scan_days",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ip_hash", sa.String(length=32), nullable=False),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_unit_scan_days_batch_id_batches")),
        sa.PrimaryKeyConstraint("batch_id", "serial", "day", "ip_hash", name=op.f("pk_unit_scan_days")),
        sqlite_with_rowid=False,
    )
    # Times are kept in UTC without an offset; the day is Vietnam's (UTC+7). On SQLite a date is its ISO text.
    if op.get_bind().dialect.name == "postgresql":
        day = "CAST(scanned_at + interval '7 hours' AS date)"
    else:
        day = "date(scanned_at, '+7 hours')"
    op.execute(
        "INSERT INTO unit_scan_days (batch_id, serial, day, ip_hash, scans, first_at) "
        f"SELECT batch_id, serial, {day}, ip_hash, count(*), min(scanned_at) FROM scans "
        "WHERE batch_id IS NOT NULL AND serial IS NOT NULL AND device <> 'bot' "
        f"GROUP BY batch_id, serial, {day}, ip_hash"
    )


def downgrade() -> None:
    op.drop_table("unit_scan_days")
