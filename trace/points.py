"""Community traceability points (điểm truy xuất nguồn gốc cộng đồng) and the communes each serves."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from trace import audit
from trace.access import Caller, Role
from trace.db import Base, UTCDateTime, utcnow
from trace.errors import Forbidden
from trace.fields import Input, ShortText


class TracePoint(Base):
    __tablename__ = "trace_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    commune: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    communes: Mapped[list["TracePointCommune"]] = relationship(
        back_populates="trace_point", cascade="all, delete-orphan", order_by="TracePointCommune.id"
    )


class TracePointCommune(Base):
    __tablename__ = "trace_point_communes"
    __table_args__ = (UniqueConstraint("trace_point_id", "commune", "province", name="uq_trace_point_commune"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trace_point_id: Mapped[int] = mapped_column(ForeignKey("trace_points.id"), index=True)
    commune: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(200))

    trace_point: Mapped[TracePoint] = relationship(back_populates="communes")


class CommuneIn(Input):
    commune: ShortText
    province: ShortText


class TracePointIn(Input):
    name: ShortText
    commune: ShortText
    province: ShortText
    serves: list[CommuneIn] = []


def create_trace_point(session: Session, data: TracePointIn, caller: Caller | None = None) -> TracePoint:
    if caller is not None and caller.role is not Role.ADMIN:
        raise Forbidden("Your role does not allow this action")
    point = TracePoint(name=data.name, commune=data.commune, province=data.province)
    served = {(data.commune, data.province)} | {(c.commune, c.province) for c in data.serves}
    point.communes = [TracePointCommune(commune=c, province=p) for c, p in sorted(served)]
    session.add(point)
    session.flush()
    audit.record(session, caller, "trace_point.create", "trace_point", point.id)
    return point


def get_trace_point(session: Session, point_id: int) -> TracePoint | None:
    return session.scalar(select(TracePoint).where(TracePoint.id == point_id))


def list_visible(session: Session, caller: Caller) -> list[TracePoint]:
    """Oversight sees every point; an operator its own; producers none."""
    stmt = select(TracePoint).order_by(TracePoint.id)
    if caller.sees_everything:
        return list(session.scalars(stmt))
    if caller.trace_point_id is not None:
        return list(session.scalars(stmt.where(TracePoint.id == caller.trace_point_id)))
    return []
