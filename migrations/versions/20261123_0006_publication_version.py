"""The publication version, bumped by triggers on every table a public page reads (trace.publication).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As trace.publication.PUBLIC_TABLES when this revision was written: a migration must not change with the code.
TABLES = (
    "organizations", "products", "product_images", "certifications", "batches", "batch_inputs", "batch_events",
    "event_photos",
)  # fmt: skip
VERBS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "publication_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_version")),
    )
    op.execute("INSERT INTO publication_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        # BEFORE ... FOR EACH STATEMENT: the version row is locked before the statement locks rows of its own.
        op.execute(
            "CREATE FUNCTION publication_version_bump() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN UPDATE publication_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_publication BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION publication_version_bump()"
            )
    else:
        # SQLite has row triggers only; its single writer makes the order of locks moot.
        for table in TABLES:
            for verb in VERBS:
                op.execute(
                    f"CREATE TRIGGER {table}_publication_{verb.lower()} AFTER {verb} ON {table} "
                    "BEGIN UPDATE publication_version SET version = version + 1 WHERE id = 1; END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_publication ON {table}")
        op.execute("DROP FUNCTION publication_version_bump()")
    else:
        for table in TABLES:
            for verb in VERBS:
                op.execute(f"DROP TRIGGER {table}_publication_{verb.lower()}")
    op.drop_table("publication_version")
