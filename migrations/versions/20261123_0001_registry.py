"""The registry: producers, traceability points, users and API tokens, products, certifications, batches,
batch events and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 17:07:33.880319
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trace_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("commune", sa.String(length=200), nullable=False),
        sa.Column("province", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_points")),
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_search", sa.String(length=200), nullable=False),
        sa.Column("tax_code", sa.String(length=14), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("commune", sa.String(length=200), nullable=False),
        sa.Column("province", sa.String(length=200), nullable=False),
        sa.Column("former_district", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("gs1_company_prefix", sa.String(length=12), nullable=True),
        sa.Column("gln", sa.String(length=13), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("registered_by_point_id", sa.Integer(), nullable=True),
        sa.Column("consent_note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registered_by_point_id"],
            ["trace_points.id"],
            name=op.f("fk_organizations_registered_by_point_id_trace_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("tax_code", name=op.f("uq_organizations_tax_code")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organizations_commune"), ["commune"], unique=False)
        batch_op.create_index(batch_op.f("ix_organizations_name_search"), ["name_search"], unique=False)

    op.create_table(
        "trace_point_communes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trace_point_id", sa.Integer(), nullable=False),
        sa.Column("commune", sa.String(length=200), nullable=False),
        sa.Column("province", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["trace_point_id"], ["trace_points.id"], name=op.f("fk_trace_point_communes_trace_point_id_trace_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_point_communes")),
        sa.UniqueConstraint("trace_point_id", "commune", "province", name="uq_trace_point_commune"),
    )
    with op.batch_alter_table("trace_point_communes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trace_point_communes_trace_point_id"), ["trace_point_id"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("internal_code", sa.String(length=12), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("name_search", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("ocop_group", sa.String(length=30), nullable=True),
        sa.Column("brand", sa.String(length=200), nullable=True),
        sa.Column("standards", sa.String(length=300), nullable=True),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("net_quantity", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("net_quantity_unit", sa.String(length=10), nullable=True),
        sa.Column("shelf_life_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_products_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("gtin", name=op.f("uq_products_gtin")),
        sa.UniqueConstraint("internal_code", name=op.f("uq_products_internal_code")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_name_search"), ["name_search"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=60), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("trace_point_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_users_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["trace_point_id"], ["trace_points.id"], name=op.f("fk_users_trace_point_id_trace_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_trace_point_id"), ["trace_point_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_api_tokens_created_by_users")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_api_tokens_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("lot_code", sa.String(length=20), nullable=False),
        sa.Column("public_code", sa.String(length=16), nullable=False),
        sa.Column("production_date", sa.Date(), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("quantity_unit", sa.String(length=20), nullable=True),
        sa.Column("origin_name", sa.String(length=200), nullable=True),
        sa.Column("origin_commune", sa.String(length=200), nullable=True),
        sa.Column("origin_province", sa.String(length=200), nullable=True),
        sa.Column("origin_latitude", sa.Float(), nullable=True),
        sa.Column("origin_longitude", sa.Float(), nullable=True),
        sa.Column("growing_area_code", sa.String(length=50), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("recall_reason", sa.String(length=500), nullable=True),
        sa.Column("recalled_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_batches_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_batches_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint("product_id", "lot_code", name="uq_batches_product_lot"),
        sa.UniqueConstraint("public_code", name=op.f("uq_batches_public_code")),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batches_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_batches_product_id"), ["product_id"], unique=False)

    op.create_table(
        "certifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("ocop_stars", sa.Integer(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("document_path", sa.String(length=300), nullable=True),
        sa.Column("change_kind", sa.String(length=20), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_certifications_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_certifications_product_id_products")),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["certifications.id"], name=op.f("fk_certifications_supersedes_id_certifications")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_certifications_supersedes_id")),
    )
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certifications_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certifications_product_id"), ["product_id"], unique=False)

    op.create_table(
        "product_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_product_images_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_images")),
    )
    with op.batch_alter_table("product_images", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_images_product_id"), ["product_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_token_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=30), nullable=False),
        sa.Column("trace_point_id", sa.Integer(), nullable=True),
        sa.Column("on_behalf_of_org_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_token_id"], ["api_tokens.id"], name=op.f("fk_audit_log_actor_token_id_api_tokens")
        ),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name=op.f("fk_audit_log_actor_user_id_users")),
        sa.ForeignKeyConstraint(
            ["on_behalf_of_org_id"], ["organizations.id"], name=op.f("fk_audit_log_on_behalf_of_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["trace_point_id"], ["trace_points.id"], name=op.f("fk_audit_log_trace_point_id_trace_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_on_behalf_of_org_id"), ["on_behalf_of_org_id"], unique=False)

    op.create_table(
        "batch_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("biz_step", sa.String(length=30), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("tz_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("place_name", sa.String(length=200), nullable=True),
        sa.Column("place_commune", sa.String(length=200), nullable=True),
        sa.Column("place_gln", sa.String(length=13), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_batch_events_batch_id_batches")),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["batch_events.id"], name=op.f("fk_batch_events_corrects_id_batch_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_events")),
    )
    with op.batch_alter_table("batch_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_events_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "batch_inputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("input_batch_id", sa.Integer(), nullable=True),
        sa.Column("supplier_name", sa.String(length=200), nullable=True),
        sa.Column("supplier_lot", sa.String(length=50), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("quantity_unit", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_batch_inputs_batch_id_batches")),
        sa.ForeignKeyConstraint(
            ["input_batch_id"], ["batches.id"], name=op.f("fk_batch_inputs_input_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_inputs")),
    )
    with op.batch_alter_table("batch_inputs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_inputs_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_batch_inputs_input_batch_id"), ["input_batch_id"], unique=False)

    op.create_table(
        "event_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["batch_events.id"], name=op.f("fk_event_photos_event_id_batch_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_photos")),
    )
    with op.batch_alter_table("event_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_photos_event_id"), ["event_id"], unique=False)

    # The audit log is append-only: the database itself refuses to rewrite history.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    with op.batch_alter_table("event_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_photos_event_id"))

    op.drop_table("event_photos")
    with op.batch_alter_table("batch_inputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_inputs_input_batch_id"))
        batch_op.drop_index(batch_op.f("ix_batch_inputs_batch_id"))

    op.drop_table("batch_inputs")
    with op.batch_alter_table("batch_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_events_batch_id"))

    op.drop_table("batch_events")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_on_behalf_of_org_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("product_images", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_images_product_id"))

    op.drop_table("product_images")
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certifications_product_id"))
        batch_op.drop_index(batch_op.f("ix_certifications_organization_id"))

    op.drop_table("certifications")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batches_product_id"))
        batch_op.drop_index(batch_op.f("ix_batches_organization_id"))

    op.drop_table("batches")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_organization_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_trace_point_id"))
        batch_op.drop_index(batch_op.f("ix_users_organization_id"))

    op.drop_table("users")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_organization_id"))
        batch_op.drop_index(batch_op.f("ix_products_name_search"))

    op.drop_table("products")
    with op.batch_alter_table("trace_point_communes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trace_point_communes_trace_point_id"))

    op.drop_table("trace_point_communes")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_name_search"))
        batch_op.drop_index(batch_op.f("ix_organizations_commune"))

    op.drop_table("organizations")
    op.drop_table("trace_points")
