"""Authorization agreements through their service: the rules a bureau officer meets."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from sluice.authorizations import repository, service
from sluice.authorizations import states as st
from sluice.authorizations.schemas import PlanIn, ScopeChange
from sluice.catalog import service as catalog
from sluice.catalog.schemas import ResourceUpdate
from sluice.core.canonical import canonical_digest
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
    SluiceError,
)
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import signing
from tests.authorizations.factories import (
    World,
    active_authorization,
    decision,
    draft,
    make_world,
)
from tests.catalog.factories import BUREAU, provider_principal


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


def _create(database: Database, clock: FixedClock, settings: Settings, world: World, **kw):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        created = service.create_authorization(
            session,
            actor=world.bureau_principal(),
            settings=settings,
            at=clock.now(),
            data=draft(world, **kw),
        )
        return created.id, created.number, created.status, created.term_years


def _refusal(error: SluiceError, locale: str = "zh-CN") -> str:
    return error.detail(locale)


def test_a_draft_names_one_scenario_a_three_year_term_and_its_scope(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id, number, status, years = _create(database, clock, settings, world)
    assert number == "营数授〔2026〕1号"
    assert status == "draft"
    assert years == 3
    with database.unit_of_work() as session:
        [version] = repository.versions(session, authorization_id)
        assert version.number == 1
        assert version.digest == canonical_digest(version.content)
        assert [i["title"] for i in version.content["scope"]] == ["企业登记信息1", "企业登记信息2"]
        assert version.content["rights"] == ["processing", "product_operation"]
        scope = {row.resource_id for row in repository.scope(session, authorization_id)}
        assert scope == set(world.resources[:2])


def test_a_term_over_five_years_is_refused(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _create(database, clock, settings, world, term_years=6)
    assert refused.value.code == "term_too_long"
    assert _refusal(refused.value) == "授权期限 6 年超过上限 5 年（国家规定最长 5 年）。"
    _, _, _, years = _create(database, clock, settings, world, term_years=5)
    assert years == 5


def test_a_lower_maximum_in_settings_is_enforced(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    strict = settings.model_copy(update={"authorization_max_term_years": 2})
    with pytest.raises(InvalidInput) as refused:
        _create(database, clock, strict, world, term_years=3)
    assert "上限 2 年" in _refusal(refused.value)


@pytest.mark.parametrize("right", ["ownership", "holding"])
def test_ownership_and_holding_are_never_granted(
    database: Database, clock: FixedClock, settings: Settings, world: World, right: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _create(database, clock, settings, world, rights=["processing", right])
    assert refused.value.code == "right_not_grantable"
    assert "不转让所有权或持有权" in _refusal(refused.value)


def test_one_scenario_one_authorization(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    _create(database, clock, settings, world)
    with pytest.raises(Conflict) as taken:
        _create(
            database,
            clock,
            settings,
            world,
            operator_id=world.other_operator.organization_id,
            entry_ids=world.entries[2:],
        )
    assert taken.value.code == "scenario_taken"
    assert _refusal(taken.value, "en") == (
        "One scenario, one authorization: the scenario “普惠金融” already has "
        "authorization 营数授〔2026〕1号 (Draft)."
    )
    with pytest.raises(InvalidInput) as several:
        _create(database, clock, settings, world, scenario="就业服务、社保查询")
    assert several.value.code == "one_scenario"
    relaxed = settings.model_copy(update={"one_scenario_one_authorization": False})
    _create(database, clock, relaxed, world, scenario="普惠金融")


def test_only_the_bureau_authorizes(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    provider = provider_principal(uuid.uuid4())
    for actor in (provider, world.operator_principal()):
        with database.unit_of_work() as session, pytest.raises(PermissionDenied):
            service.create_authorization(
                session, actor=actor, settings=settings, at=clock.now(), data=draft(world)
            )


def test_closed_and_unconsented_shared_resources_are_refused(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    from tests.catalog.factories import publish, resource_data
    from tests.identity.factories import make_account

    provider = make_account(database, clock, Role.PROVIDER)
    assert provider.organization_id
    [shared_entry] = publish(
        database,
        clock,
        provider.organization_id,
        [resource_data("sh-1", "共享获得的社保数据", origin="shared", shared_from="省人社厅")],
    )
    with pytest.raises(InvalidInput) as refused:
        _create(database, clock, settings, world, entry_ids=[shared_entry])
    assert refused.value.code == "sharing_consent_required"
    assert "须先取得提供单位（省人社厅）同意" in _refusal(refused.value)

    # The bureau withdraws an entry: a withdrawn entry is not authorized.
    with database.unit_of_work() as session:
        catalog.change_entry(
            session, actor=BUREAU, clock=clock, entry_id=world.entries[3], transition="withdraw"
        )
    with pytest.raises(InvalidInput) as withdrawn:
        _create(database, clock, settings, world, entry_ids=[world.entries[3]])
    assert withdrawn.value.code == "entry_not_published"
    # ... and once the department has closed the resource, it is refused for that reason.
    with database.unit_of_work() as session:
        entry = catalog_entry(session, world.entries[3])
        catalog.update_resource(
            session,
            actor=provider_principal(entry.provider_id),
            clock=clock,
            resource_id=entry.resource_id,
            data=ResourceUpdate(open_level="closed"),
        )
    with pytest.raises(InvalidInput) as closed:
        _create(database, clock, settings, world, entry_ids=[world.entries[3]])
    assert closed.value.code == "resource_closed"


def catalog_entry(session, entry_id):  # type: ignore[no-untyped-def]
    from sluice.catalog import repository as catalog_repository

    found = catalog_repository.entry(session, entry_id)
    assert found is not None
    return found


def test_approval_needs_an_approved_plan_and_a_collective_decision(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    bureau = world.bureau_principal()
    with database.unit_of_work() as session:
        plan = service.create_plan(
            session,
            actor=bureau,
            at=clock.now(),
            data=PlanIn(
                title="未批准的方案", sections={k: "内容" for k, _, _ in service.PLAN_SECTIONS}
            ),
        )
        plan_id = plan.id
    authorization_id, *_ = _create(database, clock, settings, world, plan_id=plan_id)
    with database.unit_of_work() as session:
        with pytest.raises(InvalidTransition):  # still a draft: submit first
            service.decide(
                session,
                actor=bureau,
                at=clock.now(),
                authorization_id=authorization_id,
                data=decision(),
            )
        service.submit(session, actor=bureau, at=clock.now(), authorization_id=authorization_id)
    with database.unit_of_work() as session, pytest.raises(Conflict) as refused:
        service.decide(
            session,
            actor=bureau,
            at=clock.now(),
            authorization_id=authorization_id,
            data=decision(),
        )
    assert refused.value.code == "plan_not_approved"
    assert "未批准的方案" in _refusal(refused.value)


def test_a_plan_missing_required_parts_is_refused(
    database: Database, clock: FixedClock, world: World
) -> None:
    sections = {k: "内容" for k, _, _ in service.PLAN_SECTIONS}
    sections["exit"] = "  "
    with database.unit_of_work() as session, pytest.raises(InvalidInput) as refused:
        service.create_plan(
            session,
            actor=world.bureau_principal(),
            at=clock.now(),
            data=PlanIn(title="缺项方案", sections=sections),
        )
    assert "退出机制" in _refusal(refused.value)
    assert "Exit" in _refusal(refused.value, "en")


def test_both_signatures_bring_the_agreement_into_force_for_three_years(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    with database.unit_of_work() as session:
        found = repository.authorization(session, authorization_id)
        assert found is not None
        assert found.status == st.ACTIVE
        assert found.term_start == date(2026, 11, 26)
        assert found.term_end == date(2029, 11, 25)
        signatures = repository.signatures(session, authorization_id)
        assert [s.party for s in signatures] == ["bureau", "operator"]
        version = service.current_version(session, found)
        for signature in signatures:
            assert signature.digest == version.digest
            assert service.verify_signature(session, signature)
            # A signature over any other agreement does not verify.
            assert not signing.verify(
                signature.public_key_hex,
                bytes.fromhex(canonical_digest({**version.content, "purpose": "别的用途"})),
                signature.signature_hex,
            )
        assert signatures[0].public_key_hex != signatures[1].public_key_hex


def test_a_stranger_cannot_sign(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id, *_ = _create(database, clock, settings, world)
    bureau = world.bureau_principal()
    with database.unit_of_work() as session:
        service.submit(session, actor=bureau, at=clock.now(), authorization_id=authorization_id)
        service.decide(
            session,
            actor=bureau,
            at=clock.now(),
            authorization_id=authorization_id,
            data=decision(),
        )
    stranger = world.operator_principal(world.other_operator)
    with database.unit_of_work() as session, pytest.raises(SluiceError) as refused:
        service.sign(
            session,
            actor=stranger,
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
        )
    assert refused.value.code == "not_found"


def test_a_scope_change_makes_a_new_version_with_its_differences(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    with database.unit_of_work() as session:
        version = service.change_scope(
            session,
            actor=world.bureau_principal(),
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            change=ScopeChange(
                add_entry_ids=[world.entries[2]],
                remove_entry_ids=[world.entries[0]],
                reason="业务调整，撤回企业登记信息1",
            ),
        )
        assert version.number == 2
        kinds = [(c["kind"], c["field"]) for c in version.changes]
        assert kinds == [("added", "scope"), ("removed", "scope")]
        assert "企业登记信息3" in version.changes[0]["after"]
        assert "企业登记信息1" in version.changes[1]["before"]
        scope = {row.resource_id for row in repository.scope(session, authorization_id)}
        assert scope == {world.resources[1], world.resources[2]}
        # The new version must be signed again; the old signatures stay with version 1.
        assert repository.signatures(session, authorization_id, 2) == []
        assert len(repository.signatures(session, authorization_id, 1)) == 2


def test_renewal_needs_an_approved_decision_and_starts_the_day_after(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    from sluice.authorizations.sweep import sweep

    authorization_id = active_authorization(database, clock, settings, world)
    bureau = world.bureau_principal()
    with database.unit_of_work() as session, pytest.raises(InvalidTransition):
        service.renew(
            session,
            actor=bureau,
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            data=decision(),
        )
    clock.advance(timedelta(days=365 * 3 - 80))
    with database.unit_of_work() as session:
        sweep(session, settings=settings, at=clock.now())
    with database.unit_of_work() as session, pytest.raises(InvalidInput):
        service.renew(
            session,
            actor=bureau,
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            data=decision("rejected"),
        )
    with database.unit_of_work() as session:
        successor = service.renew(
            session,
            actor=bureau,
            settings=settings,
            at=clock.now(),
            authorization_id=authorization_id,
            data=decision(),
        )
        old = repository.authorization(session, authorization_id)
        assert old is not None and old.status == st.RENEWED
        assert successor.status == st.APPROVED
        assert successor.term_start == date(2029, 11, 26)
        assert successor.renewed_from_id == authorization_id
        assert service.in_force_on(old, date(2029, 11, 25))
        assert not service.in_force_on(old, date(2029, 11, 26))
        successor_id = successor.id
    with database.unit_of_work() as session:
        service.sign(
            session,
            actor=bureau,
            settings=settings,
            at=clock.now(),
            authorization_id=successor_id,
        )
        service.sign(
            session,
            actor=world.operator_principal(),
            settings=settings,
            at=clock.now(),
            authorization_id=successor_id,
        )
        renewed = repository.authorization(session, successor_id)
        assert renewed is not None and renewed.status == st.ACTIVE
        assert (renewed.term_start, renewed.term_end) == (date(2029, 11, 26), date(2032, 11, 25))
        assert not service.in_force_on(renewed, date(2029, 11, 25))


def test_the_system_principal_counts_as_bureau_in_reads() -> None:
    assert repository.sees_all(Principal.system("x"))
    operator = Principal(
        username="o",
        via="token",
        organization_kind=OrgKind.OPERATOR,
        roles=frozenset({Role.OPERATOR}),
    )
    assert not repository.sees_all(operator)


def test_a_delivered_product_is_not_developed_again_by_the_operator_or_an_affiliate(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    from tests.authorizations.factories import qualify_operator
    from tests.identity.factories import make_account

    active_authorization(database, clock, settings, world)
    with pytest.raises(Conflict) as again:
        _create(database, clock, settings, world, scenario="小微企业贷后监测")
    assert again.value.code == "product_already_delivered"
    assert "不得直接或通过关联方重复开发" in _refusal(again.value)

    affiliate = make_account(database, clock, Role.OPERATOR)
    assert affiliate.organization_id and world.operator.organization_id
    with database.unit_of_work() as session:
        from sluice.operators import qualified as operators

        first = operators.qualified_application(session, world.operator.organization_id)
        assert first is not None
        qualify_operator(
            session,
            affiliate.organization_id,
            clock=clock,
            settings=settings,
            affiliate_code=first.credit_code,
        )
    with pytest.raises(Conflict) as through_affiliate:
        _create(
            database,
            clock,
            settings,
            world,
            scenario="小微企业贷后监测",
            operator_id=affiliate.organization_id,
        )
    assert through_affiliate.value.code == "product_already_delivered"
    # An unrelated operator may build a product of the same name for its own scenario.
    _create(
        database,
        clock,
        settings,
        world,
        scenario="小微企业贷后监测",
        operator_id=world.other_operator.organization_id,
    )


def test_a_signature_row_with_someone_elses_key_is_not_valid(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    with database.unit_of_work() as session:
        bureau_row, operator_row = repository.signatures(session, authorization_id)
        # The operator's key and signature, presented as the bureau's.
        bureau_row.public_key_hex = operator_row.public_key_hex
        bureau_row.signature_hex = operator_row.signature_hex
        assert signing.verify(
            bureau_row.public_key_hex, bytes.fromhex(bureau_row.digest), bureau_row.signature_hex
        )
        assert not service.verify_signature(session, bureau_row)
        assert service.verify_signature(session, operator_row)
        # Content edited after signing no longer matches what was signed.
        version = repository.version(session, authorization_id, 1)
        assert version is not None
        version.content = {**version.content, "purpose": "改过的用途"}
        assert not service.verify_signature(session, operator_row)
        session.rollback()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_both_parties_signing_at_once_still_start_the_term(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    import threading

    authorization_id, *_ = _create(database, clock, settings, world)
    bureau = world.bureau_principal()
    with database.unit_of_work() as session:
        service.submit(session, actor=bureau, at=clock.now(), authorization_id=authorization_id)
        service.decide(
            session,
            actor=bureau,
            at=clock.now(),
            authorization_id=authorization_id,
            data=decision(),
        )
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def sign(actor: Principal) -> None:
        start.wait()
        try:
            with database.unit_of_work() as session:
                service.sign(
                    session,
                    actor=actor,
                    settings=settings,
                    at=clock.now(),
                    authorization_id=authorization_id,
                )
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [
        threading.Thread(target=sign, args=(actor,))
        for actor in (bureau, world.operator_principal())
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.unit_of_work() as session:
        found = repository.authorization(session, authorization_id)
        assert found is not None and found.status == st.ACTIVE
        assert len(repository.signatures(session, authorization_id)) == 2


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_agreements_drafted_at_once_get_distinct_numbers(
    database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    import threading

    start = threading.Barrier(4)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def create(scenario: str) -> None:
        start.wait()
        try:
            numbers.append(_create(database, clock, settings, world, scenario=scenario)[1])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [
        threading.Thread(target=create, args=(f"场景{n}",)) for n in ("甲", "乙", "丙", "丁")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"营数授〔2026〕{n}号" for n in (1, 2, 3, 4)]
