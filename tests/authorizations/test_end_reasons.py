"""Ends of their own (R5.6) and disposal at every ending (R5.7): an agreement rescinded
(解除) or revoked (撤销) says so, closes access and has its data destroyed like any other
ending; the software and hardware registered under it go to the owner the agreement set,
and its assets are disposed of when its term ends or it is terminated, not only on exit."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from sluice.authorizations import assets, attestations, endings, repository, service
from sluice.authorizations import states as st
from sluice.authorizations.sweep import SWEEPER
from sluice.core.errors import Conflict, InvalidInput, InvalidTransition
from sluice.core.i18n import translate
from sluice.guard import service as guard
from sluice.guard.service import AuthorizationInactive
from sluice.web.app import create_app
from tests.approvals.factories import approve
from tests.authorizations.factories import terminate_by_two
from tests.authorizations.module_world import Place
from tests.identity.factories import bearer


def _end_by(place: Place, agreement: uuid.UUID, how: str, reason: str) -> str:
    """The bureau asks, a second person approves; returns the act the approval named."""
    clock = place.clock()
    with place.database.unit_of_work() as session:
        request = service.terminate(
            session,
            actor=place.world.bureau_principal(),
            settings=place.settings,
            at=clock.now(),
            authorization_id=agreement,
            reason=reason,
            how=how,
        )
        act = request.act
        approve(
            session,
            approver=place.world.colleague_principal(),
            settings=place.settings,
            clock=clock,
            request=request,
        )
        return act


@pytest.mark.parametrize(
    ("how", "status", "zh", "en", "act_zh"),
    [
        ("rescission", st.RESCINDED, "已解除", "Rescinded", "解除授权运营协议"),
        ("revocation", st.REVOKED, "已撤销", "Revoked", "撤销授权"),
    ],
    ids=["rescission", "revocation"],
)
def test_rescission_and_revocation_are_ends_of_their_own(
    place: Place, how: str, status: str, zh: str, en: str, act_zh: str
) -> None:
    agreement = place.agreement()
    act = _end_by(place, agreement, how, "以欺骗手段取得授权")
    assert translate(f"approval_act.{act}", "zh-CN") == act_zh
    with place.database.unit_of_work() as session:
        ended = repository.authorization(session, agreement)
        assert ended is not None
        assert (ended.status, ended.end_kind, ended.end_reason) == (
            status,
            how,
            "以欺骗手段取得授权",
        )
        assert translate(f"state.authorization.{ended.status}", "zh-CN") == zh
        assert translate(f"state.authorization.{ended.status}", "en") == en
        certificate = repository.certificate(session, agreement)
        assert certificate is not None
        assert certificate.content["authorization"]["status"] == status
        owed = attestations.attestation(session, place.world.bureau_principal(), agreement)
        assert owed is not None and owed.status == st.ATT_DUE
    with place.database.unit_of_work() as session, pytest.raises(AuthorizationInactive):
        guard.authorize_use(
            session,
            actor=place.world.operator_principal(),
            authorization_id=agreement,
            at=place.clock().now(),
            action="test",
        )
    # Ended is ended: it cannot be terminated, rescinded or revoked again.
    with place.database.unit_of_work() as session, pytest.raises(InvalidTransition) as again:
        service.terminate(
            session,
            actor=place.world.bureau_principal(),
            settings=place.settings,
            at=place.clock().now(),
            authorization_id=agreement,
            reason="再次终止",
        )
    assert again.value.detail("zh-CN") == f"授权当前为“{zh}”，不能执行“终止”。可执行：—。"


def test_an_agreement_ends_only_in_the_ways_the_plan_names(place: Place) -> None:
    agreement = place.agreement()
    with place.database.unit_of_work() as session, pytest.raises(InvalidInput) as refused:
        service.terminate(
            session,
            actor=place.world.bureau_principal(),
            settings=place.settings,
            at=place.clock().now(),
            authorization_id=agreement,
            reason="不再需要",
            how="cancellation",
        )
    assert refused.value.detail("zh-CN") == "终止方式只能是终止、解除或撤销，不能是 cancellation。"
    assert refused.value.detail("en") == (
        "An agreement is terminated, rescinded or revoked, not cancellation."
    )


def _register(place: Place, agreement: uuid.UUID, name: str, kind: str, owner: str) -> None:
    with place.database.unit_of_work() as session:
        assets.register(
            session,
            actor=place.world.bureau_principal(),
            at=place.clock().now(),
            authorization_id=agreement,
            name=name,
            kind=kind,
            owner=owner,
        )


@pytest.mark.parametrize("ending", ["expiry", "termination"])
def test_assets_are_disposed_of_when_the_term_ends_or_the_agreement_is_terminated(
    place: Place, ending: str
) -> None:
    agreement = place.agreement()
    _register(place, agreement, "停车需求预测模型软件", "software", "government")
    _register(place, agreement, "自购 GPU 服务器 2 台", "hardware", "operator")
    clock = place.clock()
    if ending == "expiry":
        with place.database.unit_of_work() as session:
            found = repository.authorization(session, agreement)
            assert found is not None
            endings.expire(
                session,
                actor=SWEEPER,
                settings=place.settings,
                at=clock.now(),
                authorization=found,
                reason="term ended",
            )
    else:
        with place.database.unit_of_work() as session:
            terminate_by_two(
                session,
                place.world,
                clock=clock,
                settings=place.settings,
                authorization_id=agreement,
                reason="双方协商一致终止",
            )
    with place.database.unit_of_work() as session:
        found = repository.authorization(session, agreement)
        assert found is not None
        product = service.current_version(session, found).content["clauses"]["products"][0]
        disposed = {
            (d.name, d.kind, d.goes_to, d.exit_id) for d in assets.disposals(session, agreement)
        }
        assert disposed == {
            (product["name"], "product", "government", None),
            (f"{found.scenario}场景形成的公共数据资产", "public_data_asset", "government", None),
            ("停车需求预测模型软件", "software", "government", None),
            ("自购 GPU 服务器 2 台", "hardware", "operator", None),
        }
    # Disposed of: the register is closed.
    with pytest.raises(Conflict) as closed:
        _register(place, agreement, "新增服务器", "hardware", "operator")
    label = "已到期" if ending == "expiry" else "已终止"
    assert closed.value.detail("zh-CN") == (
        f"协议处于“{label}”状态，已按约定处置资产，不能再登记。"
    )


def test_only_software_or_hardware_is_registered_and_only_to_a_known_owner(place: Place) -> None:
    agreement = place.agreement()
    with pytest.raises(InvalidInput) as kind:
        _register(place, agreement, "数据集", "dataset", "government")
    assert kind.value.detail("zh-CN") == "软硬件资产只能登记为“软件”或“硬件”，不能是 dataset。"
    with pytest.raises(InvalidInput) as owner:
        _register(place, agreement, "服务器", "hardware", "bank")
    assert (
        owner.value.detail("en") == "An asset is owned by the government or the operator, not bank."
    )


def test_the_api_files_a_revocation_for_a_second_approval(place: Place) -> None:
    agreement = place.agreement()
    app = create_app(place.settings, database=place.database, clock=place.clock())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        headers = bearer(client, place.world.bureau)
        url = f"/api/v1/authorizations/{agreement}/terminate"
        unknown = client.post(
            url, json={"reason": "以欺骗手段取得授权", "how": "annulment"}, headers=headers
        )
        assert unknown.status_code == 422
        filed = client.post(
            url, json={"reason": "以欺骗手段取得授权", "how": "revocation"}, headers=headers
        )
    assert filed.status_code == 202, filed.text
    assert (filed.json()["act"], filed.json()["act_label"]) == ("authorization.revoke", "撤销授权")
    with place.database.unit_of_work() as session:
        found = repository.authorization(session, agreement)
        assert found is not None and found.status == st.ACTIVE  # until a second person approves
