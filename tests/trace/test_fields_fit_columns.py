"""What an input model accepts fits the column it is stored in. SQLite stores a text longer than its VARCHAR;
PostgreSQL refuses it, and the request that the model let through ends in a 500 (the fuzzer found a product's
unit of 197 characters for a column of 30)."""

from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import String, Table

from trace.batches import Batch, BatchIn, BatchInput, BatchInputIn, RecallIn
from trace.certifications import Certification, CertificationIn, RenewalIn, RevocationIn
from trace.events import BatchEvent, EventIn
from trace.labelruns import LabelRun, LabelRunIn
from trace.organizations import Organization, OrganizationIn, OrganizationUpdate
from trace.points import CommuneIn, TracePoint, TracePointCommune, TracePointIn
from trace.products import Product, ProductIn
from trace.reports import ProblemReport, ReportIn
from trace.signup import SignupIn
from trace.users import ApiToken, ApiTokenIn, User, UserIn
from trace.verification import RejectionIn, Review

# Each model, the table its fields go to, and the fields stored under another name.
STORED: list[tuple[type[BaseModel], Any, dict[str, str]]] = [
    (ProductIn, Product, {}),
    (BatchIn, Batch, {}),
    (BatchInputIn, BatchInput, {}),
    (RecallIn, Batch, {"reason": "recall_reason"}),
    (CertificationIn, Certification, {}),
    (RenewalIn, Certification, {}),
    (RevocationIn, Certification, {"reason": "revoked_reason"}),
    (EventIn, BatchEvent, {}),
    (LabelRunIn, LabelRun, {}),
    (OrganizationIn, Organization, {}),
    (OrganizationUpdate, Organization, {}),
    (SignupIn, Organization, {}),
    (SignupIn, User, {}),
    (UserIn, User, {}),
    (ApiTokenIn, ApiToken, {}),
    (TracePointIn, TracePoint, {}),
    (CommuneIn, TracePointCommune, {}),
    (ReportIn, ProblemReport, {}),
    (RejectionIn, Review, {}),
]

# Longer in the model than in the column, and safe: the model's own check gives at most the column's length or
# refuses (each is tested with a longer value in tests/web/test_validation.py or the model's own tests).
CHECKED = {
    "gtin": "8, 12, 13 or 14 digits, stored as 14",
    "lot_code": "GS1 AI 10: at most 20 characters",
    "tax_code": "10 digits, or 10-3 for a branch",
    "phone": "digits and separators, at most 30",
    "gs1_company_prefix": "6 to 12 digits",
    "gln": "13 digits",
    "place_gln": "13 digits",
    "net_quantity_unit": "one of the units of measure",
    "login": "at most 60 characters",
}


def _max_length(schema: dict[str, Any], defs: dict[str, Any]) -> int | None:
    """The longest text the field's JSON schema allows: its maxLength, or its enumeration's longest value."""
    lengths = []
    for each in schema.get("anyOf", [schema]):
        each = defs[each["$ref"].rsplit("/", 1)[1]] if "$ref" in each else each
        if "enum" in each:
            lengths.append(max(len(value) for value in each["enum"]))
        elif "maxLength" in each:
            lengths.append(each["maxLength"])
    return max(lengths, default=None)


@pytest.mark.parametrize(("model", "orm", "renamed"), STORED, ids=[f"{m.__name__}-{o.__name__}" for m, o, _ in STORED])
def test_every_text_a_model_accepts_fits_its_column(model: type[BaseModel], orm: Any, renamed: dict[str, str]) -> None:
    table: Table = orm.__table__
    schema = model.model_json_schema()
    properties, defs = schema["properties"], schema.get("$defs", {})
    stored = 0
    for field, each in properties.items():
        column = table.c.get(renamed.get(field, field))
        if column is None or not isinstance(column.type, String) or column.type.length is None:
            continue
        stored += 1
        accepted = _max_length(each, defs)
        assert accepted is not None, f"{model.__name__}.{field} takes any length; {column} holds {column.type.length}"
        if field not in CHECKED:
            assert accepted <= column.type.length, (
                f"{model.__name__}.{field} takes {accepted} characters; {column} holds {column.type.length}"
            )
    assert stored, f"no field of {model.__name__} is a text column of {table.name}: the pair is wrong"
