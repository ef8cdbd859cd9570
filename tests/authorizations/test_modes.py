"""The modes of authorization (R3.2): whole (整体授权), by domain (分领域授权), by scenario.

An agreement in ``whole`` mode may take published data of any domain and names no domain;
one in ``domain`` mode must name its domain and takes only that domain's data, now and in
every later scope change. Whatever the mode, one scenario has one authorization (the pilot
rule, a setting on by default) and the agreement's document says which mode it is."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluice.authorizations import document_service, repository, service
from sluice.authorizations.schemas import ScopeChange
from sluice.core.errors import Conflict, InvalidInput
from tests.authorizations import shared_world
from tests.authorizations.factories import draft
from tests.authorizations.shared_world import Shared


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Shared]:
    yield from shared_world.build(request, tmp_path_factory, sqlite_template)


def _create(shared: Shared, **overrides: Any) -> uuid.UUID:
    with shared.database.unit_of_work() as session:
        return service.create_authorization(
            session,
            actor=shared.world.bureau_principal(),
            settings=shared.settings,
            at=shared.clock().now(),
            data=draft(shared.world, **shared.unique(**overrides)),
        ).id


def _document(shared: Shared, agreement: uuid.UUID, locale: str) -> str:
    with shared.database.unit_of_work() as session:
        found = repository.authorization(session, agreement)
        assert found is not None
        return document_service.html(
            session, shared.world.bureau_principal(), found, version=None, locale=locale
        )


def test_whole_mode_takes_data_of_every_domain_and_names_no_domain(shared: Shared) -> None:
    across = [shared.world.entries[0], shared.finance_entries[0]]
    agreement = _create(shared, mode="whole", domain="governance", entry_ids=across)
    with shared.database.unit_of_work() as session:
        found = repository.authorization(session, agreement)
        assert found is not None
        content = service.current_version(session, found).content
    assert (found.mode, found.domain) == ("whole", None)
    assert (content["mode"], content["domain"]) == ("whole", None)
    assert [item["title"] for item in content["scope"]] == ["企业登记信息1", "企业纳税信用1"]
    zh, en = _document(shared, agreement, "zh-CN"), _document(shared, agreement, "en")
    assert "<dt>授权方式</dt><dd>整体授权</dd>" in zh
    assert "授权领域" not in zh
    assert "<dt>Mode</dt><dd>Whole</dd>" in en


def test_whole_mode_still_holds_one_scenario_to_one_authorization(shared: Shared) -> None:
    values = shared.unique(mode="whole")
    _create(shared, **values)
    with pytest.raises(Conflict) as taken:
        _create(shared, **{**values, "operator_id": shared.world.other_operator.organization_id})
    assert taken.value.code == "scenario_taken"
    assert taken.value.detail("zh-CN").startswith(
        f"一场景一授权：场景“{values['scenario']}”已有授权 "
    )
    with pytest.raises(InvalidInput) as several:
        _create(shared, mode="whole", scenario="普惠金融、智慧交通")
    assert several.value.code == "one_scenario"
    assert several.value.detail("en") == (
        "One scenario, one authorization: an authorization names one scenario "
        "(“普惠金融、智慧交通” looks like several)."
    )


def test_domain_mode_must_name_its_domain(shared: Shared) -> None:
    with pytest.raises(InvalidInput) as refused:
        _create(shared, mode="domain", domain=None, entry_ids=shared.finance_entries)
    assert refused.value.detail("zh-CN") == "分领域授权须指明领域。"
    assert refused.value.detail("en") == "An authorization by domain must name the domain."
    with shared.database.unit_of_work() as session:
        problems = service.check_draft(
            session,
            actor=shared.world.bureau_principal(),
            settings=shared.settings,
            mode="domain",
            domain=None,
            entry_ids=[shared.world.entries[0]],
        )
    # Without a domain nothing can be outside it: the one problem is the missing domain.
    assert [(p.field, p.key) for p in problems] == [("domain", "authz.domain_required")]


def test_domain_mode_refuses_data_outside_its_domain_now_and_in_later_changes(
    shared: Shared,
) -> None:
    with pytest.raises(InvalidInput) as outside:
        _create(
            shared,
            mode="domain",
            domain="industry:finance",
            entry_ids=[shared.world.entries[0], shared.finance_entries[0]],
        )
    assert outside.value.code == "outside_domain"
    assert outside.value.detail("zh-CN") == "“企业登记信息1”不属于授权领域“金融服务”。"
    assert outside.value.detail("en") == (
        "“企业登记信息1” is not in the authorized domain “Finance”."
    )
    with shared.database.unit_of_work() as session:
        problems = service.check_draft(
            session,
            actor=shared.world.bureau_principal(),
            settings=shared.settings,
            mode="domain",
            domain="industry:finance",
            entry_ids=[*shared.world.entries[:2], shared.finance_entries[0]],
        )
    # The drafting form names every resource outside the domain at once.
    assert sorted(p.error.detail("zh-CN") for p in problems) == [
        "“企业登记信息1”不属于授权领域“金融服务”。",
        "“企业登记信息2”不属于授权领域“金融服务”。",
    ]
    assert {p.field for p in problems} == {"entry_ids"}

    agreement = _create(
        shared, mode="domain", domain="industry:finance", entry_ids=[shared.finance_entries[0]]
    )

    def change(entry: uuid.UUID) -> int:
        with shared.database.unit_of_work() as session:
            return service.change_scope(
                session,
                actor=shared.world.bureau_principal(),
                settings=shared.settings,
                at=shared.clock().now(),
                authorization_id=agreement,
                change=ScopeChange(add_entry_ids=[entry], reason="扩大授权范围"),
            ).number

    with pytest.raises(InvalidInput) as grown:
        change(shared.world.entries[2])
    assert grown.value.detail("zh-CN") == "“企业登记信息3”不属于授权领域“金融服务”。"
    assert change(shared.finance_entries[1]) == 2

    # The document names the domain as people call it, never by its code.
    zh, en = _document(shared, agreement, "zh-CN"), _document(shared, agreement, "en")
    assert "<dt>授权方式</dt><dd>分领域授权</dd>" in zh
    assert "<dt>授权领域</dt><dd>金融服务</dd>" in zh
    assert "<dt>Domain</dt><dd>Finance</dd>" in en
    assert "industry:finance" not in zh + en
