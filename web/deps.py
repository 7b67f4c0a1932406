"""Request-scoped dependencies: one database session per request, committed once at the end; the caller."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from trace import users
from trace.access import Caller
from trace.db import transaction
from trace.errors import Unauthenticated
from trace.fields import MAX_DB_INT


def _session(request: Request) -> Iterator[Session]:
    with transaction(request.app.state.sessions) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is never a 200.
Db = Annotated[Session, Depends(_session, scope="function")]


def _caller(request: Request, db: Db) -> Caller:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return users.caller_from_token(db, header[7:].strip())
    uid, version = request.session.get("uid"), request.session.get("sv")
    if isinstance(uid, int) and isinstance(version, int):
        user = db.get(users.User, uid)
        if user is not None and user.is_active and user.session_version == version:
            return users.caller_for(user)
        request.session.clear()
    raise Unauthenticated("Please log in")


def _optional_caller(request: Request, db: Db) -> Caller | None:
    try:
        return _caller(request, db)
    except Unauthenticated:
        return None


CurrentCaller = Annotated[Caller, Depends(_caller)]
OptionalCaller = Annotated[Caller | None, Depends(_optional_caller)]
Id = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
