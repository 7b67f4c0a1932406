"""Every console page against every role and anonymous: anonymous visitors are sent to the log-in page, a wrong
role gets the 403 page, another producer's ids (or ids that do not exist) get the 404 page, and the roles a page
is for get it. The routes come from the application itself, so a new page without a row here fails."""

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tests import factories
from tests.web.console_support import log_in, png, png_file, token
from trace import certifications, events, labelruns, storage
from trace.access import Role
from trace.certifications import CertificationIn, CertKind
from trace.db import VIETNAM_TIME
from trace.events import BizStep, EventIn
from trace.labelruns import LabelRunIn
from web.settings import Settings

CONSOLE_PREFIXES = ("/console", "/points", "/authority", "/login", "/logout", "/signup", "/home")
MISSING = 2_000_000_000

PRODUCER = frozenset({Role.PRODUCER_OWNER, Role.PRODUCER_STAFF})
OWNER = frozenset({Role.PRODUCER_OWNER})
OPERATOR = frozenset({Role.POINT_OPERATOR})
OVERSIGHT = frozenset({Role.ADMIN, Role.AUTHORITY})
EVERYONE = frozenset(Role)
PUBLIC = None  # anyone, logged in or not

# The pages of a producer's workspace, served under /console (its own people) and /points/producers/{org_id}
# (a traceability point on its behalf).
WORKSPACE = [
    ("GET", ""),
    ("GET", "/profile"),
    ("POST", "/profile"),
    ("POST", "/profile/resubmit"),
    ("GET", "/products"),
    ("GET", "/products/new"),
    ("POST", "/products/new"),
    ("GET", "/products/{product_id}"),
    ("GET", "/products/{product_id}/edit"),
    ("POST", "/products/{product_id}/edit"),
    ("POST", "/products/{product_id}/images"),
    ("GET", "/certifications"),
    ("GET", "/certifications/new"),
    ("POST", "/certifications/new"),
    ("GET", "/certifications/{cert_id}"),
    ("GET", "/certifications/{cert_id}/document"),
    ("POST", "/certifications/{cert_id}/document"),
    ("GET", "/certifications/{cert_id}/renew"),
    ("POST", "/certifications/{cert_id}/renew"),
    ("POST", "/certifications/{cert_id}/resubmit"),
    ("GET", "/batches"),
    ("GET", "/batches/new"),
    ("POST", "/batches/new"),
    ("GET", "/batches/{batch_id}"),
    ("GET", "/batches/{batch_id}/edit"),
    ("POST", "/batches/{batch_id}/edit"),
    ("POST", "/batches/{batch_id}/publish"),
    ("POST", "/batches/{batch_id}/recall"),
    ("GET", "/batches/{batch_id}/events/new"),
    ("POST", "/batches/{batch_id}/events/new"),
    ("POST", "/batches/{batch_id}/events/{event_id}/photos"),
    ("POST", "/batches/{batch_id}/events/{event_id}/delete"),
    ("GET", "/batches/{batch_id}/labels"),
    ("POST", "/batches/{batch_id}/labels"),
    ("GET", "/labels"),
    ("GET", "/labels/{run_id}"),
    ("GET", "/labels/{run_id}/pdf"),
    ("GET", "/scans"),
]

MATRIX: dict[tuple[str, str], frozenset[Role] | None] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/signup"): PUBLIC,
    ("POST", "/signup"): PUBLIC,
    ("GET", "/home"): EVERYONE,
    ("GET", "/console/staff"): OWNER,
    ("POST", "/console/staff"): OWNER,
    **{(method, "/console" + path): PRODUCER for method, path in WORKSPACE},
    ("GET", "/points"): OPERATOR,
    ("GET", "/points/register"): OPERATOR,
    ("POST", "/points/register"): OPERATOR,
    ("GET", "/points/history"): OPERATOR,
    **{(method, "/points/producers/{org_id}" + path): OPERATOR for method, path in WORKSPACE},
    ("GET", "/authority"): OVERSIGHT,
    ("GET", "/authority/producers"): OVERSIGHT,
    ("GET", "/authority/producers/{org_id}"): OVERSIGHT,
    ("POST", "/authority/producers/{org_id}/approve"): OVERSIGHT,
    ("POST", "/authority/producers/{org_id}/reject"): OVERSIGHT,
    ("POST", "/authority/producers/{org_id}/suspend"): OVERSIGHT,
    ("POST", "/authority/producers/{org_id}/reinstate"): OVERSIGHT,
    ("GET", "/authority/certifications"): OVERSIGHT,
    ("GET", "/authority/certifications/{cert_id}"): OVERSIGHT,
    ("GET", "/authority/certifications/{cert_id}/document"): OVERSIGHT,
    ("POST", "/authority/certifications/{cert_id}/approve"): OVERSIGHT,
    ("POST", "/authority/certifications/{cert_id}/reject"): OVERSIGHT,
    ("POST", "/authority/certifications/{cert_id}/revoke"): OVERSIGHT,
    ("GET", "/authority/batches"): OVERSIGHT,
    ("GET", "/authority/batches/{batch_id}"): OVERSIGHT,
    ("POST", "/authority/batches/{batch_id}/recall"): OVERSIGHT,
    ("GET", "/authority/dashboard"): OVERSIGHT,
    ("GET", "/authority/dashboard/{name}.csv"): OVERSIGHT,
    ("GET", "/authority/reports"): OVERSIGHT,
    ("GET", "/authority/users"): OVERSIGHT,
    ("GET", "/authority/users/{user_id}/password"): OVERSIGHT,
    ("POST", "/authority/users/{user_id}/password"): OVERSIGHT,
}


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        if isinstance(route, APIRoute):
            for method in route.methods:
                yield method, prefix + route.path
        elif hasattr(route, "original_router"):  # FastAPI ≥ 0.160 keeps included routers as branches
            yield from _walk(route.original_router.routes, prefix + route.include_context.prefix)


