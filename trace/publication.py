"""The publication version: one number that changes, in the same transaction, with anything a public page shows.

Public pages are read on every scan and change rarely, so each process keeps them in memory (trace.pagecache). A
kept page is used only while the version it was read at is still the database's: a revoked certificate, a recall or
a producer losing its "verified" mark shows on the next scan, in every process, as if nothing were kept.

Database triggers (migration 0006) bump the number on every insert, update or delete of the tables below, whatever
code or console made the change. On PostgreSQL the trigger runs before each statement, so a writing transaction
takes the version row's lock before any row of its own: writers of public data queue there one at a time (they
are rare next to scans) and cannot deadlock on it. Scans, label runs, reports and the audit log do not touch it."""

from sqlalchemy import BigInteger, Connection, Integer, select
from sqlalchemy.orm import Mapped, mapped_column

from trace.db import Base

# Every table a public page reads (trace.lookup).
PUBLIC_TABLES = (
    "organizations",
    "products",
    "product_images",
    "certifications",
    "batches",
    "batch_inputs",
    "batch_events",
    "event_photos",
)


class PublicationVersion(Base):
    __tablename__ = "publication_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # one row, id 1
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))


CURRENT = select(PublicationVersion.version).where(PublicationVersion.id == 1).scalar_subquery()


def current(conn: Connection) -> int:
    return int(conn.execute(select(CURRENT)).scalar_one())
