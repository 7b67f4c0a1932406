from fastapi import APIRouter

from trace import points
from trace.points import TracePoint, TracePointIn
from web.api.common import READ, WRITE
from web.deps import CurrentCaller, Db
from web.schemas import TracePointOut

router = APIRouter(prefix="/trace-points", tags=["traceability points"])


def point_out(point: TracePoint) -> TracePointOut:
    return TracePointOut(
        id=point.id,
        name=point.name,
        commune=point.commune,
        province=point.province,
        serves=[c.commune for c in point.communes],
    )


@router.post("", response_model=TracePointOut, status_code=201, responses=WRITE)
def create_point(data: TracePointIn, caller: CurrentCaller, db: Db) -> TracePointOut:
    """An admin opens a community traceability point and names the communes it serves."""
    return point_out(points.create_trace_point(db, data, caller))


@router.get("", response_model=list[TracePointOut], responses=READ)
def list_points(caller: CurrentCaller, db: Db) -> list[TracePointOut]:
    return [point_out(p) for p in points.list_visible(db, caller)]
