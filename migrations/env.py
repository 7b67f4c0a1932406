"""Alembic environment. The database URL comes from, in order: a connection handed over by the caller
(tests, `python -m web migrate`), `-x url=...`, then the service settings (TRACE_DATABASE_URL)."""

from alembic import context
from sqlalchemy.engine import Connection

from trace.db import UTCDateTime, make_engine
from trace.models import metadata

config = context.config


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations stay free of application types: UTCDateTime is a plain DateTime in the database.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url is None:
        from web.settings import get_settings

        url = get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
