"""Accounts, passwords (argon2), lockout, and organizations' API tokens (stored hashed)."""

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import Field, field_validator
from sqlalchemy import Boolean, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from trace import audit
from trace.access import Caller, Role
from trace.db import Base, UTCDateTime, enum_type, utcnow
from trace.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from trace.fields import DbId, Input, ShortText, invalid
from trace.organizations import Organization
from trace.text import nfc

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()
# Verifying against this keeps the response time of an unknown login equal to a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
_LOGIN = re.compile(r"^[a-z0-9._@-]{3,60}$")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_type(Role, 30))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    trace_point_id: Mapped[int | None] = mapped_column(ForeignKey("trace_points.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change or reset so that every existing session cookie stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def normalize_login(value: str) -> str:
    return nfc(value).lower()


class UserIn(Input):
    login: ShortText
    display_name: ShortText
    password: str
    role: Role
    organization_id: DbId | None = None
    trace_point_id: DbId | None = None

    @field_validator("login")
    @classmethod
    def _login(cls, v: str) -> str:
        v = normalize_login(v)
        if not _LOGIN.match(v):
            raise invalid("login", "Login: 3-60 characters, letters a-z, digits and . _ @ -")
        return v

    @field_validator("password")
    @classmethod
    def _password(cls, v: str) -> str:
        check_password_strength(v)
        return v


def check_password_strength(password: str) -> None:
    if not 10 <= len(password) <= 200:
        raise invalid("password_length", "Password must have 10 to 200 characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, caller: Caller | None, data: UserIn) -> User:
    """Admins create any account; a producer owner adds staff to its own organization."""
    if caller is not None and caller.role is not Role.ADMIN:
        if not (caller.role is Role.PRODUCER_OWNER and data.role is Role.PRODUCER_STAFF):
            raise Forbidden("Your role does not allow this action")
        data = data.model_copy(update={"organization_id": caller.organization_id, "trace_point_id": None})
    if data.role in (Role.PRODUCER_OWNER, Role.PRODUCER_STAFF) and data.organization_id is None:
        raise InvalidInput("This field is required", field="organization_id")
    if data.role is Role.POINT_OPERATOR and data.trace_point_id is None:
        raise InvalidInput("This field is required", field="trace_point_id")
    if session.scalar(select(User.id).where(User.login == data.login)) is not None:
        raise Conflict("This login is already taken", field="login")
    user = User(
        login=data.login,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        role=data.role,
        organization_id=data.organization_id if data.role in (Role.PRODUCER_OWNER, Role.PRODUCER_STAFF) else None,
        trace_point_id=data.trace_point_id if data.role is Role.POINT_OPERATOR else None,
    )
    session.add(user)
    session.flush()
    audit.record(session, caller, "user.create", "user", user.id, on_behalf_of=user.organization_id, role=data.role)
    return user


def authenticate(session: Session, login: str, password: str) -> User:
    """Check a password; five failures lock the account for 15 minutes. The caller commits either way,
    so the failure count survives the refused request."""
    # A NUL cannot be in a login, and PostgreSQL refuses it in a query parameter.
    user = session.scalar(select(User).where(User.login == normalize_login(login))) if "\x00" not in login else None
    if user is None or not user.is_active:
        _verify(_DUMMY_HASH, password)
        raise Unauthenticated("Wrong login or password")
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        raise Unauthenticated(
            "Too many failed attempts: try again after {minutes} minutes",
            minutes=max(1, int((user.locked_until - now).total_seconds() // 60) + 1),
        )
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            audit.record(session, None, "user.locked", "user", user.id)
        raise Unauthenticated("Wrong login or password")
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def reset_password(session: Session, caller: Caller, user_id: int, new_password: str) -> User:
    """No mail server is assumed: an admin or the authority sets a new password and hands it over."""
    if not caller.sees_everything:
        raise Forbidden("Your role does not allow this action")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    if user.role is Role.ADMIN and caller.role is not Role.ADMIN:
        raise Forbidden("Your role does not allow this action")
    try:
        check_password_strength(new_password)
    except Exception as exc:
        raise InvalidInput("Password must have 10 to 200 characters", field="password") from exc
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, caller, "user.password_reset", "user", user.id, on_behalf_of=user.organization_id)
    return user


def caller_for(user: User) -> Caller:
    return Caller(
        role=Role(user.role),
        user_id=user.id,
        organization_id=user.organization_id,
        trace_point_id=user.trace_point_id,
        login=user.login,
    )


# --- API tokens -------------------------------------------------------------------------------------------------

TOKEN_PREFIX = "ocop_"


class ApiTokenIn(Input):
    name: Annotated[ShortText, Field(max_length=100)]
    organization_id: DbId | None = None


def _digest(token: str) -> str:
    # A token carries 256 random bits, so a fast hash is safe here (unlike passwords) and keeps lookups cheap.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, caller: Caller, organization_id: int, name: str) -> tuple[ApiToken, str]:
    """Returns the record and the secret, which is shown once and never stored."""
    if caller.role not in (Role.ADMIN, Role.PRODUCER_OWNER):
        raise Forbidden("Only the producer's owner can manage API tokens")
    if caller.role is Role.PRODUCER_OWNER and caller.organization_id != organization_id:
        raise NotFound("Producer not found", field="organization_id")
    if session.get(Organization, organization_id) is None:  # an admin may name any id
        raise NotFound("Producer not found", field="organization_id")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organization_id=organization_id,
        name=name,
        prefix=secret[:12],
        token_hash=_digest(secret),
        created_by=caller.user_id,
    )
    session.add(token)
    session.flush()
    audit.record(session, caller, "token.issue", "api_token", token.id, on_behalf_of=organization_id, name=name)
    return token, secret


def list_tokens(session: Session, caller: Caller) -> list[ApiToken]:
    if caller.role is not Role.PRODUCER_OWNER:
        raise Forbidden("Only the producer's owner can manage API tokens")
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.organization_id == caller.organization_id).order_by(ApiToken.id)
        )
    )


def revoke_token(session: Session, caller: Caller, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (caller.role is not Role.ADMIN and token.organization_id != caller.organization_id):
        raise NotFound("Token not found")
    if caller.role not in (Role.ADMIN, Role.PRODUCER_OWNER):
        raise Forbidden("Only the producer's owner can manage API tokens")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, caller, "token.revoke", "api_token", token.id, on_behalf_of=token.organization_id)
    return token


def caller_from_token(session: Session, secret: str) -> Caller:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        raise Unauthenticated("The API token is not valid")
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None:
        raise Unauthenticated("The API token is not valid")
    token.last_used_at = utcnow()
    # A token acts as the organization's staff: it manages records, not people or tokens.
    return Caller(
        role=Role.PRODUCER_STAFF,
        organization_id=token.organization_id,
        token_id=token.id,
        login=f"token:{token.prefix}",
    )
