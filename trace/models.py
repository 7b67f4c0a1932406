"""Every mapped module, imported once so that the metadata (for Alembic and mapper configuration) is complete."""

from trace import audit, batches, certifications, events, organizations, points, products, users
from trace.db import Base

metadata = Base.metadata

__all__ = ["audit", "batches", "certifications", "events", "metadata", "organizations", "points", "products", "users"]
