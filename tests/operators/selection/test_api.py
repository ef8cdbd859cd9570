"""The consultation over REST: the bureau runs a round, the panel scores, anyone reads the
published result and nothing before it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.identity.factories import bearer, make_account
from tests.operators.selection.factories import (
    CRITERIA,
    World,
    make_world,
    worked_example,
)

BASE = "/api/v1/selections"


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    return make_world(database, clock)


@pytest.fixture
def bureau(client: TestClient, database: Database, clock: FixedClock) -> dict[str, str]:
    return bearer(client, make_account(database, clock, Role.BUREAU))


def _create(client: TestClient, bureau: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "普惠金融场景运营机构竞争性磋商",
        "scenario": "普惠金融",
        "description": "遴选普惠金融场景的授权运营机构。",
        "announced_on": "2026-11-20",
        "criteria": [{"name": n, "weight": w} for n, w in CRITERIA],
        **overrides,
    }
    response = client.post(BASE, json=body, headers=bureau)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ready(
    client: TestClient, bureau: dict[str, str], world: World, candidates: list[uuid.UUID]
) -> str:
    round_id = _create(client, bureau)["id"]
    _ok(client.post(f"{BASE}/{round_id}/open", headers=bureau))
    for org in candidates:
        _ok(
            client.post(
                f"{BASE}/{round_id}/candidates", json={"organization_id": str(org)}, headers=bureau
            )
        )
    for member in world.members:
        _ok(
            client.post(
                f"{BASE}/{round_id}/panel", json={"user_id": str(member.user_id)}, headers=bureau
            )
        )
    return str(round_id)


def _sheet(criteria: list[dict[str, Any]], table: dict[uuid.UUID, list[int]]) -> dict[str, Any]:
    return {
        "scores": [
            {"organization_id": str(org), "criterion_id": c["id"], "score": s}
            for org, scores in table.items()
            for c, s in zip(criteria, scores, strict=True)
        ]
    }


def test_weights_not_totalling_100_are_a_422_problem(
    client: TestClient, bureau: dict[str, str]
) -> None:
    response = client.post(
        BASE,
        json={
            "title": "就业服务场景磋商",
            "scenario": "就业服务",
            "description": "遴选就业服务场景的运营机构。",
            "announced_on": "2026-11-20",
            "criteria": [{"name": "技术方案", "weight": 60}, {"name": "运营方案", "weight": 30}],
        },
        headers={**bureau, "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "criteria_weights_invalid"
    assert body["detail"] == "The criteria weights must total 100%; they total 90%."
    assert client.get(BASE, headers=bureau).json() == []  # nothing was created


def test_a_full_round_from_draft_to_the_public_result(
    client: TestClient, bureau: dict[str, str], world: World
) -> None:
    round_id = _ready(client, bureau, world, [world.alpha, world.beta, world.gamma])
    refused = client.post(
        f"{BASE}/{round_id}/candidates",
        json={"organization_id": str(world.unqualified)},
        headers=bureau,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "candidate_not_qualified"
    started = _ok(client.post(f"{BASE}/{round_id}/start-scoring", headers=bureau))
    assert started["status"] == "scoring"
    assert len(started["missing_scores"]) == 3 * 3 * 4
    criteria = started["criteria"]

    tokens = [bearer(client, m.account) for m in world.members]
    assigned = _ok(client.get(f"{BASE}/assigned", headers=tokens[0]))
    assert [r["id"] for r in assigned] == [round_id]
    for token, table in zip(tokens, worked_example(world), strict=True):
        sheet = _ok(
            client.put(f"{BASE}/{round_id}/my-scores", json=_sheet(criteria, table), headers=token)
        )
        assert sheet["missing"] == 0
        assert sheet["editable"] is True

    ranked = _ok(client.post(f"{BASE}/{round_id}/close-scoring", headers=bureau))
    assert ranked["status"] == "ranked"
    ranking = ranked["ranking"]
    assert ranking["tie_at_top"] is False
    assert ranking["tiebreak_criterion_id"] == criteria[0]["id"]
    assert [
        (e["rank"], e["name"], e["weighted_score"], e["weighted_score_exact"])
        for e in ranking["entries"]
    ] == [
        (1, "乙数字服务有限公司", "83.90", "839/10"),
        (2, "甲数据科技有限公司", "79.97", "2399/30"),
        (3, "丙信息技术有限公司", "78.67", "236/3"),
    ]
    alpha_means = ranking["entries"][1]["means"]
    assert [(m["mean"], m["mean_exact"]) for m in alpha_means] == [
        ("87.67", "263/3"),
        ("80.67", "242/3"),
        ("72.33", "217/3"),
        ("62.33", "187/3"),
    ]
    # The bureau sees each member's sheet.
    sheets = ranked["score_sheets"]
    # Named at the same moment, members are listed by name.
    assert [s["member"] for s in sheets] == ["孙工程师", "赵教授", "钱研究员"]
    zhao = sheets[1]["rows"]
    assert [r["name"] for r in zhao] == [
        "丙信息技术有限公司",
        "乙数字服务有限公司",
        "甲数据科技有限公司",
    ]
    assert [zhao[2]["scores"][c["id"]] for c in criteria] == [90, 80, 70, 60]

    # Before publication the public sees nothing.
    published_url = f"{BASE}/published/{round_id}"
    hidden = client.get(published_url)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "not_found"
    assert client.get(f"{BASE}/published").json() == []

    no_reason = client.post(
        f"{BASE}/{round_id}/selection",
        json={"organization_id": str(world.alpha)},
        headers={**bureau, "Accept-Language": "en"},
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["code"] == "selection_reason_required"
    assert no_reason.json()["detail"] == (
        "'甲数据科技有限公司' is not the top-ranked candidate (top: 乙数字服务有限公司); "
        "choosing it needs a written reason."
    )
    reason = "乙公司未按期提交数据安全承诺书，经集体决策选定排名第二的甲公司。"
    chosen = _ok(
        client.post(
            f"{BASE}/{round_id}/selection",
            json={"organization_id": str(world.alpha), "reason": reason},
            headers=bureau,
        )
    )
    assert chosen["selection"]["name"] == "甲数据科技有限公司"
    assert chosen["selection"]["reason"] == reason
    assert chosen["selection"]["top_ranked"] is False
    assert chosen["actions"] == ["publish"]
    _ok(client.post(f"{BASE}/{round_id}/publish", headers=bureau))

    public = _ok(client.get(published_url))  # no token
    assert public["selected_operator"] == "甲数据科技有限公司"
    assert public["selection_reason"] == reason
    assert public["selected_on"] == "2026-11-26"
    assert public["panel"] == ["孙工程师", "赵教授", "钱研究员"]
    assert [(e["rank"], e["name"], e["weighted_score"]) for e in public["ranking"]] == [
        (1, "乙数字服务有限公司", "83.90"),
        (2, "甲数据科技有限公司", "79.97"),
        (3, "丙信息技术有限公司", "78.67"),
    ]
    assert "score_sheets" not in public
    listed = _ok(client.get(f"{BASE}/published"))  # type: ignore[arg-type]
    assert [(r["id"], r["selected_operator"]) for r in listed] == [  # type: ignore[index]
        (round_id, "甲数据科技有限公司")
    ]
    # Scores are frozen: a late revision is refused.
    late = client.put(
        f"{BASE}/{round_id}/my-scores",
        json=_sheet(criteria[:1], {world.alpha: [10]}),
        headers=tokens[0],
    )
    assert late.status_code == 409


def test_missing_scores_are_listed_when_closing(
    client: TestClient, bureau: dict[str, str], world: World
) -> None:
    round_id = _ready(client, bureau, world, [world.alpha, world.beta])
    criteria = _ok(client.post(f"{BASE}/{round_id}/start-scoring", headers=bureau))["criteria"]
    first, second, _ = (bearer(client, m.account) for m in world.members)
    full = {world.alpha: [80, 80, 80, 80], world.beta: [70, 70, 70, 70]}
    _ok(client.put(f"{BASE}/{round_id}/my-scores", json=_sheet(criteria, full), headers=first))
    _ok(
        client.put(
            f"{BASE}/{round_id}/my-scores",
            json=_sheet(criteria, {world.alpha: [80, 80, 80, 80]}),
            headers=second,
        )
    )
    refused = client.post(f"{BASE}/{round_id}/close-scoring", headers=bureau)
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "scores_incomplete"
    missing = [(m["member"], m["candidate"], m["criterion"]) for m in body["missing"]]
    second_name, third_name = world.members[1].display_name, world.members[2].display_name
    assert missing == [
        *((third_name, "乙数字服务有限公司", n) for n, _ in CRITERIA),
        *((third_name, "甲数据科技有限公司", n) for n, _ in CRITERIA),
        *((second_name, "乙数字服务有限公司", n) for n, _ in CRITERIA),
    ]
    assert body["detail"].startswith("尚有 12 项评分未提交，不能结束评分：")
    detail = _ok(client.get(f"{BASE}/{round_id}", headers=bureau))
    assert len(detail["missing_scores"]) == 12
    assert detail["status"] == "scoring"


def test_too_few_candidates_is_a_409_problem(
    client: TestClient, bureau: dict[str, str], world: World
) -> None:
    round_id = _ready(client, bureau, world, [world.alpha])
    refused = client.post(f"{BASE}/{round_id}/start-scoring", headers=bureau)
    assert refused.status_code == 409
    assert refused.json()["code"] == "too_few_candidates"
    assert refused.json()["detail"] == (
        "竞争性磋商至少需要 2 家通过资格审核的候选机构，目前只有 1 家。"
    )


def test_a_panel_member_not_on_the_round_gets_403(
    client: TestClient, bureau: dict[str, str], world: World
) -> None:
    round_id = _ready(client, bureau, world, [world.alpha, world.beta])
    criteria = _ok(client.post(f"{BASE}/{round_id}/start-scoring", headers=bureau))["criteria"]
    outsider = bearer(client, world.outsider.account)
    for response in (
        client.get(f"{BASE}/{round_id}/my-scores", headers=outsider),
        client.put(
            f"{BASE}/{round_id}/my-scores",
            json=_sheet(criteria[:1], {world.alpha: [100]}),
            headers=outsider,
        ),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "not_on_panel"
    assert _ok(client.get(f"{BASE}/assigned", headers=outsider)) == []  # type: ignore[comparison-overlap]
    # The bureau may not score, and a panel member may not manage.
    assert client.get(f"{BASE}/{round_id}/my-scores", headers=bureau).json()["code"] == (
        "permission_denied"
    )
    member = bearer(client, world.members[0].account)
    assert client.post(f"{BASE}/{round_id}/close-scoring", headers=member).status_code == 403


def test_wrong_state_is_an_invalid_transition_problem(
    client: TestClient, bureau: dict[str, str]
) -> None:
    round_id = _create(client, bureau)["id"]
    refused = client.post(
        f"{BASE}/{round_id}/close-scoring", headers={**bureau, "Accept-Language": "en"}
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_transition"
    assert refused.json()["detail"] == (
        "Competitive consultation is 'Draft'; 'Close scoring and rank' is not possible. "
        "Possible: Open the round, Cancel the round."
    )
    cancelled = _ok(
        client.post(f"{BASE}/{round_id}/cancel", json={"reason": "场景调整"}, headers=bureau)
    )
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "场景调整")
    assert client.get(f"{BASE}/published/{round_id}").status_code == 404


def test_unknown_round_is_not_found(client: TestClient, bureau: dict[str, str]) -> None:
    response = client.get(f"{BASE}/{uuid.uuid4()}", headers=bureau)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
