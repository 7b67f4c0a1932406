"""The JSON API, /api/v1."""

from fastapi import APIRouter

from web.api import auth, batches, certifications, organizations, products, tokens

router = APIRouter(prefix="/api/v1")
for module in (auth, organizations, products, certifications, batches, tokens):
    router.include_router(module.router)
