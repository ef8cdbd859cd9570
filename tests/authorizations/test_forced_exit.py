"""Forced exit (R5.5): the bureau forces an operator out directly for a major breach or
violation, only on a second person's approval; an operator that refuses to rectify is out at
once and liability is pursued, as after a failed or missed rectification; after every forced
exit a new selection opens for the scenario, linked to the ended agreement."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from sluice.approvals import service as approvals
from sluice.authorizations import endings, exits, repository
from sluice.authorizations import states as st
from sluice.authorizations.schemas import RectificationIn
from sluice.authorizations.sweep import SWEEPER
from sluice.core.errors import Conflict, InvalidInput, PermissionDenied
from sluice.guard import service as guard
from sluice.guard.service import AuthorizationInactive
from sluice.operators.selection import service as selection
from sluice.web.app import create_app
from tests.approvals.factories import approve
from tests.authorizations.factories import fail_by_two, published_round
from tests.authorizations.module_world import Place
from tests.identity.factories import console_login

FACTS = "擅自向合同外第三方提供授权数据用于营销"


def _order(place: Place, agreement: uuid.UUID, grounds: str = "violation") -> uuid.UUID:
    clock = place.clock()
    with place.database.unit_of_work() as session:
        order = exits.issue_rectification(
            session,
            actor=place.world.bureau_principal(),
            at=clock.now(),
            settings=place.settings,
            authorization_id=agreement,
            data=RectificationIn(
                grounds=grounds,  # type: ignore[arg-type]
                description="未按要求落实数据分级访问控制",
                deadline=(clock.now() + timedelta(days=14)).date(),
            ),
        )
        return order.id


def _use(place: Place, agreement: uuid.UUID) -> None:
    with place.database.unit_of_work() as session:
        guard.authorize_use(
            session,
            actor=place.world.operator_principal(),
            authorization_id=agreement,
            at=place.clock().now(),
            action="test",
        )


def test_the_bureau_forces_an_exit_directly_for_a_major_breach_on_a_second_approval(
    place: Place,
) -> None:
    clock = place.clock()
    world = place.world
    round_id = published_round(place.database, clock, place.settings, world, scenario="智慧交通")
    agreement = place.agreement(scenario="智慧交通", selection_round_id=round_id)
    with place.database.unit_of_work() as session:
        request = exits.force_exit_directly(
            session,
            actor=world.bureau_principal(),
            settings=place.settings,
            at=clock.now(),
            authorization_id=agreement,
            grounds="major_breach",
            description=FACTS,
        )
        request_id = request.id
        assert request.status == "pending"
    # Filed, nothing ended: the operator still works under the agreement.
    _use(place, agreement)
    with place.database.unit_of_work() as session, pytest.raises(PermissionDenied) as same:
        approve(
            session,
            approver=world.bureau_principal(),
            settings=place.settings,
            clock=clock,
            request=request_id,
        )
    assert same.value.code == "second_approver_required"
    assert same.value.detail("zh-CN") == (
        "申请人不能审批自己的申请：须由另一名数据局工作人员审批。"
    )
    with place.database.unit_of_work() as session:
        approve(
            session,
            approver=world.colleague_principal(),
            settings=place.settings,
            clock=clock,
            request=request_id,
        )
    with place.database.unit_of_work() as session:
        ended = repository.authorization(session, agreement)
        assert ended is not None
        assert (ended.status, ended.end_kind) == (st.TERMINATED, "forced_exit")
        assert ended.end_reason == f"强制退出：重大违约：{FACTS}"
        (forced,) = repository.exits(session, agreement)
        assert (forced.kind, forced.grounds, forced.status) == (
            "forced",
            "major_breach",
            "handover",
        )
        assert forced.rectification_id is None and forced.liability is None
        assert forced.requested_by == world.bureau.username
        again = selection.round_following(session, agreement)
        assert again is not None
        assert (again.status, again.scenario, again.follows_agreement) == (
            "draft",
            "智慧交通",
            ended.number,
        )
        assert again.title == "智慧交通场景运营机构重新遴选（竞争性磋商）"
        assert again.description == (
            f"{ended.number}的运营机构因重大违约被强制退出，依实施方案重新遴选智慧交通场景的运营机构。"
        )
        # The criteria of the consultation that chose the operator forced out carry over.
        assert [(c.name, c.weight) for c in selection.criteria(session, again.id)] == [
            ("综合评价", 100)
        ]
    with pytest.raises(AuthorizationInactive):
        _use(place, agreement)


def test_a_direct_forced_exit_names_grounds_the_plan_allows_and_an_agreement_in_force(
    place: Place,
) -> None:
    agreement = place.agreement()
    clock = place.clock()
    bureau = place.world.bureau_principal()
    with place.database.unit_of_work() as session, pytest.raises(InvalidInput) as grounds:
        exits.force_exit_directly(
            session,
            actor=bureau,
            settings=place.settings,
            at=clock.now(),
            authorization_id=agreement,
            grounds="late_payment",
            description=FACTS,
        )
    assert grounds.value.detail("zh-CN") == (
        "直接强制退出须以重大违约、违法违规或重大安全事件为由，不能是 late_payment。"
    )
    with place.database.unit_of_work() as session, pytest.raises(PermissionDenied):
        exits.force_exit_directly(
            session,
            actor=place.world.operator_principal(),
            settings=place.settings,
            at=clock.now(),
            authorization_id=agreement,
            grounds="violation",
            description=FACTS,
        )
    with place.database.unit_of_work() as session:
        approvals.approve(
            session,
            actor=place.world.colleague_principal(),
            settings=place.settings,
            at=clock.now(),
            approval_id=exits.force_exit_directly(
                session,
                actor=bureau,
                settings=place.settings,
                at=clock.now(),
                authorization_id=agreement,
                grounds="violation",
                description=FACTS,
            ).id,
        )
    with place.database.unit_of_work() as session, pytest.raises(Conflict) as ended:
        exits.force_exit_directly(
            session,
            actor=bureau,
            settings=place.settings,
            at=clock.now(),
            authorization_id=agreement,
            grounds="violation",
            description=FACTS,
        )
    assert ended.value.detail("zh-CN") == "授权处于“已终止”状态，无需申请退出。"
    assert (
        ended.value.detail("en")
        == "The authorization is Terminated; there is nothing to exit from."
    )


@pytest.fixture(scope="module")
def client(place: Place) -> Iterator[TestClient]:
    app = create_app(place.settings, database=place.database, clock=place.clock())
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_an_operator_refusing_to_rectify_is_out_at_once_and_liability_is_pursued(
    place: Place, client: TestClient
) -> None:
    agreement = place.agreement()
    order_id = _order(place, agreement)
    client.cookies.clear()
    csrf = console_login(client, place.world.operator)
    page = client.get(f"/console/authorizations/{agreement}")
    assert "拒不整改将立即终止本协议" in page.text
    refused = client.post(
        f"/console/authorizations/{agreement}/rectifications/{order_id}/refuse",
        data={"csrf_token": csrf, "refusal": "我公司认为无需整改，不予整改。"},
    )
    assert refused.status_code == 200
    assert "已记录拒不整改：协议已终止，运营机构被强制退出，并依法追究责任。" in refused.text
    assert 'data-testid="authorization-status">已终止<' in refused.text
    assert "运营机构拒不整改，依法追究责任。" in refused.text
    with place.database.unit_of_work() as session:
        order = repository.rectification(session, order_id)
        assert order is not None
        assert (order.status, order.report) == ("refused", "我公司认为无需整改，不予整改。")
        (forced,) = repository.exits(session, agreement)
        assert forced.liability == "运营机构拒不整改，依法追究责任。"
        assert forced.requested_by == place.world.operator.username
        titles = [i.title for i in repository.handover_items(session, forced.id)]
        assert titles[-1] == exits.PURSUE_LIABILITY
        again = selection.round_following(session, agreement)
        assert again is not None and again.status == "draft"
        assert "因违法违规被强制退出" in again.description
    # The other operator's agreements are not its to refuse: the order does not exist for it.
    other = place.agreement(operator_id=place.world.other_operator.organization_id)
    other_order = _order(place, other)
    gone = client.post(
        f"/console/authorizations/{other}/rectifications/{other_order}/refuse",
        data={"csrf_token": csrf, "refusal": "不予整改"},
    )
    assert gone.status_code == 404


def test_a_failed_or_missed_rectification_also_pursues_liability_and_selects_again(
    place: Place,
) -> None:
    clock = place.clock()
    world = place.world
    failed_agreement, missed_agreement = place.agreement(), place.agreement()
    failed_order = _order(place, failed_agreement, grounds="major_incident")
    missed_order = _order(place, missed_agreement, grounds="breach")
    with place.database.unit_of_work() as session:
        exits.report_rectification(
            session,
            actor=world.operator_principal(),
            at=clock.now(),
            order_id=failed_order,
            report="已整改",
        )
        fail_by_two(
            session,
            world,
            clock=clock,
            settings=place.settings,
            order_id=failed_order,
            note="未整改到位",
        )
    clock.advance(timedelta(days=15))
    with place.database.unit_of_work() as session:
        order = repository.rectification(session, missed_order)
        assert order is not None
        endings.mark_overdue(
            session, actor=SWEEPER, settings=place.settings, at=clock.now(), order=order
        )
    with place.database.unit_of_work() as session:
        liabilities = {
            agreement: repository.exits(session, agreement)[0].liability
            for agreement in (failed_agreement, missed_agreement)
        }
        assert liabilities == {
            failed_agreement: "整改不合格，依法追究责任。",
            missed_agreement: "逾期未整改，依法追究责任。",
        }
        grounds = {
            agreement: (selection.round_following(session, agreement) or pytest.fail()).description
            for agreement in (failed_agreement, missed_agreement)
        }
        assert "因重大安全事件被强制退出" in grounds[failed_agreement]
        assert "因违反协议约定被强制退出" in grounds[missed_agreement]
