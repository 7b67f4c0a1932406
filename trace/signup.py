"""Accounts made from the web pages: a producer signs itself up, and the authority finds an account to reset."""

from pydantic import field_validator, model_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from trace import audit, organizations, users
from trace.access import Caller, Role
from trace.errors import Conflict, Forbidden, InvalidInput, NotFound
from trace.fields import ShortText
from trace.organizations import Organization, OrganizationIn
from trace.text import fold
from trace.users import User, UserIn


class SignupIn(OrganizationIn):
    """The producer's details and its owner's account, filled in on one page."""

    login: ShortText
    display_name: ShortText
    password: str
    password_again: str

    @field_validator("login")
    @classmethod
    def _login(cls, v: str) -> str:
        return UserIn._login(v)

    @field_validator("password")
    @classmethod
    def _password(cls, v: str) -> str:
        users.check_password_strength(v)
        return v

    @model_validator(mode="after")
    def _same_password(self) -> "SignupIn":
        if self.password != self.password_again:
            raise InvalidInput("The two passwords differ", field="password_again")
        return self


def sign_up(session: Session, data: SignupIn) -> tuple[Organization, User]:
    """A pending producer and its owner, in the caller's one transaction: either both exist or neither."""
    if session.scalar(select(User.id).where(User.login == data.login)) is not None:
        raise Conflict("This login is already taken", field="login")
    details = OrganizationIn(**data.model_dump(include=set(OrganizationIn.model_fields)))
    org = organizations.register(session, None, details)
    owner = users.create_user(
        session,
        None,
        UserIn(
            login=data.login,
            display_name=data.display_name,
            password=data.password,
            role=Role.PRODUCER_OWNER,
            organization_id=org.id,
        ),
    )
    audit.record(session, None, "organization.signup", "organization", org.id, on_behalf_of=org.id, owner=owner.id)
    return org, owner


def list_accounts(session: Session, caller: Caller, query: str | None = None, limit: int = 200) -> list[User]:
    """Accounts the authority may help (reset a password); admins see admins too."""
    if not caller.sees_everything:
        raise Forbidden("Your role does not allow this action")
    stmt = select(User).outerjoin(Organization, User.organization_id == Organization.id)
    if caller.role is not Role.ADMIN:
        stmt = stmt.where(User.role != Role.ADMIN)
    if query:
        key = fold(query)
        stmt = stmt.where(
            or_(User.login.contains(key, autoescape=True), Organization.name_search.contains(key, autoescape=True))
        )
    return list(session.scalars(stmt.order_by(User.login).limit(limit)))


def get_account(session: Session, caller: Caller, user_id: int) -> User:
    if not caller.sees_everything:
        raise Forbidden("Your role does not allow this action")
    user = session.get(User, user_id)
    if user is None or (user.role is Role.ADMIN and caller.role is not Role.ADMIN):
        raise NotFound("User not found")
    return user


def organization_users(session: Session, caller: Caller, organization_id: int) -> list[User]:
    organizations.get_visible(session, caller, organization_id)
    return list(session.scalars(select(User).where(User.organization_id == organization_id).order_by(User.id)))
