"""Builders for organizations and users, through the real services."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.permissions import ROLE_ORG_KIND, OrgKind, Role
from sluice.core.principal import Principal
from sluice.identity import service
from sluice.identity.schemas import OrganizationCreate, UserCreate

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    user_id: uuid.UUID
    organization_id: uuid.UUID | None
    role: Role


def make_org(session: Session, clock: Clock, kind: OrgKind, code: str | None = None) -> uuid.UUID:
    n = next(_counter)
    org = service.create_organization(
        session,
        actor=Principal.system("test"),
        clock=clock,
        data=OrganizationCreate(
            code=code or f"{kind.value}-{n}", kind=kind, name=f"测试{kind.value}{n}"
        ),
    )
    return org.id


def make_account(
    database: Database, clock: Clock, role: Role, username: str | None = None
) -> Account:
    with database.unit_of_work() as session:
        kind = ROLE_ORG_KIND[role]
        org_id = make_org(session, clock, kind) if kind else None
        user = service.create_user(
            session,
            actor=Principal.system("test"),
            clock=clock,
            data=UserCreate(
                username=username or f"{role.value}{next(_counter)}",
                display_name=f"测试{role.value}",
                password=PASSWORD,
                organization_id=org_id,
                roles=[role],
            ),
        )
        return Account(user.username, PASSWORD, user.id, org_id, role)


def bearer(client: TestClient, account: Account) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", json={"username": account.username, "password": account.password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def console_login(client: TestClient, account: Account) -> str:
    """Log in through the form like a browser; returns the session's CSRF token."""
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"username": account.username, "password": account.password, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    console = client.get("/console")
    return console.text.split('name="csrf_token" value="')[1].split('"')[0]
