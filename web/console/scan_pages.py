"""Workspace page: how often the producer's codes were scanned, and what consumers reported about them."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from trace import dashboard, reports
from web.console.base import page
from web.console.charts import bar_chart
from web.deps import Db
from web.i18n import gettext


def register(router: APIRouter, WS: Any) -> None:
    @router.get("/scans")
    def scans(request: Request, db: Db, ws: WS) -> HTMLResponse:
        per_day = dashboard.scans_per_day(db, ws.caller, 30, organization_id=ws.org.id)
        title = gettext(request.state.lang, "Scans per day, last 30 days")
        return page(
            request,
            "console/scans.html",
            ws=ws,
            chart=bar_chart(per_day.series(), title),
            total=sum(n for _, n in per_day.series()),
            by_batch=dashboard.scans_by_batch(db, ws.caller, ws.org.id),
            reports=reports.list_visible(db, ws.caller, ws.org.id, limit=100),
        )
