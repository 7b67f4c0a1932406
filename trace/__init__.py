"""The traceability domain: producers, products, certifications, batches, labels and scans.

This package deliberately shadows the standard library's ``trace`` module: the service always runs from the
repository root, which comes first on ``sys.path`` (see tests/test_import_trace.py).
"""

IS_OCOP_TRACE = True
