"""The qualification API as a client sees it: the whole flow, refusals with their codes,
who may see what, evidence kept by its SM3 digest."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.i18n import translate
from sluice.core.permissions import Role
from sluice.core.settings import Settings
from tests.identity.factories import Account, bearer, make_account
from tests.operators.factories import new_credit_code

PROBLEM = "application/problem+json"
EN = {"Accept-Language": "en"}
MINE = "/api/v1/operators/applications"
REVIEW = "/api/v1/operators/review/applications"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _sm3(content: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(content)
    return digest.finalize().hex()


def _apply(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """A complete application through the API, submitted."""
    created = _ok(
        client.post(
            MINE,
            json={
                "company_name": "营口云港数据有限公司",
                "credit_code": new_credit_code(),
                "business_status": "existing",
            },
            headers=headers,
        ),
        201,
    )
    url = f"{MINE}/{created['id']}"
    me = next(e["id"] for e in created["entities"] if e["is_applicant"])
    _ok(
        client.post(
            f"{url}/principals", json={"name": "陈晓", "position": "法定代表人"}, headers=headers
        ),
        201,
    )
    graph = _ok(
        client.post(
            f"{url}/entities",
            json={"kind": "government", "name": "营口市国资委", "jurisdiction": "cn"},
            headers=headers,
        ),
        201,
    )
    state = next(e["id"] for e in graph["entities"] if e["name"] == "营口市国资委")
    _ok(
        client.post(
            f"{url}/links",
            json={"holder_id": state, "held_id": me, "relation": "shareholder", "share_bp": 10000},
            headers=headers,
        ),
        201,
    )
    _ok(
        client.put(
            f"{url}/financials",
            json={
                "fiscal_year": 2025,
                "total_assets_fen": 40_000_000_000,
                "total_liabilities_fen": 10_000_000_000,
                "net_assets_fen": 30_000_000_000,
                "revenue_fen": 8_000_000_000,
                "net_profit_fen": 500_000_000,
                "committed_funds_fen": 1_000_000_000,
                "audit_opinion": "unqualified",
            },
            headers=headers,
        )
    )
    for item in created["checklist"]:
        _ok(
            client.put(
                f"{url}/checklist/{item['item_key']}",
                json={"statement": f"{item['title']}：详见附件。"},
                headers=headers,
            )
        )
        _ok(
            client.post(
                f"{url}/evidence",
                files={
                    "file": (
                        f"{item['item_key']}.pdf",
                        item["item_key"].encode(),
                        "application/pdf",
                    )
                },
                data={"item_key": item["item_key"], "title": item["title"]},
                headers=headers,
            ),
            201,
        )
    return _ok(client.post(f"{url}/submit", headers=headers))


def test_the_whole_flow_through_the_api(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    applicant = bearer(client, make_account(database, clock, Role.OPERATOR))
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    submitted = _apply(client, applicant)
    assert submitted["status"] == "submitted"
    assert submitted["verdict"] == "qualifies"
    assert submitted["verdict_message"] == "自动检查全部通过"
    assert submitted["actions"] == []
    assert len(submitted["checklist"]) == 14
    review = f"{REVIEW}/{submitted['id']}"

    listed = _ok(client.get(REVIEW, params={"status": "submitted"}, headers=bureau))
    assert [a["id"] for a in listed["items"]] == [submitted["id"]]
    seen = _ok(client.get(review, headers={**bureau, **EN}))
    assert seen["actions"] == ["return", "qualify", "reject"]
    capital = next(c for c in seen["checks"] if c["check"] == "domestic_capital")
    assert capital["result"] == "pass"
    assert capital["message"] == (
        "Looked through 2 parties (shareholders, affiliates, actual controllers) at every "
        "level: all domestic capital."
    )
    for item in seen["checklist"]:
        _ok(
            client.put(
                f"{review}/checklist/{item['item_key']}", json={"judgment": "met"}, headers=bureau
            )
        )
    blank = client.post(
        f"{review}/decision", json={"decision": "qualify", "reason": " "}, headers=bureau
    )
    assert _problem(blank, 422, "invalid_input")["detail"] == "请填写审核意见（理由）。"
    decided = _ok(
        client.post(
            f"{review}/decision",
            json={"decision": "qualify", "reason": "各项条件均符合。"},
            headers=bureau,
        )
    )
    assert decided["status"] == "qualified"
    assert decided["decision_reason"] == "各项条件均符合。"
    assert decided["checks_run"] == 2


def test_the_reviewer_cannot_qualify_with_a_failing_check(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    applicant = bearer(client, make_account(database, clock, Role.OPERATOR))
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    created = _ok(
        client.post(MINE, json={"credit_code": new_credit_code()}, headers=applicant), 201
    )
    url = f"{MINE}/{created['id']}"
    _ok(
        client.post(
            f"{url}/incidents",
            json={"occurred_on": "2024-12-01", "kind": "data", "description": "数据库泄露"},
            headers=applicant,
        ),
        201,
    )
    for item in created["checklist"]:
        client.post(
            f"{url}/evidence",
            files={"file": ("a.txt", b"evidence", "text/plain")},
            data={"item_key": item["item_key"]},
            headers=applicant,
        )
    submitted = _ok(client.post(f"{url}/submit", headers=applicant))
    assert submitted["verdict"] == "fails"
    review = f"{REVIEW}/{created['id']}"
    for item in created["checklist"]:
        client.put(
            f"{review}/checklist/{item['item_key']}", json={"judgment": "met"}, headers=bureau
        )
    refused = client.post(
        f"{review}/decision",
        json={"decision": "qualify", "reason": "同意"},
        headers={**bureau, **EN},
    )
    body = _problem(refused, 409, "qualification_blocked")
    assert body["detail"] == (
        "Cannot qualify. Automated checks failing: Principal persons, Financial capacity, "
        "Security incidents; checklist items not judged or not met: —."
    )
    assert _ok(client.get(review, headers=bureau))["status"] == "submitted"


def test_an_invalid_credit_code_is_refused_with_its_code(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    applicant = bearer(client, make_account(database, clock, Role.OPERATOR))
    code = new_credit_code()
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    response = client.post(MINE, json={"credit_code": wrong}, headers=applicant)
    body = _problem(response, 422, "invalid_credit_code")
    assert body["title"] == "统一社会信用代码无效"
    assert body["detail"] == f"统一社会信用代码 {wrong} 无效：校验码不正确。"
    assert body["errors"] == [
        {
            "field": "credit_code",
            "type": "checksum",
            "message": f"统一社会信用代码 {wrong} 无效：校验码不正确。",
        }
    ]
    english = client.post(MINE, json={"credit_code": "ABC"}, headers={**applicant, **EN})
    assert _problem(english, 422, "invalid_credit_code")["detail"] == (
        "The unified social credit code ABC is not valid: it must have 18 characters."
    )


def test_an_applicant_cannot_read_another_companys_application(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    first = bearer(client, make_account(database, clock, Role.OPERATOR))
    second = bearer(client, make_account(database, clock, Role.OPERATOR))
    created = _ok(client.post(MINE, json={"credit_code": new_credit_code()}, headers=first), 201)
    url = f"{MINE}/{created['id']}"
    assert _ok(client.get(url, headers=first))["id"] == created["id"]
    body = _problem(client.get(url, headers=second), 404, "not_found")
    assert body["detail"] == "资格申请不存在，或您无权查看。"
    _problem(client.patch(url, json={"registered_address": "x"}, headers=second), 404, "not_found")
    _problem(client.post(f"{url}/submit", headers=second), 404, "not_found")
    assert _ok(client.get(MINE, headers=second))["total"] == 0


@pytest.mark.parametrize(
    ("role", "method", "path", "permission"),
    [
        (Role.PROVIDER, "GET", MINE, "operators.apply"),
        (Role.PROVIDER, "GET", REVIEW, "operators.read"),
        (Role.BUYER, "POST", MINE, "operators.apply"),
        (Role.OPERATOR, "GET", REVIEW, "operators.read"),
        (Role.BUREAU, "POST", MINE, "operators.apply"),
        (Role.PANEL, "POST", "/api/v1/operators/checklist-items", "operators.review"),
    ],
)
def test_roles_without_the_permission_get_403(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    role: Role,
    method: str,
    path: str,
    permission: str,
) -> None:
    headers = bearer(client, make_account(database, clock, role))
    body = _problem(
        client.request(method, path, headers=headers, json={}), 403, "permission_denied"
    )
    # The refusal names the permission in words, never by its code.
    assert f"“{translate(f'permission.{permission}', 'zh-CN')}”" in body["detail"]
    assert permission not in body["detail"]


def test_evidence_uploaded_through_the_api_is_kept_under_its_sm3(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    account: Account = make_account(database, clock, Role.OPERATOR)
    applicant = bearer(client, account)
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    created = _ok(
        client.post(MINE, json={"credit_code": new_credit_code()}, headers=applicant), 201
    )
    content = "营口云港数据有限公司 2025 年度审计报告".encode() * 50
    uploaded = _ok(
        client.post(
            f"{MINE}/{created['id']}/evidence",
            files={"file": ("审计报告.pdf", content, "application/pdf")},
            data={"title": "2025 年度审计报告"},
            headers=applicant,
        ),
        201,
    )
    assert uploaded["sm3"] == _sm3(content)
    assert uploaded["size_bytes"] == len(content)
    assert uploaded["item_key"] is None
    sealed = (settings.home / "evidence" / uploaded["sm3"]).read_bytes()
    assert sealed.startswith(b"SLSM4GCM") and "审计报告".encode() not in sealed
    # The draft is the applicant's alone: the bureau does not see it, nor its evidence.
    hidden = client.get(f"{REVIEW}/{created['id']}/evidence/{uploaded['id']}", headers=bureau)
    assert hidden.status_code == 404
    download = client.get(f"{MINE}/{created['id']}/evidence/{uploaded['id']}", headers=applicant)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["x-content-sm3"] == uploaded["sm3"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%AE%A1" in download.headers["content-disposition"]
    unknown_item = client.post(
        f"{MINE}/{created['id']}/evidence",
        files={"file": ("x.pdf", b"x", "application/pdf")},
        data={"item_key": "no_such_item"},
        headers=applicant,
    )
    assert (
        _problem(unknown_item, 422, "invalid_input")["detail"]
        == "没有启用中的清单项“no_such_item”。"
    )


def test_the_bureau_keeps_the_checklist(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    bureau = bearer(client, make_account(database, clock, Role.BUREAU))
    applicant = bearer(client, make_account(database, clock, Role.OPERATOR))
    items = _ok(client.get("/api/v1/operators/checklist-items", headers=bureau))
    assert [i["key"] for i in items][:5] == [
        "civil_liability",
        "fair_competition",
        "business_reputation",
        "data_management_rules",
        "data_processing",
    ]
    assert {i["title_zh"] for i in items} >= {"经营场所", "使用指定平台承诺", "专业人员"}
    created = _ok(
        client.post(
            "/api/v1/operators/checklist-items",
            json={
                "key": "local_service",
                "requirement": "R2.10",
                "title_zh": "本地化服务团队",
                "title_en": "Local service team",
                "evidence_required": False,
            },
            headers=bureau,
        ),
        201,
    )
    assert created["active"] is True
    _ok(
        client.patch(
            "/api/v1/operators/checklist-items/premises", json={"active": False}, headers=bureau
        )
    )
    application = _ok(
        client.post(MINE, json={"credit_code": new_credit_code()}, headers=applicant), 201
    )
    keys = [i["item_key"] for i in application["checklist"]]
    assert "premises" not in keys
    assert keys[-1] == "local_service"


def test_a_refusal_names_every_broken_rule_of_the_request_with_its_message(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    applicant = bearer(client, make_account(database, clock, Role.OPERATOR))
    created = _ok(
        client.post(MINE, json={"credit_code": new_credit_code()}, headers=applicant), 201
    )
    url = f"{MINE}/{created['id']}"
    statements = {
        "fiscal_year": 2027,  # the clock reads 2026-11-26
        "total_assets_fen": 40_000_000_000,
        "total_liabilities_fen": 10_000_000_000,
        "net_assets_fen": 20_000_000_000,
        "revenue_fen": 8_000_000_000,
        "net_profit_fen": 500_000_000,
        "committed_funds_fen": 1_000_000_000,
        "audit_opinion": "unqualified",
    }
    body = _problem(
        client.put(f"{url}/financials", json=statements, headers=applicant), 422, "invalid_input"
    )
    assert body["detail"] == "日期不能晚于今天。"
    assert body["errors"] == [
        {"field": "fiscal_year", "type": "date_in_future", "message": "日期不能晚于今天。"},
        {
            "field": "net_assets_fen",
            "type": "net_assets_mismatch",
            "message": "净资产应等于资产总额减负债总额（300,000,000.00 元）。",
        },
    ]
    company = created["company_name"]
    wrong = new_credit_code()[:-1] + "I"
    clash = client.post(
        f"{url}/entities",
        json={"kind": "company", "name": company, "jurisdiction": "CN", "credit_code": wrong},
        headers={**applicant, **EN},
    )
    body = _problem(clash, 409, "conflict")
    assert [(e["field"], e["type"]) for e in body["errors"]] == [
        ("name", "entity_name_taken"),
        ("credit_code", "format"),
    ]
    assert body["errors"][0]["message"] == (
        f"The ownership graph already has an entity named '{company}'."
    )
    assert body["errors"][1]["message"].startswith(f"The unified social credit code {wrong}")
    assert _ok(client.get(url, headers=applicant))["financials"] == []
