"""Label rendering: barcode symbols, layouts as data, PDF / PNG / SVG / ZPL output.

Takes plain values (``labels.content.LabelContent``) and never imports SQLAlchemy, ``trace`` or ``web``:
the caller maps its records to label contents.

- ``labels.symbols``: ``qr_matrix`` (the one seam to a QR encoder), QR / EAN-13 / GS1-128 as PNG and SVG
- ``labels.layouts``: A4 sheets and thermal labels, custom sheets, the ``LAYOUTS`` registry
- ``labels.compose``: where the QR code and each fitted line of text go on one label
- ``labels.pdf``: ``render_pdf``; ``labels.zpl``: ``render_zpl`` for Zebra printers
"""
