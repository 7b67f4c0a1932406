"""Problem reports remember the form they were sent from, so that a form sent twice (a second tap on a slow
connection, a browser sending it again) is one report.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("problem_reports", sa.Column("form_id", sa.String(32), nullable=True))
    op.create_index("uq_problem_reports_form_id", "problem_reports", ["form_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_problem_reports_form_id", table_name="problem_reports")
    op.drop_column("problem_reports", "form_id")