def console_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {(m, p) for m, p in _walk(app.router.routes) if p.startswith(CONSOLE_PREFIXES) and m != "HEAD"}


def test_every_console_route_has_a_row(app: FastAPI) -> None:
    assert console_routes(app) == set(MATRIX)


def _records(db: Session, owner: factories.Producer, settings: Settings) -> dict[str, Any]:
    product = factories.product(db, owner)
    cert = certifications.create(
        db,
        owner.caller,
        CertificationIn(kind=CertKind.VIETGAP, number="VG-1", issuer="Trung tâm", issued_on=date(2026, 1, 1)),
    )
    document, _ = storage.save(settings.storage_dir, png(), max_bytes=10_000)
    certifications.attach_document(db, owner.caller, cert.id, document)
    published = factories.batch(db, owner, product)
    draft = factories.batch(db, owner, product, publish=False)
    event = events.add(
        db,
        owner.caller,
        draft.id,
        EventIn(biz_step=BizStep.PACKING, occurred_at=datetime(2026, 10, 2, 8, tzinfo=VIETNAM_TIME)),
    )
    run, _ = labelruns.create(
        db, owner.caller, published.id, LabelRunIn(count=2, layout="a4-3x8"), f"k-{owner.org.id}", "https://t.vn"
    )
    return {
        "org_id": owner.org.id,
        "product_id": product.id,
        "cert_id": cert.id,
        "batch_id": draft.id,
        "event_id": event.id,
        "run_id": run.id,
        "user_id": owner.owner.id,
        "name": "products",
    }


def _fill(path: str, values: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def test_role_matrix(app: FastAPI, db: Session, connection: Connection, settings: Settings) -> None:
    point = factories.trace_point(db, ("Trùng Khánh",))
    mine = factories.producer(db, "Trùng Khánh")
    other = factories.producer(db, "Hòa An")  # not served by the point
    people = {
        Role.PRODUCER_OWNER: mine.owner,
        Role.PRODUCER_STAFF: factories.user(db, Role.PRODUCER_STAFF, organization_id=mine.org.id),
        Role.POINT_OPERATOR: factories.user(db, Role.POINT_OPERATOR, trace_point_id=point.id),
        Role.AUTHORITY: factories.user(db, Role.AUTHORITY),
        Role.ADMIN: factories.user(db, Role.ADMIN),
    }
    own, foreign = _records(db, mine, settings), _records(db, other, settings)
    missing = dict.fromkeys(own, MISSING) | {"name": "no-such-figure"}
    db.commit()

    anonymous = TestClient(app, follow_redirects=False)
    clients = {role: log_in(TestClient(app, follow_redirects=False), user.login) for role, user in people.items()}
    tokens = {None: token(anonymous)} | {role: token(c, "/home") for role, c in clients.items()}

    def request(role: Role | None, method: str, path: str) -> tuple[int, str]:
        client = anonymous if role is None else clients[role]
        # Each request runs in a savepoint rolled back afterwards: a publish or a delete by one role must not
        # change what the next role meets.
        savepoint = connection.begin_nested()
        try:
            if method == "GET":
                response = client.get(path)
            else:
                files = png_file() if path.endswith(("/images", "/photos", "/document")) else None
                response = client.post(path, data={"csrf_token": tokens[role]}, files=files)
        finally:
            savepoint.rollback()
        return response.status_code, response.headers.get("location", "")

    failures = []
    # Logging out ends the clients' sessions: that row goes last.
    for (method, template), allowed in sorted(MATRIX.items(), key=lambda row: (row[0][1] == "/logout", row[0])):
        path = _fill(template, own)
        status, location = request(None, method, path)
        if allowed is PUBLIC:
            if status == 403 or status >= 500:
                failures.append(f"anonymous {method} {path}: {status}")
        elif not (status == 303 and location.startswith("/login?next=")):
            failures.append(f"anonymous {method} {path}: {status} {location} (expected the log-in page)")
        for role in Role:
            status, location = request(role, method, path)
            if allowed is not PUBLIC and role not in allowed:
                if status != 403:
                    failures.append(f"{role} {method} {path}: {status} (expected 403)")
                continue
            if allowed is PUBLIC:
                if status == 403 or status >= 500:
                    failures.append(f"{role} {method} {path}: {status}")
                continue
            if status in (401, 403, 404, 405) or status >= 500 or location.startswith("/login?"):
                failures.append(f"{role} {method} {path}: {status} {location} (expected to be allowed)")
            if "{" not in template:
                continue
            for label, values in (("another producer's", foreign), ("missing", missing)):
                if label == "another producer's" and role in OVERSIGHT:
                    continue  # the authority sees every producer
                status, _ = request(role, method, _fill(template, values))
                if status != 404:
                    failures.append(f"{role} {method} {template} with {label} ids: {status} (expected 404)")
    assert not failures, "\n".join(failures)
