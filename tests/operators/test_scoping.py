"""Who sees which application is decided in one place (``repository.visible_application`` and
``visible_applications``) and every list and every read by id goes through it: an applicant
sees its own organization's, drafts included; the bureau sees an application once it is
submitted, never a draft; another company sees nothing. What one may not see is not found
(404) or simply not listed, never forbidden."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import NotFound
from sluice.core.permissions import Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators import applications, dossier, repository
from tests.identity.factories import Account, bearer, make_account
from tests.operators.factories import (
    REVIEWER,
    acting_for,
    built_for,
    fresh_login,
    submit_for,
)

MINE = "/api/v1/operators/applications"
REVIEW = "/api/v1/operators/review/applications"
MINE_PAGE = "/console/operator-application"
REVIEW_PAGE = "/console/operators"


@dataclass(frozen=True)
class Cast:
    owner: Account
    outsider: Account  # another operator company
    bureau: Account
    application_id: uuid.UUID
    evidence_id: uuid.UUID


@pytest.fixture
def cast(database: Database, clock: FixedClock, settings: Settings) -> Cast:
    """The owner's complete application, still a draft, with its evidence."""
    owner = make_account(database, clock, Role.OPERATOR)
    outsider = make_account(database, clock, Role.OPERATOR)
    bureau = make_account(database, clock, Role.BUREAU)
    built = built_for(database, clock, settings, owner)
    with database.sessions() as session:
        evidence_id = repository.evidence(session, built.application.id)[0].id
    return Cast(owner, outsider, bureau, built.application.id, evidence_id)


def _submit(database: Database, clock: FixedClock, settings: Settings, cast: Cast) -> None:
    submit_for(database, clock, settings, cast.owner, cast.application_id)


def _seen(database: Database, actor: Principal, cast: Cast) -> tuple[bool, list[uuid.UUID]]:
    """Whether the repository gives ``actor`` the application by id, and what it lists."""
    with database.sessions() as session:
        one = repository.visible_application(
            session, actor=actor, application_id=cast.application_id
        )
        total, listed = repository.visible_applications(session, actor=actor)
        assert total == len(listed)
        return one is not None, [a.id for a in listed]


def test_the_repository_scopes_every_read_to_the_principal(
    database: Database, clock: FixedClock, settings: Settings, cast: Cast
) -> None:
    owner, outsider = acting_for(cast.owner), acting_for(cast.outsider)
    system = Principal.system("test")
    assert _seen(database, owner, cast) == (True, [cast.application_id])
    assert _seen(database, outsider, cast) == (False, [])
    assert _seen(database, REVIEWER, cast) == (False, [])  # a draft is the applicant's alone
    assert _seen(database, system, cast) == (True, [cast.application_id])
    _submit(database, clock, settings, cast)
    assert _seen(database, owner, cast) == (True, [cast.application_id])
    assert _seen(database, outsider, cast) == (False, [])
    assert _seen(database, REVIEWER, cast) == (True, [cast.application_id])


def test_the_services_answer_not_found_to_those_who_may_not_see(
    database: Database, clock: FixedClock, settings: Settings, cast: Cast
) -> None:
    app_id = cast.application_id
    with database.sessions() as session:
        for actor in (acting_for(cast.outsider), REVIEWER):
            with pytest.raises(NotFound):
                applications.get(session, actor=actor, clock=clock, application_id=app_id)
            with pytest.raises(NotFound):
                applications.history(session, actor=actor, application_id=app_id)
            with pytest.raises(NotFound):
                dossier.evidence_file(
                    session,
                    actor=actor,
                    settings=settings,
                    application_id=app_id,
                    evidence_id=cast.evidence_id,
                )
            assert applications.list_applications(session, actor=actor) == (0, [])
        assert applications.own_applications(session, actor=acting_for(cast.outsider)) == []
        owner = acting_for(cast.owner)
        assert applications.get(session, actor=owner, clock=clock, application_id=app_id)
        assert [a.id for a in applications.own_applications(session, actor=owner)] == [app_id]


def _status(client: TestClient, url: str, headers: dict[str, str]) -> int:
    client.cookies.clear()
    return client.get(url, headers=headers).status_code


def _total(client: TestClient, url: str, headers: dict[str, str]) -> Any:
    client.cookies.clear()
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["total"]


def test_every_api_list_and_read_by_id_is_scoped(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, cast: Cast
) -> None:
    owner, outsider = bearer(client, cast.owner), bearer(client, cast.outsider)
    bureau = bearer(client, cast.bureau)
    app_id, evidence_id = cast.application_id, cast.evidence_id
    mine = (f"{MINE}/{app_id}", f"{MINE}/{app_id}/evidence/{evidence_id}")
    review = (f"{REVIEW}/{app_id}", f"{REVIEW}/{app_id}/evidence/{evidence_id}")

    assert [_status(client, url, owner) for url in mine] == [200, 200]
    assert [_status(client, url, outsider) for url in mine] == [404, 404]
    assert [_status(client, url, bureau) for url in review] == [404, 404]
    assert (_total(client, MINE, owner), _total(client, MINE, outsider)) == (1, 0)
    assert _total(client, REVIEW, bureau) == 0

    _submit(database, clock, settings, cast)
    assert [_status(client, url, bureau) for url in review] == [200, 200]
    assert _total(client, REVIEW, bureau) == 1
    assert [_status(client, url, outsider) for url in mine] == [404, 404]
    assert _total(client, MINE, outsider) == 0


def test_every_page_list_and_read_by_id_is_scoped(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, cast: Cast
) -> None:
    app_id, evidence_id = cast.application_id, cast.evidence_id
    mine = (f"{MINE_PAGE}/{app_id}", f"{MINE_PAGE}/{app_id}/evidence/{evidence_id}")
    review = (f"{REVIEW_PAGE}/{app_id}", f"{REVIEW_PAGE}/{app_id}/evidence/{evidence_id}")

    fresh_login(client, cast.owner)
    assert [client.get(url).status_code for url in mine] == [200, 200]
    assert str(app_id) in client.get(MINE_PAGE).text
    fresh_login(client, cast.outsider)
    assert [client.get(url).status_code for url in mine] == [404, 404]
    assert str(app_id) not in client.get(MINE_PAGE).text
    fresh_login(client, cast.bureau)
    assert [client.get(url).status_code for url in review] == [404, 404]
    assert str(app_id) not in client.get(REVIEW_PAGE).text

    _submit(database, clock, settings, cast)
    fresh_login(client, cast.bureau)
    assert [client.get(url).status_code for url in review] == [200, 200]
    assert str(app_id) in client.get(REVIEW_PAGE).text
    fresh_login(client, cast.outsider)
    assert [client.get(url).status_code for url in mine] == [404, 404]
