"""Command line: python -m web serve | migrate | create-user | demo | labels."""

import argparse
import getpass
import os
import sys

from pydantic import ValidationError

from trace import demo, migrate, users
from trace.access import Role
from trace.db import make_engine, make_sessionmaker, transaction
from trace.errors import DomainError
from web import labels_cli
from web.errors import validation_messages
from web.i18n import DEFAULT as CLI_LANG
from web.i18n import translate
from web.links import batch_url
from web.settings import get_settings


def _engine():
    settings = get_settings()
    if settings.database_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.database_url)


def cmd_migrate(_: argparse.Namespace) -> int:
    migrate.upgrade(_engine())
    print("database is at the latest schema")
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    engine = _engine()
    migrate.upgrade(engine)
    settings = get_settings()
    with transaction(make_sessionmaker(engine)) as session:
        if demo.is_loaded(session):
            print("demo data already loaded", file=sys.stderr)
            shown = demo.showcase(session)
        else:
            shown = demo.load(session)
            print(f"demo data loaded; every demo account's password is {demo.DEMO_PASSWORD!r}", file=sys.stderr)
        for batch in shown:
            print(batch_url(settings.public_base_url, batch))
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    password = args.password or getpass.getpass("Mật khẩu / password: ")
    try:
        data = users.UserIn(
            login=args.login,
            display_name=args.name or args.login,
            password=password,
            role=Role(args.role),
            organization_id=args.organization,
            trace_point_id=args.point,
        )
        with transaction(make_sessionmaker(_engine())) as session:
            user = users.create_user(session, None, data)
            print(f"created user {user.login} (id {user.id}, role {user.role})")
    except ValidationError as exc:
        for error in validation_messages(list(exc.errors()), CLI_LANG):
            print(f"lỗi / error: {error['field']}: {error['message']}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"lỗi / error: {translate(CLI_LANG, exc.message, exc.params)}", file=sys.stderr)
        return 2
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    # The printed and encoded links must point at this server unless a public address was configured.
    os.environ.setdefault("TRACE_PUBLIC_BASE_URL", f"http://{args.host}:{args.port}")
    get_settings.cache_clear()
    migrate.upgrade(_engine())
    if args.demo:
        cmd_demo(args)
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        log_level="info",
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web", description="OCOP traceability service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate the database, then serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="load the demo data first (once)")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(func=cmd_migrate)
    sub.add_parser("demo", help="load the Cao Bằng demo data and print public URLs").set_defaults(func=cmd_demo)
    create = sub.add_parser("create-user", help="create an account")
    create.add_argument("login")
    create.add_argument("--role", choices=[r.value for r in Role], required=True)
    create.add_argument("--name")
    create.add_argument("--password", help="omit to be asked without echo")
    create.add_argument("--organization", type=int)
    create.add_argument("--point", type=int)
    create.set_defaults(func=cmd_create_user)
    labels_cli.add_parser(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
