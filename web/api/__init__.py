"""The JSON API, /api/v1."""

from fastapi import APIRouter

from web.api import auth, batches, certifications, exchange, labels, organizations, points, products, tokens
from web.api.common import errors

router = APIRouter(prefix="/api/v1", responses=errors(400, 429))  # rate limits: web/ratelimit.py
for module in (auth, organizations, products, certifications, batches, labels, points, tokens, exchange):
    router.include_router(module.router)
