"""Persistence plumbing: the declarative base, column types that behave the same on SQLite and PostgreSQL,
engines and sessions."""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import URL, DateTime, Insert, MetaData, Select, Table, create_engine, event, make_url
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError, NoResultFound
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations are identical on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes everywhere: SQLite drops the offset, so store naive UTC and re-attach it on load."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def enum_type(enum_cls: type[StrEnum], length: int) -> SAEnum:
    """A StrEnum stored as its value in a VARCHAR: portable, readable in SQL, loaded back as the enum member."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


# Vietnam has kept UTC+7 all year since 1975: a fixed offset, no time zone database needed.
VIETNAM_TIME = timezone(timedelta(hours=7))


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_day(at: datetime) -> date:
    """The day in Vietnam of a moment: the calendar that certificate validity, a copy rule's window and the daily
    figures go by, whatever the server's own time zone."""
    return at.astimezone(VIETNAM_TIME).date()


def vietnam_today() -> date:
    return local_day(utcnow())


_READ_ONLY = "trace_read_only"


def read_only(session: Session) -> Connection:
    """The session's connection for a transaction that will only read: on SQLite it takes no write lock, so it
    neither waits for writers nor holds them up. Call it before anything else uses the session."""
    return session.connection(execution_options={_READ_ONLY: True})


def make_engine(url: str | URL, *, autocommit: bool = False, **kwargs: Any) -> Engine:
    """The engine of the service. With ``autocommit`` an engine for reads of one statement each, as the scan makes:
    no BEGIN and no ROLLBACK reach the database (on PostgreSQL two round trips of the three a scan would make) and
    SQLite holds no lock beyond the statement. It is an engine of its own, set up once per connection: switching
    one engine's connections to autocommit on every checkout costs more than it saves."""
    if autocommit:
        kwargs.setdefault("isolation_level", "AUTOCOMMIT")
        kwargs.setdefault("pool_reset_on_return", None)  # no transaction to end
    if make_url(url).get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets pages be read while scans are written; foreign keys are off by default in SQLite.
            # The driver's own transaction handling is switched off so that SQLAlchemy's BEGIN (below) and
            # SAVEPOINTs mean what they say.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        if not autocommit:

            @event.listens_for(engine, "begin")
            def _begin_immediate(conn: Any) -> None:
                # Take the write lock up front: a deferred transaction that later writes fails at once with
                # "database is locked" when another writer got there first, instead of waiting its turn.
                # A transaction that only reads (read_only below) needs no lock at all in WAL mode.
                conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    # No pre-ping: it costs a round trip on every checkout of the hot scan path; recycling old connections and
    # the driver's error on a dead one cover restarts. The pool matches the server's thread pool.
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work for the command line and background jobs: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class DriverStatement:
    """A Core statement compiled once per dialect and run on the driver's own connection, its values converted by
    their columns' types both ways, as SQLAlchemy would. For the scan's statements, where SQLAlchemy's execution
    costs more than the query: measured on SQLite, 30 us on the driver against 150 us through a Connection to read
    a scan, and 12 us a row less to write scans.

    A driver error is raised as SQLAlchemy's (DBAPIError), so callers handle one kind of error."""

    def __init__(self, statement: Select[Any] | Insert) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any], tuple[Any, ...]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict[str, Any], tuple[Any, ...]]:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            sql = self.statement.compile(dialect=dialect)
            if sql.literal_execute_params or sql.post_compile_params:
                raise ValueError("a statement run on the driver cannot have parameters rendered at execution")
            # Each type as the dialect has it (dialect_impl), as SQLAlchemy's own execution converts values.
            binds = {
                name: (param.value, param.type.dialect_impl(dialect).bind_processor(dialect))
                for name, param in sql.binds.items()
            }
            columns = self.statement.selected_columns if isinstance(self.statement, Select) else ()
            results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
            order = tuple(sql.positiontup) if sql.positional and sql.positiontup is not None else None
            compiled = self._compiled[dialect.name] = (sql.string, order, binds, results)
        return compiled

    def one(self, dbapi_connection: Any, dialect: Dialect, params: dict[str, Any]) -> tuple[Any, ...]:
        return self.each(dbapi_connection, dialect, [params])[0]

    def each(self, dbapi_connection: Any, dialect: Dialect, params: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """The first row for each of ``params``, one execution each."""
        rows = [self._run(dbapi_connection, dialect, each, 1) for each in params]
        if any(not row for row in rows):
            raise NoResultFound("the statement returned no row")
        return [row[0] for row in rows]

    def all(self, dbapi_connection: Any, dialect: Dialect, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return self._run(dbapi_connection, dialect, params, None)

    def many(self, dbapi_connection: Any, dialect: Dialect, params: Sequence[dict[str, Any]]) -> None:
        """The statement (an insert) once for each of ``params``, in one executemany."""
        sql, order, binds, _ = self._for(dialect)
        arguments = [self._arguments(order, binds, each) for each in params]
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.executemany(sql, arguments)
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(sql, arguments, error, dialect.loaded_dbapi.Error) from error

    @staticmethod
    def _arguments(order: tuple[str, ...] | None, binds: dict[str, Any], params: dict[str, Any]) -> Any:
        values = {}
        for name, (default, process) in binds.items():
            value = params.get(name, default)
            values[name] = process(value) if process is not None else value
        return [values[name] for name in order] if order is not None else values

    def _run(
        self, dbapi_connection: Any, dialect: Dialect, params: dict[str, Any], most: int | None
    ) -> list[tuple[Any, ...]]:
        sql, order, binds, results = self._for(dialect)
        arguments = self._arguments(order, binds, params)
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(sql, arguments)
                rows = cursor.fetchall() if most is None else cursor.fetchmany(most)
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(sql, arguments, error, dialect.loaded_dbapi.Error) from error
        return [
            tuple(value if process is None else process(value) for value, process in zip(row, results, strict=True))
            for row in rows
        ]


class CopyRows:
    """Rows into a table with PostgreSQL's COPY, on the driver's connection (psycopg), each value converted by its
    column's type as SQLAlchemy would. For the scan log: psycopg writes a bound array (unnest) in Python, element by
    element, and COPY's rows in C; measured under load (tests/perf/bench_scan.py, alternated rounds), 0.60 ms of the
    server's CPU a scan against 0.64."""

    def __init__(self, table: Table, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.sql = f"COPY {table.name} ({', '.join(self.names)}) FROM STDIN"
        self._table = table
        self._processed: dict[str, tuple[tuple[str, Any], ...]] = {}  # by dialect: each name with its processor

    def __call__(self, dbapi_connection: Any, dialect: Dialect, rows: Iterable[dict[str, Any]]) -> None:
        pairs = self._processed.get(dialect.name)
        if pairs is None:
            types = (self._table.c[name].type.dialect_impl(dialect) for name in self.names)
            processors = (type_.bind_processor(dialect) for type_ in types)
            pairs = self._processed[dialect.name] = tuple(zip(self.names, processors, strict=True))
        try:
            with dbapi_connection.cursor() as cursor, cursor.copy(self.sql) as copy:
                for row in rows:
                    copy.write_row([row[name] if process is None else process(row[name]) for name, process in pairs])
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(self.sql, [], error, dialect.loaded_dbapi.Error) from error


@contextmanager
def driver_connection(engine: Engine) -> Iterator[Any]:
    """One of the engine's pooled connections as the driver's own (for DriverStatement), back to the pool after;
    one that failed is replaced, as SQLAlchemy's Connection would."""
    conn = engine.raw_connection()
    try:
        yield conn
    except DBAPIError:
        conn.invalidate()
        raise
    finally:
        conn.close()
