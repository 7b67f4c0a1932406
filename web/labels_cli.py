"""`python -m web labels`: make a label run for a batch and write its labels to a file, with a progress bar.

The run is committed before rendering starts, and its idempotency key is printed: if rendering fails (or the file
is lost), the same command with `--idempotency-key KEY` prints the same labels again without allocating more.
"""

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from labels.layouts import LAYOUTS
from trace import labelruns, users
from trace.access import Caller, Role
from trace.db import make_engine, make_sessionmaker, transaction
from trace.errors import DomainError
from trace.labelruns import LabelRunIn
from web import labels_service
from web.settings import get_settings

# Acts as the system unless told which account prints: the audit log shows "admin" with no user.
SYSTEM = Caller(role=Role.ADMIN, login="command-line")


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser("labels", help="make a label run for a published batch and write its labels")
    parser.add_argument("--batch", type=int, required=True, help="batch id")
    parser.add_argument("--count", type=int, required=True, help=f"number of labels, 1 to {labelruns.MAX_LABELS:,}")
    parser.add_argument(
        "--layout",
        required=True,
        help=f"one of: {', '.join(LAYOUTS)}, or a custom A4 sheet custom:COLSxROWS:WxH:LEFT,TOP[:PITCH_X,PITCH_Y] (mm)",
    )
    parser.add_argument("--out", type=Path, required=True, help="file to write (PDF, or ZPL with --format zpl)")
    parser.add_argument("--skip", type=int, default=0, help="positions already used on the first sheet")
    parser.add_argument("--batch-level", action="store_true", help="the batch's code on every label, no serials")
    parser.add_argument("--format", choices=["pdf", "zpl"], default="pdf")
    parser.add_argument("--dpi", type=int, choices=[203, 300], default=203, help="ZPL printer resolution")
    parser.add_argument("--user", help="login of the account printing (its access rules apply)")
    parser.add_argument("--idempotency-key", help="reprint the run made with this key (printed by an earlier run)")
    parser.set_defaults(func=cmd_labels)


def _caller(factory: sessionmaker[Session], login: str | None) -> Caller | None:
    if login is None:
        return SYSTEM
    with transaction(factory) as session:
        user = session.scalar(select(users.User).where(users.User.login == users.normalize_login(login)))
        return users.caller_for(user) if user is not None and user.is_active else None


def cmd_labels(args: argparse.Namespace) -> int:
    settings = get_settings()
    factory = make_sessionmaker(make_engine(settings.database_url))
    key = args.idempotency_key or f"cli-{labelruns.new_idempotency_key()}"
    part = args.out.with_name(args.out.name + ".part")
    try:
        data = LabelRunIn(count=args.count, layout=args.layout, skip=args.skip, batch_level=args.batch_level)
        caller = _caller(factory, args.user)
        if caller is None:
            print(f"error: --user: no active account {args.user!r}", file=sys.stderr)
            return 2
        with transaction(factory) as session:
            run, created = labels_service.create_run(session, caller, args.batch, data, key, settings.public_base_url)
            run_id = run.id
        what = "serialized labels" if not data.batch_level else "batch labels"
        state = "allocated" if created else "already made: printing it again"
        print(f"label run {run_id}: {data.count:,} {what} {state}; idempotency key {key}", file=sys.stderr)
        with transaction(factory) as session, part.open("wb") as out:
            run = labelruns.get(session, caller, run_id)
            with tqdm(total=run.count, unit="label", file=sys.stderr, disable=None) as bar:

                def progress(done: int) -> None:
                    bar.update(done - bar.n)

                labels_service.render(session, caller, run, args.format, out, dpi=args.dpi, progress=progress)
                bar.update(run.count - bar.n)
        part.replace(args.out)
    except ValidationError as exc:
        for error in exc.errors():
            print(
                f"error: --{'-'.join(str(p) for p in error['loc']).replace('_', '-')}: {error['msg']}", file=sys.stderr
            )
        return 2
    except (DomainError, OSError) as exc:
        part.unlink(missing_ok=True)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:
        part.unlink(missing_ok=True)
        print(f"error: database: {exc.orig} (is it migrated? python -m web migrate)", file=sys.stderr)
        return 2
    print(args.out)
    return 0
