"""N3: every resource carries a classification and a grade (分类分级). One registered without
either, or with a code outside the catalog's vocabularies, is refused with a 422 that names
the field and says what it may be, in zh-CN and English; nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from sluice.catalog.schemas import ResourceCreate
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.web.forms import parse_form
from tests.catalog.factories import resource_data
from tests.identity.factories import bearer, make_account

CLASSES = (
    "population, legal_entity, credit, certificate, geography, economy, social, environment, "
    "transport, utilities"
)
REFUSED: list[tuple[str, dict[str, Any], dict[str, str], tuple[str, str]]] = [
    (
        "no classification",
        {"classification": None},
        {"field": "classification", "type": "missing"},
        ("必须填写。", "This is required."),
    ),
    (
        "unknown classification",
        {"classification": "weather"},
        {"field": "classification", "type": "not_in_vocabulary"},
        (
            f"classification 只能取以下值之一：{CLASSES}。",
            f"classification must be one of: {CLASSES}.",
        ),
    ),
    (
        "no grade",
        {"grade": None},
        {"field": "grade", "type": "missing"},
        ("必须填写。", "This is required."),
    ),
    (
        "unknown grade",
        {"grade": "5"},
        {"field": "grade", "type": "not_in_vocabulary"},
        ("grade 只能取以下值之一：1, 2, 3, 4。", "grade must be one of: 1, 2, 3, 4."),
    ),
]


def test_a_resource_without_a_known_classification_and_grade_is_refused(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider = bearer(client, make_account(database, clock, Role.PROVIDER))
    valid = resource_data("weather", "气象观测数据").model_dump(by_alias=True)
    for case, change, error, (zh, en) in REFUSED:
        body = {k: v for k, v in {**valid, **change}.items() if v is not None}
        for locale, message in (("zh-CN", zh), ("en", en)):
            response = client.post(
                "/api/v1/resources", json=body, headers={**provider, "Accept-Language": locale}
            )
            assert response.status_code == 422, (case, response.text)
            assert response.json()["errors"] == [{**error, "message": message}], case
    mine = client.get("/api/v1/resources", headers=provider)
    assert mine.status_code == 200
    assert mine.json()["total"] == 0
    created = client.post("/api/v1/resources", json=valid, headers=provider)
    assert created.status_code == 201, created.text
    assert (created.json()["classification"], created.json()["grade"]) == ("population", "3")


@pytest.mark.parametrize("field", ["classification", "grade"])
def test_the_console_form_refuses_an_unknown_code_in_words(field: str) -> None:
    values = {**resource_data("weather", "气象观测数据").model_dump(by_alias=True), field: "x"}
    data, errors = parse_form(ResourceCreate, values, "zh-CN")
    assert data is None
    assert errors[field].startswith(f"{field} 只能取以下值之一：")
