"""Migrations: up from empty and back on both databases, and the models never drift from them."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import BACKENDS, fresh_engine
from trace import migrate
from trace.models import metadata


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_from_empty_downgrade_and_again(backend: str, tmp_path: Path) -> None:
    engine = fresh_engine(backend, tmp_path)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"organizations", "products", "certifications", "batches", "batch_events", "audit_log"} <= tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        migrate.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        assert "batches" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_audit_log_is_append_only(connection) -> None:  # type: ignore[no-untyped-def]
    connection.execute(
        text(
            "INSERT INTO audit_log (at, actor_role, action, entity, details) "
            "VALUES (CURRENT_TIMESTAMP, 'system', 'test', 'test', '{}')"
        )
    )
    for statement in ("UPDATE audit_log SET action = 'rewritten'", "DELETE FROM audit_log"):
        savepoint = connection.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement))
        savepoint.rollback()
