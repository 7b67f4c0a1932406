"""Public addresses of records: GS1 Digital Links where the product has a GTIN, the short route otherwise."""

from urllib.parse import quote

from trace import gs1
from trace.batches import Batch


def batch_url(base: str, batch: Batch, serial: str | None = None) -> str:
    gtin = batch.product.gtin
    if gtin:
        return gs1.DigitalLink(gtin=gtin, lot=batch.lot_code, serial=serial).to_uri(base)
    path = f"{base.rstrip('/')}/c/{batch.public_code}"
    return f"{path}/{quote(serial, safe='')}" if serial else path
