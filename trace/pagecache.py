"""Public pages kept in memory between scans, each used only while the publication version it was read at is
still the database's (trace.publication): a change anyone makes shows on the next scan, in every process.

A scan then costs one small query (the version, and the batch that issued the scanned serial: stamp(), with more to
read in the same statement) instead of the page's six. Units of a batch share one kept page: the serial is
checked against it on every scan. The web layer keeps its rendering of a page beside it (Kept.rendered), so a kept
page is rendered once per language and kind (a unit's page or the batch's)."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from trace import publication
from trace.labelruns import LabelSerial
from trace.lookup import Key, Missing, MissingReason, Page


def serial_batch(serial: ColumnElement[Any]) -> ColumnElement[Any]:
    """The batch that issued ``serial`` (NULL for none)."""
    return select(LabelSerial.batch_id).where(LabelSerial.serial == serial).scalar_subquery()


def stamp(serial: ColumnElement[Any], *also: Any) -> Select[Any]:
    """The statement reading what find() needs first (the version and the serial's batch), then ``also``: a caller
    that reads more for the same scan saves a round trip."""
    return select(publication.CURRENT, serial_batch(serial), *also)


@dataclass(slots=True)
class Kept:
    page: Page
    rendered: dict[Any, Any] = field(default_factory=dict)  # the web layer's, by language and kind of page


class PageCache:
    """The last ``size`` pages found, by what was scanned (without the serial when a lot or a batch code names the
    batch). Safe to share between the threads of a process."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._stamp: tuple[int, date] | None = None
        self._pages: OrderedDict[Key, Kept] = OrderedDict()

    def find(
        self, key: Key, today: date, stamped: Sequence[Any], read: Callable[[Key], Page | Missing]
    ) -> tuple[Page | Missing, Kept | None]:
        """As lookup.find(session, key, today), with the kept page it came from (None for a missing code).
        ``stamped`` starts with what the caller has just read, as stamp(key.serial) reads them: the version and the
        batch that issued key.serial; ``read`` reads a page that is not kept (lookup.find on a session)."""
        # The version was read before the page: a page kept under a version is at least as new as that version.
        version, serial_batch = stamped[0], stamped[1]
        current = (version, today)
        by_batch = key.serial is not None and (key.lot is not None or key.public_code is not None)
        shared = Key(key.gtin, key.lot, None, key.public_code) if by_batch else key
        with self._lock:
            if self._stamp != current:
                self._pages.clear()
                self._stamp = current
            kept = self._pages.get(shared)
            if kept is not None:
                self._pages.move_to_end(shared)
        if kept is None:
            found = read(shared)
            if isinstance(found, Missing):
                return found, None
            kept = Kept(found)
            with self._lock:
                if self._stamp == current:
                    self._pages[shared] = kept
                    if len(self._pages) > self.size:
                        self._pages.popitem(last=False)
        page = kept.page
        if not by_batch:
            return page, kept
        if page.batch is None or serial_batch != page.batch.id:
            return Missing(MissingReason.SERIAL, page.product.name_vi, page.producer.name, page.product.gtin), None
        return replace(page, serial=key.serial), kept
