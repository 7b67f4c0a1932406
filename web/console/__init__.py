"""The server-rendered pages people work in: log-in and sign-up, the producer's console (/console), the community
traceability points (/points) and the authority (/authority). Routes stay thin and call trace/."""

from fastapi import APIRouter

from web.console import auth, authority, points, producer

router = APIRouter(include_in_schema=False)
for part in (auth.router, producer.router, producer.workspace, points.router, points.workspace, authority.router):
    router.include_router(part)
