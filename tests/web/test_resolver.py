"""GS1-Conformant Resolver behaviour: the linkset (RFC 9264) checked against GS1's model, the Link header, link-type
redirects, 400 for syntax errors, 404 for unknown codes and link types, HEAD, OPTIONS, CORS and the description
file at /.well-known/gs1resolver."""

from datetime import date
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories
from tests.web.test_public_page import BASE, new_gtin, showcase
from trace import batches
from trace.batches import BatchIn

LINKSET = "application/linkset+json"
GS1 = "https://gs1.org/voc/"

# GS1's model of a resolver's linkset (GS1-Conformant Resolver standard, linkset schema), written out here: one
# context object per item with its anchor, each link relation a GS1 Web Vocabulary URI holding a list of target
# objects (href required; title, type and hreflang as strings and a list of language tags).
TARGET = {
    "type": "object",
    "required": ["href", "title", "type"],
    "properties": {
        "href": {"type": "string", "pattern": "^https?://"},
        "title": {"type": "string", "minLength": 1},
        "type": {"type": "string", "pattern": "^[a-z]+/[a-z0-9.+-]+$"},
        "hreflang": {"type": "array", "minItems": 1, "items": {"pattern": "^[a-z]{2,3}(-[A-Za-z0-9]+)*$"}},
    },
    "additionalProperties": False,
}
LINKSET_SCHEMA = {
    "type": "object",
    "required": ["linkset"],
    "additionalProperties": False,
    "properties": {
        "linkset": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["anchor", f"{GS1}defaultLink"],
                "properties": {
                    "anchor": {"type": "string", "pattern": "^https?://[a-zA-Z0-9./]+"},
                    "description": {"type": "string"},
                    "itemDescription": {"type": "string"},
                    f"{GS1}defaultLink": {"type": "array", "minItems": 1, "maxItems": 1, "items": TARGET},
                },
                "patternProperties": {
                    "^https://gs1\\.org/voc/[A-Za-z]+$": {"type": "array", "minItems": 1, "items": TARGET}
                },
                "additionalProperties": False,
            },
        }
    },
}
DESCRIPTION_SCHEMA = {
    "type": "object",
    "required": ["name", "resolverRoot", "supportedPrimaryKeys", "supportedLinkType", "linkTypeDefaultCanBeLinkset"],
    "properties": {
        "name": {"type": "string"},
        "resolverRoot": {"type": "string", "pattern": "^https?://[^/]+$"},
        "supportedPrimaryKeys": {"type": "array", "items": {"enum": ["all", "01", "00", "414", "417", "8004"]}},
        "supportedLinkType": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["namespace", "prefix"],
                "properties": {"namespace": {"type": "string"}, "prefix": {"pattern": "^[a-zA-Z_][A-Za-z0-9_-]*?:$"}},
            },
        },
        "linkTypeDefaultCanBeLinkset": {"type": "boolean"},
        "linkTypeDefaultCanBeAll": {"type": "boolean"},
        "jsonLdContextLocation": {"type": "string"},
    },
}


def assert_gs1_linkset(body: dict[str, Any], anchor: str) -> dict[str, Any]:
    jsonschema.validate(body, LINKSET_SCHEMA)
    [context] = body["linkset"]
    assert context["anchor"] == anchor
    assert len(context[f"{GS1}defaultLink"]) == 1  # exactly one default link
    return context


