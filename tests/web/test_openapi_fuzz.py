"""Property-based API test: schemathesis generates requests from our own OpenAPI document, valid and invalid, and
sends them in-process to the ASGI app as a producer's API token; no answer may be a 5xx, and every answer must be
one the document declares (status code, content type, headers, body schema).

Bounded for CI: a few examples per operation, no deadline (the first request of an operation pays for imports).
Each operation runs in the test's rolled-back transaction, so whatever the fuzzer creates disappears."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.python.asgi import ASGIClient
from sqlalchemy.orm import Session

from tests import factories
from trace import batches, events, organizations, products, users
from trace.batches import BatchIn
from trace.db import make_engine
from trace.events import BizStep, EventIn
from trace.organizations import OrganizationIn, OrgKind, OrgStatus
from trace.products import ProductIn
from web.app import create_app
from web.ratelimit import Limit, RateLimiter
from web.settings import Settings

# Not negative_data_rejection: forms and spreadsheets give numbers and dates as text, so the shared input models take
# "5" for 5 where JSON Schema calls it the wrong type. What would store a value nobody gave (true as 1, false as a
# longitude of 0, 0 as 1970-01-01) is refused (trace/fields.py; tests/web/test_validation.py).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def token(db: Session) -> str:
    """A verified producer with a product, a draft batch and an event, so that ids the fuzzer guesses sometimes
    exist, and its API token (no user account: an argon2 hash per operation would dominate the run time)."""
    org = organizations.register(
        db,
        factories.ADMIN,
        OrganizationIn(
            kind=OrgKind.COOPERATIVE, name="HTX Thử", address="Xóm 1", commune="Trùng Khánh", province="Cao Bằng"
        ),
    )
    organizations.set_status(db, factories.ADMIN, org.id, OrgStatus.VERIFIED, None)
    _, secret = users.issue_token(db, factories.ADMIN, org.id, "fuzz")
    caller = users.caller_from_token(db, secret)
    product = products.create(db, caller, ProductIn(name_vi="Miến dong", gtin="8936010000124", unit="gói"))
    batch = batches.create(db, caller, BatchIn(product_id=product.id, lot_code="L1", production_date="2026-10-01"))
    events.add(db, caller, batch.id, EventIn(biz_step=BizStep.HARVESTING, occurred_at="2026-10-01T07:00:00+07:00"))
    db.commit()
    return secret


@pytest.fixture
def session(app: FastAPI) -> Iterator[ASGIClient]:
    """One in-process client for all of an operation's examples (schemathesis would start one, with the app's
    lifespan, per request)."""
    # The fuzzer is one client sending hundreds of requests: lift the limits it would otherwise (rightly) hit.
    app.state.rate_limiter = RateLimiter(per_network=Limit(10**6, 1), per_token=Limit(10**6, 1))
    with ASGIClient(app) as client:
        yield client


# The document is read from an app on a throwaway database; each example goes to the test's own app (`session`).
# (schemathesis.pytest.from_fixture would load it from the fixture, but 4.32 reads pytest's private `_nodeid`,
# which pytest 9 no longer has.)
# The login is left out: each failed attempt verifies an argon2 hash on purpose (~0.2 s), which would make it a
# third of the run; test_exchange_api covers its odd inputs.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(database_url="sqlite://", secret_key="fuzz"), make_engine("sqlite://"))
).exclude(method="POST", path="/api/v1/auth/login")


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_no_server_error_and_every_answer_as_documented(case: Any, session: ASGIClient, token: str) -> None:
    # 60 s, not schemathesis's 10: on a 2-core machine shared with other suites a request may be slow, not hung.
    bearer = {"Authorization": f"Bearer {token}"}
    case.call_and_validate(session=session, headers=bearer, checks=CHECKS, timeout=60)
