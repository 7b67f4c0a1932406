"""Who is calling: roles and the caller identity every domain operation receives.
Which producers a caller may see is decided in trace/organizations.py (visible_orgs)."""

from dataclasses import dataclass, field
from enum import StrEnum

from trace.errors import Forbidden, InvalidInput, NotFound


class Role(StrEnum):
    ADMIN = "admin"
    AUTHORITY = "authority"
    POINT_OPERATOR = "point_operator"
    PRODUCER_OWNER = "producer_owner"
    PRODUCER_STAFF = "producer_staff"


PRODUCER_ROLES = frozenset({Role.PRODUCER_OWNER, Role.PRODUCER_STAFF})
OVERSIGHT_ROLES = frozenset({Role.ADMIN, Role.AUTHORITY})


@dataclass(frozen=True)
class Caller:
    """An authenticated user or an organization's API token (user_id None, token_id set)."""

    role: Role
    user_id: int | None = None
    organization_id: int | None = None
    trace_point_id: int | None = None
    token_id: int | None = None
    login: str = field(default="")

    @property
    def sees_everything(self) -> bool:
        return self.role in OVERSIGHT_ROLES

    @property
    def is_producer(self) -> bool:
        return self.role in PRODUCER_ROLES


def require_role(caller: Caller, *roles: Role) -> None:
    if caller.role not in roles:
        raise Forbidden("Your role does not allow this action")


def target_org(caller: Caller, organization_id: int | None) -> int:
    """The producer a create acts for: a producer's own; others must say which."""
    if caller.is_producer and caller.organization_id is not None:
        if organization_id not in (None, caller.organization_id):
            raise NotFound("Producer not found", field="organization_id")
        return caller.organization_id
    if organization_id is None:
        raise InvalidInput("This field is required", field="organization_id")
    return organization_id
