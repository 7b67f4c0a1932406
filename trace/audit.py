"""The append-only audit log: who did what, on whose behalf, when. A database trigger refuses updates and
deletes (see the first migration), so history cannot be rewritten even by a buggy route."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from trace.access import Caller
from trace.db import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    actor_role: Mapped[str] = mapped_column(String(30))
    trace_point_id: Mapped[int | None] = mapped_column(ForeignKey("trace_points.id"))
    on_behalf_of_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: Session,
    caller: Caller | None,
    action: str,
    entity: str,
    entity_id: int | None,
    on_behalf_of: int | None = None,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            actor_user_id=caller.user_id if caller else None,
            actor_token_id=caller.token_id if caller else None,
            actor_role=caller.role.value if caller else "system",
            trace_point_id=caller.trace_point_id if caller else None,
            on_behalf_of_org_id=on_behalf_of,
            action=action,
            entity=entity,
            entity_id=entity_id,
            details={k: _jsonable(v) for k, v in details.items()},
        )
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def entries_for(session: Session, entity: str, entity_id: int) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
    )