def test_linkset_by_accept_header_and_by_link_type(db: Session, client: TestClient) -> None:
    s = showcase(db)
    anchor = BASE + s.unit_path()
    for response in (
        client.get(s.unit_path(), headers={"accept": LINKSET}),
        client.get(s.unit_path() + "?linkType=linkset"),
        client.get(s.unit_path() + "?linkType=all"),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == LINKSET
        assert response.headers["access-control-allow-origin"] == "*"
        context = assert_gs1_linkset(response.json(), anchor)
        assert context["description"] == "Hạt dẻ Trùng Khánh"
        [default] = context[f"{GS1}defaultLink"]
        assert default == {
            "href": anchor,
            "title": "Trang thông tin sản phẩm",
            "type": "text/html",
            "hreflang": ["vi", "en", "zh"],
        }
        assert context[f"{GS1}certificationInfo"][0]["href"] == anchor + "#certs"
        assert context[f"{GS1}traceability"][0]["href"] == anchor + "#timeline"
        assert context[f"{GS1}epcis"] == [
            {
                "href": f"{BASE}/api/v1/public/batches/{s.batch.public_code}/epcis",
                "title": "Các sự kiện EPCIS 2.0 của lô hàng",
                "type": "application/ld+json",
            }
        ]
        assert "json-ld#context" in response.headers["link"]


def test_a_product_level_linkset_has_no_batch_links(db: Session, client: TestClient) -> None:
    s = showcase(db)
    response = client.get(f"/01/{s.product.gtin}", headers={"accept": LINKSET, "accept-language": "en"})
    context = assert_gs1_linkset(response.json(), f"{BASE}/01/{s.product.gtin}")
    assert context[f"{GS1}defaultLink"][0]["title"] == "Product information page"
    assert not {f"{GS1}epcis", f"{GS1}traceability"} & set(context)


def test_every_answer_points_to_the_linkset_in_a_link_header(db: Session, client: TestClient) -> None:
    s = showcase(db)
    expected = f'<{BASE}{s.path}?linkType=linkset>; rel="linkset"; type="{LINKSET}"'
    page = client.get(s.path)
    redirect = client.get(s.path + "?linkType=gs1:pip", follow_redirects=False)
    head = client.head(s.path)
    for response in (page, redirect, head):
        assert expected in response.headers["link"]
        assert response.headers["access-control-allow-origin"] == "*"
        assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize(
    ("link_type", "target"),
    [
        ("gs1:certificationInfo", "{anchor}#certs"),
        ("gs1:pip", "{anchor}"),
        ("gs1:defaultLink", "{anchor}"),
        ("gs1:traceability", "{anchor}#timeline"),
        ("gs1:recallStatus", "{anchor}#status"),
        ("gs1:epcis", "{base}/api/v1/public/batches/{code}/epcis"),
        ("https://gs1.org/voc/epcis", "{base}/api/v1/public/batches/{code}/epcis"),
    ],
)
def test_a_link_type_redirects_to_its_target(db: Session, client: TestClient, link_type: str, target: str) -> None:
    s = showcase(db)
    response = client.get(s.path, params={"linkType": link_type}, follow_redirects=False)
    assert response.status_code == 307
    anchor = BASE + s.path
    assert response.headers["location"] == target.format(anchor=anchor, base=BASE, code=s.batch.public_code)


def test_unknown_or_missing_link_types_answer_404(db: Session, client: TestClient) -> None:
    s = showcase(db)
    for path, link_type in ((s.path, "gs1:allergenInfo"), (s.path, "gs1:nonsense"), (s.path, "schema:foo"),
                            (f"/01/{s.product.gtin}", "gs1:epcis")):  # fmt: skip
        response = client.get(path, params={"linkType": link_type}, follow_redirects=False)
        assert response.status_code == 404, link_type
        assert link_type in response.text
    as_json = client.get(s.path, params={"linkType": "gs1:nonsense"}, headers={"accept": "application/json"})
    assert as_json.status_code == 404
    message = "Hệ thống phân giải này không có liên kết loại gs1:nonsense"
    assert as_json.json() == {"error": "not_found", "message": message}


def test_syntax_errors_answer_400_with_the_reason(db: Session, client: TestClient) -> None:
    gtin = new_gtin()
    cases = {
        f"/01/{gtin[:-1]}": "Digital Link ghi GTIN bằng 14 chữ số, không phải 13",
        f"/01/{gtin}/10/A/10/B": "(10) xuất hiện hai lần",
        f"/01/{gtin}/10//21/S1": "(10) không có giá trị",
        f"/01/{gtin}?17=261340": "(17) không phải là ngày hợp lệ (YYMMDD): 261340",
        f"/01/{gtin}?9999=1": "Mã AI (9999) không xác định",
    }
    for path, reason in cases.items():
        page = client.get(path)
        assert page.status_code == 400 and reason in page.text, path
        linkset = client.get(path, headers={"accept": LINKSET})
        assert linkset.status_code == 400
        assert linkset.json() == {"error": "invalid_code", "message": reason}
        assert linkset.headers["access-control-allow-origin"] == "*"


def test_percent_encoding_and_a_trailing_slash_are_resolved(db: Session, client: TestClient) -> None:
    owner = factories.producer(db)
    product = factories.product(db, owner, gtin=new_gtin())
    batch = batches.create(
        db, owner.caller, BatchIn(product_id=product.id, lot_code="A/1+2", production_date=date(2026, 10, 1))
    )
    batches.publish(db, owner.caller, batch.id)
    db.flush()
    path = f"/01/{product.gtin}/10/A%2F1%2B2"
    assert client.get(path).status_code == 200
    assert client.get(path + "/").status_code == 200  # tolerated when resolving
    context = assert_gs1_linkset(client.get(path, headers={"accept": LINKSET}).json(), BASE + path)
    assert context[f"{GS1}defaultLink"][0]["href"] == BASE + path  # never with a trailing slash


def test_head_and_options(db: Session, client: TestClient) -> None:
    s = showcase(db)
    head = client.head(s.unit_path())
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/html")
    assert client.head(f"/01/{new_gtin()}").status_code == 404
    for path in (s.unit_path(), f"/c/{s.batch.public_code}", f"/c/{s.batch.public_code}/{s.serials[0]}"):
        preflight = client.options(
            path, headers={"origin": "https://app.example", "access-control-request-method": "GET"}
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "GET" in preflight.headers["access-control-allow-methods"]
        assert "HEAD" in preflight.headers["allow"] and "OPTIONS" in preflight.headers["allow"]


def test_an_unknown_code_answers_404_to_a_linkset_client(db: Session, client: TestClient) -> None:
    response = client.get(f"/01/{new_gtin()}/10/X", headers={"accept": LINKSET})
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "Mã này chưa được đăng ký"}


def test_the_resolver_description_file(client: TestClient) -> None:
    response = client.get("/.well-known/gs1resolver")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    jsonschema.validate(body, DESCRIPTION_SCHEMA)
    assert body["resolverRoot"] == BASE
    assert body["supportedPrimaryKeys"] == ["01"]
    assert body["supportedLinkType"] == [{"namespace": GS1, "prefix": "gs1:"}]
