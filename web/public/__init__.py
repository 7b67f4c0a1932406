"""The public side, no login: the page a consumer sees after scanning a code, the GS1-conformant resolver around
it, the home page where a code can be typed, and the report-a-problem form."""

from fastapi import APIRouter

from web.public import home, report, scan

router = APIRouter(include_in_schema=False)
for module in (home, scan, report):
    router.include_router(module.router)
