"""Test fixtures: the same suite runs on SQLite and on PostgreSQL (set TRACE_TEST_POSTGRES_URL; CI always does).

Each database is migrated from empty once per session with Alembic (never create_all); each test then runs in a
transaction that is rolled back, with the application's commits turned into savepoints."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from trace import migrate, users
from trace.db import make_engine
from trace.scans import ScanLog
from web.app import create_app
from web.settings import Settings

PG_ENV = "TRACE_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def fresh_engine(backend: str, tmp: Path) -> Engine:
    """An empty database of the given kind, migrated to head."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp / 'test.db'}")
    else:
        url = postgres_url()
        if url is None:
            if os.environ.get("CI"):
                pytest.fail(f"{PG_ENV} is not set: CI must run the PostgreSQL half")
            pytest.skip(f"PostgreSQL half skipped: set {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1/test)")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    return engine


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at the service's cost takes 0.1-0.5 s a hash on a busy 2-core machine and the suite makes hundreds
    of accounts: tests hash at the lowest cost. The rules around the hash (lockout, resets, sessions ending) run
    unchanged; tests/trace/test_passwords.py checks the service's own parameters."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", hasher)
    monkeypatch.setattr(users, "_DUMMY_HASH", hasher.hash("not-a-real-password"))


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = fresh_engine(request.param, tmp_path_factory.mktemp(request.param))
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    session = sessions()
    yield session
    session.close()


@pytest.fixture(scope="session")
def storage_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


@pytest.fixture
def settings(storage_dir: Path) -> Settings:
    return Settings(
        database_url="sqlite://",
        secret_key="test-secret",
        storage_dir=storage_dir,
        public_base_url="https://trace.example.vn",
        tune_gc_at_start=False,  # tests/web/test_app_start.py checks it; the suite's own heap stays collectable
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, connection: Connection, sessions: sessionmaker[Session]) -> FastAPI:
    app = create_app(settings, engine)
    app.state.sessions = sessions
    app.state.reads = lambda: nullcontext(connection.connection)
    # Written as added: a test reads its scans back at once, and its connection is not for another thread.
    app.state.scan_log = ScanLog(sessions, interval=0)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def pytest_report_header(config: Any) -> str:
    url = postgres_url()
    return (
        f"databases: SQLite and PostgreSQL ({url})"
        if url
        else (f"databases: SQLite only; the PostgreSQL half is SKIPPED (set {PG_ENV})")
    )
