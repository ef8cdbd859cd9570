"""Deletion attestations (R5.6): when an agreement ends the operator must attest, with a
signed upload, that the copies it held outside the platform are deleted, and the bureau
follows it to completion: accepted, returned and filed again, or late on both workbenches.

The tests of this module run in order on one world: the last one sweeps, and by then every
other attestation here has been filed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from sluice.authorizations import attestation_workbench, attestations, repository
from sluice.authorizations import states as st
from sluice.authorizations.models import DeletionAttestation
from sluice.core import sm2
from sluice.core.canonical import canonical_digest
from sluice.core.clock import FixedClock
from sluice.core.errors import Conflict, NotFound, PermissionDenied
from sluice.core.ids import sm3_hex
from sluice.core.principal import Principal
from sluice.identity import signing
from sluice.web.app import create_app
from sluice.web.workbench import Context, PanelContent
from tests.authorizations.factories import terminate_by_two
from tests.authorizations.module_world import Place
from tests.identity.factories import console_login

LETTER = "我公司已于2026年11月26日删除在平台外留存的全部授权数据副本及其衍生文件。".encode()
STATEMENT = "我公司承诺：在平台外留存的授权数据副本已全部删除销毁，无任何备份。"


def _ended(place: Place, **overrides: object) -> uuid.UUID:
    agreement = place.agreement(**overrides)
    with place.database.unit_of_work() as session:
        terminate_by_two(
            session,
            place.world,
            clock=place.clock(),
            settings=place.settings,
            authorization_id=agreement,
            reason="双方协商一致终止",
        )
    return agreement


def _attest(place: Place, agreement: uuid.UUID, operator: Principal) -> DeletionAttestation:
    with place.database.unit_of_work() as session:
        return attestations.attest(
            session,
            actor=operator,
            settings=place.settings,
            at=place.clock().now(),
            authorization_id=agreement,
            statement=STATEMENT,
            stream=BytesIO(LETTER),
            filename="删除销毁承诺书.pdf",
        )


@pytest.fixture(scope="module")
def client(place: Place) -> Iterator[TestClient]:
    app = create_app(place.settings, database=place.database, clock=place.clock())
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_the_operator_files_a_signed_attestation_and_the_bureau_accepts_it(
    place: Place, client: TestClient
) -> None:
    agreement = _ended(place)
    url = f"/console/authorizations/{agreement}"
    client.cookies.clear()
    csrf = console_login(client, place.world.operator)
    due = client.get(url)
    assert 'data-testid="attestation-status">待运营机构提交<' in due.text
    # Ten working days from Thursday 26 November 2026.
    assert "于 2026-12-10 前上传经其签名的删除销毁承诺" in due.text
    filed = client.post(
        f"{url}/attestation",
        data={"csrf_token": csrf, "statement": STATEMENT},
        files={"file": ("删除销毁承诺书.pdf", LETTER, "application/pdf")},
    )
    assert filed.status_code == 200
    assert "删除销毁承诺已签名提交，待数据局核验。" in filed.text
    assert 'data-testid="attestation-status">已提交待核验<' in filed.text
    assert 'data-testid="attestation-valid"' in filed.text
    assert sm3_hex(LETTER) in filed.text

    # Anyone with the operator's public key checks it without the platform.
    with place.database.unit_of_work() as session:
        row = repository.attestation(session, agreement)
        assert row is not None and row.content and row.digest and row.signature_hex
        assert row.content["document"] == {
            "name": "删除销毁承诺书.pdf",
            "bytes": len(LETTER),
            "sm3": sm3_hex(LETTER),
        }
        assert row.content["statement"] == STATEMENT
        assert canonical_digest(row.content) == row.digest
        assert place.world.operator.organization_id is not None
        key = signing.current_key(session, place.world.operator.organization_id)
        assert key is not None and key.public_key_hex == row.public_key_hex
        assert sm2.verify(
            bytes.fromhex(key.public_key_hex),
            bytes.fromhex(row.digest),
            bytes.fromhex(row.signature_hex),
        )

    client.cookies.clear()
    csrf = console_login(client, place.world.bureau)
    document = client.get(f"{url}/attestation/document")
    assert document.content == LETTER
    assert document.headers["x-content-sm3"] == sm3_hex(LETTER)
    accepted = client.post(
        f"{url}/attestation/check",
        data={"csrf_token": csrf, "accept": "1", "attestation_note": "已核对删除记录"},
    )
    assert accepted.status_code == 200
    assert 'data-testid="attestation-status">已核验，删除销毁完成<' in accepted.text


def test_nothing_is_attested_while_the_agreement_runs_and_only_by_its_operator(
    place: Place,
) -> None:
    running = place.agreement()
    with pytest.raises(Conflict) as early:
        _attest(place, running, place.world.operator_principal())
    assert early.value.status == 409
    assert early.value.detail("zh-CN") == (
        "协议仍在履行中：协议终止、数据销毁后，运营机构才需提交平台外数据副本的删除销毁承诺。"
    )
    assert early.value.detail("en").startswith("The agreement is still running")
    ended = _ended(place)
    with pytest.raises(NotFound):
        _attest(place, ended, place.world.operator_principal(place.world.other_operator))
    with pytest.raises(PermissionDenied):
        _attest(place, ended, place.world.bureau_principal())
    _attest(place, ended, place.world.operator_principal())


def test_an_attestation_altered_after_signing_is_returned_not_accepted(place: Place) -> None:
    agreement = _ended(place)
    filed = _attest(place, agreement, place.world.operator_principal())
    assert filed.content is not None
    altered = {**filed.content, "statement": "我公司保留了一份备份。"}
    with place.database.engine.begin() as connection:  # edited behind the platform
        connection.execute(
            update(DeletionAttestation)
            .where(DeletionAttestation.id == filed.id)
            .values(content=altered)
        )
    bureau = place.world.bureau_principal()
    with place.database.unit_of_work() as session, pytest.raises(Conflict) as refused:
        attestations.check(
            session,
            actor=bureau,
            at=place.clock().now(),
            authorization_id=agreement,
            accept=True,
            note="核验",
        )
    assert refused.value.detail("zh-CN") == (
        "删除销毁承诺的签名验证不通过（内容或签名与运营机构公钥不符），不能核验通过。"
    )
    with place.database.unit_of_work() as session:
        returned = attestations.check(
            session,
            actor=bureau,
            at=place.clock().now(),
            authorization_id=agreement,
            accept=False,
            note="签名验证不通过，请重新提交",
        )
        assert returned.status == st.ATT_RETURNED
    again = _attest(place, agreement, place.world.operator_principal())
    assert again.status == st.ATT_ATTESTED
    with place.database.unit_of_work() as session:
        row = repository.attestation(session, agreement)
        assert row is not None and attestations.verify(session, row)


def _panel(place: Place, principal: Principal, clock: FixedClock, bureau: bool) -> PanelContent:
    with place.database.unit_of_work() as session:
        context = Context(session, principal, clock, "zh-CN")
        return (attestation_workbench._bureau if bureau else attestation_workbench._operator)(
            context
        )


def test_an_attestation_not_filed_in_time_is_late_on_both_workbenches(place: Place) -> None:
    world = place.world
    operator = world.operator_principal(world.other_operator)
    agreement = _ended(place, operator_id=world.other_operator.organization_id)
    with place.database.unit_of_work() as session:
        number = (repository.authorization(session, agreement) or pytest.fail()).number
    clock = place.clock()
    (to_file,) = _panel(place, operator, clock, bureau=False).todos
    assert to_file.text == "待提交：1 份已终止协议须上传签名的平台外数据副本删除销毁承诺"
    assert [(r.due, r.late) for r in to_file.rows] == [("2026-12-10", False)]

    clock.advance(timedelta(days=15))  # 11 December: the last day has passed
    with place.database.unit_of_work() as session:
        assert attestations.mark_overdue(
            session, actor=Principal.system("sweep"), at=clock.now()
        ) == [number]
    (late,) = _panel(place, operator, clock, bureau=False).todos
    assert late.text == "已逾期：1 份删除销毁承诺过了提交期限"
    assert late.late and late.rows[0].late
    chase = [t for t in _panel(place, world.bureau_principal(), clock, bureau=True).todos if t.late]
    assert [t.text for t in chase] == ["逾期未提交：1 份删除销毁承诺，请督促运营机构"]
    assert chase[0].rows[0].text.startswith(number)
    # The other operator's agreements are none of the first operator's business.
    assert _panel(place, world.operator_principal(), clock, bureau=False).todos == []
    with place.database.unit_of_work() as session:
        row = repository.attestation(session, agreement)
        assert row is not None
        assert (row.status, row.due_on) == (st.ATT_OVERDUE, date(2026, 12, 10))
    # Late is still welcome: filing it completes the operator's part.
    assert _attest(place, agreement, operator).status == st.ATT_ATTESTED
