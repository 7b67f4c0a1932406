"""Every mapped module, imported once so that the metadata (for Alembic and mapper configuration) is complete."""

from trace import audit, batches, certifications, events, organizations, points, products, users
from trace import epcis as epcis  # captured EPCIS documents
from trace import labelruns as labelruns  # label runs and unit serials
from trace import publication as publication  # the version that public pages are kept by
from trace import reports as reports  # consumers' problem reports (public page)
from trace import scans as scans  # scans of codes (public page)
from trace import verification as verification  # the authority's review decisions (web console)
from trace.db import Base

metadata = Base.metadata

__all__ = ["audit", "batches", "certifications", "events", "metadata", "organizations", "points", "products", "users"]
