"""Label runs as the API and the command line use them: layouts checked against ``labels``, records mapped to
plain label contents (``labels`` never sees a model), rendered to PDF, ZPL or a CSV of serials."""

import csv
import io
from collections.abc import Callable, Iterator
from typing import BinaryIO, Literal

from sqlalchemy.orm import Session

from labels.content import LabelContent
from labels.layouts import LAYOUTS, Layout, get_layout
from labels.pdf import render_pdf
from labels.zpl import DPIS, render_zpl
from trace import labelruns
from trace.access import Caller
from trace.errors import Conflict, InvalidInput
from trace.labelruns import LabelRun, LabelRunIn
from trace.organizations import Organization
from web.links import batch_url

Output = Literal["pdf", "zpl", "csv"]


def layout_named(name: str) -> Layout:
    if name.startswith("custom:"):
        try:
            return get_layout(name)
        except ValueError as exc:
            raise InvalidInput(
                "A custom sheet is written custom:COLSxROWS:WIDTHxHEIGHT:LEFT,TOP[:PITCH_X,PITCH_Y] in mm and must "
                "fit on A4 ({reason})",
                field="layout",
                reason=str(exc),
            ) from None
    layout = LAYOUTS.get(name)
    if layout is None:
        raise InvalidInput(
            "Unknown layout {layout}; choose one of: {known}", field="layout", layout=name, known=", ".join(LAYOUTS)
        )
    return layout


def check_skip(layout: Layout, skip: int) -> None:
    if skip >= layout.per_page:
        raise InvalidInput(
            "Layout {layout} holds {per_page} labels a page: skip at most {max}",
            field="skip",
            layout=layout.name,
            per_page=layout.per_page,
            max=layout.per_page - 1,
        )


def create_run(
    session: Session, caller: Caller, batch_id: int, data: LabelRunIn, idempotency_key: str, link_base: str
) -> tuple[LabelRun, bool]:
    """(run, created): a new run, or the one this idempotency key already made."""
    check_skip(layout_named(data.layout), data.skip)
    return labelruns.create(session, caller, batch_id, data, idempotency_key, link_base)


def label_contents(session: Session, run: LabelRun) -> Iterator[LabelContent]:
    """The run's labels in print order: one per serial, or ``count`` copies of the batch's own code."""
    batch = labelruns.batch_of(session, run)
    product = batch.product
    producer = session.get(Organization, batch.organization_id)
    assert producer is not None  # a foreign key
    common = {
        "product_name": product.name_vi,
        "producer_name": producer.name,
        "lot": batch.lot_code,
        "production_date": batch.production_date,
        "expiry_date": batch.expiry_date,
        "ocop_stars": labelruns.ocop_stars(session, product.id),
        "gtin": product.gtin,
    }
    if run.batch_level:
        label = LabelContent(
            **common,
            short_code=labelruns.format_short_code(batch.public_code),
            qr_data=batch_url(run.link_base, batch),
        )
        for _ in range(run.count):
            yield label
        return
    for serial in labelruns.serials(session, run):
        yield LabelContent(
            **common,
            short_code=labelruns.format_short_code(serial),
            qr_data=batch_url(run.link_base, batch, serial),
        )


def render(
    session: Session,
    caller: Caller,
    run: LabelRun,
    output: Output,
    out: BinaryIO,
    *,
    skip: int | None = None,
    dpi: int = 203,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write the run's labels to ``out``; ``skip`` overrides the run's for a reprint on a partly used sheet."""
    layout = layout_named(run.layout)
    if output == "pdf":
        skip = run.skip if skip is None else skip
        check_skip(layout, skip)
        render_pdf(label_contents(session, run), layout, out, skip=skip, progress=progress)
    elif output == "zpl":
        if layout.kind != "thermal":
            raise Conflict(
                "ZPL is for thermal printers; this run uses the sheet layout {layout}",
                field="layout",
                layout=run.layout,
            )
        if dpi not in DPIS:
            raise InvalidInput("Zebra printers print at {dpis} dpi", field="dpi", dpis=" / ".join(map(str, DPIS)))
        render_zpl(label_contents(session, run), layout, out, dpi=dpi)
    else:
        if run.batch_level:
            raise Conflict("A batch-level run has no serials")
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(["position", "serial", "short_code", "digital_link"])
        batch = labelruns.batch_of(session, run)
        for position, serial in enumerate(labelruns.serials(session, run)):
            writer.writerow(
                [position, serial, labelruns.format_short_code(serial), batch_url(run.link_base, batch, serial)]
            )
        text.flush()
        text.detach()  # leave ``out`` open for the caller
    labelruns.record_print(session, caller, run, output)
