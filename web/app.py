"""The FastAPI application: JSON API, public pages, resolver. Built by create_app so tests can hand it a database."""

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, PlainTextResponse
from sqlalchemy.engine import Engine
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

from trace import storage
from trace.db import make_engine, make_sessionmaker
from trace.errors import NotFound
from web import api, errors
from web.i18n import negotiate
from web.settings import Settings, get_settings

log = logging.getLogger("web")


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    app = FastAPI(
        title="Truy xuất nguồn gốc OCOP — API",
        version="1",
        description="Registry of producers, products, certifications and batches; GS1 Digital Link labels.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)

    @app.middleware("http")
    async def language(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.lang = negotiate(
            request.query_params.get("lang"), request.cookies.get("lang"), request.headers.get("accept-language")
        )
        response = await call_next(request)
        response.headers.setdefault("Content-Language", request.state.lang)
        return response

    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="trace_session",
        max_age=12 * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    errors.install(app)
    app.include_router(api.router)

    @app.get("/healthz", response_class=PlainTextResponse, include_in_schema=False)
    def healthz() -> str:
        return "ok"

    @app.get("/media/{path:path}", include_in_schema=False)
    def media(path: str) -> FileResponse:
        # Product images and event photos are public (Circular 02/2024 asks for them); names are random.
        target = storage.open_path(settings.storage_dir, path)
        if target is None:
            raise NotFound("Not found")
        return FileResponse(target, headers={"Cache-Control": "public, max-age=86400"})

    return app
