"""Issue 10 items 7 and 8 on the identity pages, as a browser sees them: the users and
organizations lists reach every row (paging, sorting, filters, search), pickers find an
organization by its code, every accepted form answers with a redirect (a reload re-reads the
page and never posts again: no second API key, no key shown twice), and a refused form
shows every problem at once next to its field."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.identity import service
from sluice.identity.models import ApiKey, ConsoleFlash
from sluice.identity.schemas import OrganizationCreate, UserCreate
from tests.identity.factories import PASSWORD, Account, console_login, make_account

STRONG = "Liaohe-estuary-tide-2026"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _usernames(html: str) -> list[str]:
    return re.findall(r'<tr data-username="([^"]+)"', html)


def _label_of(html: str, field: str) -> str:
    """The form label (or picker box) holding the field: what a reader sees next to it."""
    for label in re.findall(r"<label>.*?</label>", html, flags=re.S):
        if f'name="{field}"' in label:
            return _text(label)
    raise AssertionError(f"no field {field!r} on the page")


def _bureau(client: TestClient, database: Database, clock: FixedClock) -> tuple[Account, str]:
    account = make_account(database, clock, Role.BUREAU, username="aa-bureau")
    return account, console_login(client, account)


def _subjects(database: Database, clock: FixedClock, count: int) -> list[str]:
    """People without an organization, named p000, p001, … (they sort after aa-bureau)."""
    names = [f"p{n:03d}" for n in range(count)]
    with database.unit_of_work() as session:
        for name in names:
            service.create_user(
                session,
                actor=Principal.system("test"),
                clock=clock,
                data=UserCreate(
                    username=name,
                    display_name=f"居民{name}",
                    password=PASSWORD,
                    organization_id=None,
                    roles=[Role.SUBJECT],
                ),
            )
    return names


# --- lists ---------------------------------------------------------------------------------


def test_users_page_two_shows_users_51_to_100_and_bad_pages_are_404(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _bureau(client, database, clock)
    names = ["aa-bureau", *_subjects(database, clock, 104)]  # 105 users, by username
    first = client.get("/console/users")
    assert _usernames(first.text) == names[:50]
    assert "第 1–50 条，共 105 条" in _text(first.text)
    second = client.get("/console/users?page=2")
    assert second.status_code == 200
    assert _usernames(second.text) == names[50:100]
    assert "第 51–100 条，共 105 条" in _text(second.text)
    following = re.findall(r'href="(\?[^"]*page=3[^"]*)" rel="next"', second.text)[0]
    third = client.get("/console/users" + unescape(following))
    assert _usernames(third.text) == names[100:]
    for bad in ("0", "-1", "abc", "4", "9999"):
        missing = client.get(f"/console/users?page={bad}")
        assert missing.status_code == 404, bad
        assert "第" in missing.text or "页面不存在" in missing.text
    descending = client.get("/console/users?sort=-username")
    assert _usernames(descending.text)[:2] == ["p103", "p102"]


def test_users_are_filtered_by_role_status_and_organization_and_searched(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _, csrf = _bureau(client, database, clock)
    providers = [make_account(database, clock, Role.PROVIDER) for _ in range(3)]
    buyer = make_account(database, clock, Role.BUYER)
    _subjects(database, clock, 2)
    by_role = client.get("/console/users?role=provider")
    assert sorted(_usernames(by_role.text)) == sorted(p.username for p in providers)
    assert "共 3 条" in _text(by_role.text) or "第 1–3 条，共 3 条" in _text(by_role.text)
    by_kind = client.get("/console/users?kind=buyer")
    assert _usernames(by_kind.text) == [buyer.username]
    # Deactivated accounts, on their own.
    client.post(
        f"/console/users/{buyer.user_id}/deactivate",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    inactive = client.get("/console/users?status=inactive")
    assert _usernames(inactive.text) == [buyer.username]
    assert buyer.username not in _usernames(client.get("/console/users?status=active").text)
    # Search by a person's name, and by the organization's name.
    assert _usernames(client.get("/console/users?q=居民p001").text) == ["p001"]
    with database.unit_of_work() as session:
        organization = service.get_organization(
            session,
            actor=Principal.system("test"),
            organization_id=providers[0].organization_id,  # type: ignore[arg-type]
        )
        assert organization is not None
        name, code = organization.name, organization.code
    assert _usernames(client.get("/console/users", params={"q": name}).text) == [
        providers[0].username
    ]
    of_one = client.get(f"/console/users?organization={code}").text
    assert _usernames(of_one) == [providers[0].username]
    assert f"只显示机构代码为 {code} 的用户。" in _text(of_one)
    empty = client.get("/console/users?q=没有这个人")
    assert "没有符合条件的记录。请换一个关键词或清除筛选条件。" in _text(empty.text)


def test_the_list_alone_answers_an_htmx_search(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _bureau(client, database, clock)
    _subjects(database, clock, 3)
    fragment = client.get("/console/users?q=p002", headers={"HX-Target": "list"})
    assert fragment.text.lstrip().startswith('<div id="list">')
    assert _usernames(fragment.text) == ["p002"]
    assert "<html" not in fragment.text


def test_organizations_list_pages_filters_and_counts_users(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _, csrf = _bureau(client, database, clock)  # one bureau organization
    for n in range(55):
        client.post(
            "/console/organizations",
            data={
                "code": f"buyer-{n:02d}",
                "kind": "buyer",
                "name": f"需求方{n:02d}",
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
    buyers = client.get("/console/organizations?kind=buyer&sort=code")
    codes = re.findall(r'<tr data-code="([^"]+)"', buyers.text)
    assert codes == [f"buyer-{n:02d}" for n in range(50)]
    assert "第 1–50 条，共 55 条" in _text(buyers.text)
    page_two = client.get("/console/organizations?kind=buyer&sort=code&page=2")
    assert re.findall(r'<tr data-code="([^"]+)"', page_two.text) == [
        f"buyer-{n:02d}" for n in range(50, 55)
    ]
    assert client.get("/console/organizations?page=0").status_code == 404
    bureau_row = client.get("/console/organizations?kind=bureau").text
    # The bureau's one user is counted, and the count leads to that organization's users.
    count = re.search(r'data-testid="users-count">(\d+)</a>', bureau_row)
    assert count is not None and count.group(1) == "1"
    assert re.findall(
        r'<tr data-code="([^"]+)"', client.get("/console/organizations?q=需求方07").text
    ) == ["buyer-07"]


# --- pickers --------------------------------------------------------------------------------


def test_the_organizations_picker_finds_one_by_code_and_shows_its_kind(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _, csrf = _bureau(client, database, clock)
    for n in range(30):
        client.post(
            "/console/organizations",
            data={
                "code": f"dept-{n:02d}",
                "kind": "provider",
                "name": f"营口市某局{n:02d}",
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
    found = client.get("/console/pick/organizations?q=dept-17")
    assert found.status_code == 200
    text = _text(found.text)
    assert "营口市某局17 · 数据提供部门 · dept-17" in text
    assert "找到 1 条。" in text
    many = _text(client.get("/console/pick/organizations?q=dept").text)
    assert "找到 30 条，显示前 20 条" in many
    users = _text(client.get("/console/pick/users?q=aa-bure").text)
    assert "测试bureau · aa-bureau ·" in users


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.BUREAU])
def test_other_roles_cannot_open_the_lists_or_pick_organizations(
    client: TestClient, database: Database, clock: FixedClock, role: Role
) -> None:
    console_login(client, make_account(database, clock, role))
    for page in ("/console/users", "/console/organizations"):
        refused = client.get(page)
        assert refused.status_code == 403
        text = _text(refused.text)
        # The refusal says what is missing in words, not as the internal permission name.
        assert "您的角色不能“查看机构和用户”。如需此项权限，请联系市数据局。" in text
        assert "identity.read" not in text
    for kind in ("organizations", "users"):
        assert client.get(f"/console/pick/{kind}?q=a").status_code == 404


# --- forms: post/redirect/get, every problem at once -----------------------------------------


def test_creating_an_api_key_redirects_and_a_reload_neither_repeats_nor_reveals_it(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = console_login(client, make_account(database, clock, Role.BUYER))
    created = client.post(
        "/console/api-keys", data={"name": "征信核验", "csrf_token": csrf}, follow_redirects=False
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/console/api-keys"
    with database.engine.connect() as connection:
        waiting = connection.execute(select(ConsoleFlash.sealed)).scalars().all()
    assert len(waiting) == 1  # kept for the next page, sealed
    shown = client.get(created.headers["location"])
    key = shown.text.split("<pre><code>")[1].split("</code>")[0]
    assert key.startswith("slk_") and key.encode() not in waiting[0]
    assert "新密钥“征信核验”" in _text(shown.text)
    assert shown.headers["cache-control"] == "no-store"
    reloaded = client.get("/console/api-keys")
    assert key not in reloaded.text and 'data-testid="new-key"' not in reloaded.text
    assert reloaded.text.count("<tr data-prefix=") == 1
    with database.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ApiKey)).scalar_one() == 1
        assert connection.execute(select(func.count()).select_from(ConsoleFlash)).scalar_one() == 0


def test_the_new_key_opens_only_in_the_session_that_made_it(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """Another login of the same buyer (another browser) never sees the new key."""
    from fastapi.testclient import TestClient as Browser

    account = make_account(database, clock, Role.BUYER)
    csrf = console_login(client, account)
    with Browser(client.app, base_url="http://127.0.0.1") as other:
        console_login(other, account)
        client.post(
            "/console/api-keys", data={"name": "k", "csrf_token": csrf}, follow_redirects=False
        )
        assert 'data-testid="new-key"' not in other.get("/console/api-keys").text
    assert 'data-testid="new-key"' in client.get("/console/api-keys").text


def test_an_empty_key_name_is_refused_next_to_the_field_and_nothing_is_made(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    csrf = console_login(client, make_account(database, clock, Role.BUYER))
    refused = client.post("/console/api-keys", data={"name": " ", "csrf_token": csrf})
    assert refused.status_code == 422
    assert "至少 1 个字符。" in _label_of(refused.text, "name")
    with database.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ApiKey)).scalar_one() == 0


def test_a_duplicate_username_and_a_short_password_come_back_together(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _, csrf = _bureau(client, database, clock)
    taken = make_account(database, clock, Role.SUBJECT)
    response = client.post(
        "/console/users",
        data={
            "username": taken.username,
            "display_name": "重名的人",
            "password": "short",
            "roles": "subject",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert f"用户名“{taken.username}”已被使用。" in _label_of(response.text, "username")
    assert "密码至少需要 10 个字符。" in _label_of(response.text, "password")
    assert 'value="重名的人"' in response.text  # what was typed is kept
    assert "short" not in response.text.split("<main>")[1]


def test_a_role_that_does_not_fit_the_organization_is_said_with_the_other_mistakes(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _, csrf = _bureau(client, database, clock)
    with database.unit_of_work() as session:
        provider = service.create_organization(
            session,
            actor=Principal.system("test"),
            clock=clock,
            data=OrganizationCreate(code="gaj", kind=OrgKind.PROVIDER, name="营口市公安局"),
        )
        provider_id = provider.id
    response = client.post(
        "/console/users",
        data={
            "username": "x",
            "display_name": "赵丽",
            "password": STRONG,
            "organization_id": str(provider_id),
            "roles": "operator",
            "csrf_token": csrf,
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "At least 3 characters." in _label_of(response.text, "username")
    roles = _text(response.text.split("<legend>")[1].split("</fieldset>")[0])
    assert "The role 'Operator' must belong to an organization of kind 'Operator'." in roles
    # The chosen organization stays chosen, named so it can be told apart.
    assert "营口市公安局 · Data provider · gaj" in _text(response.text)
    assert f'name="organization_id" value="{provider_id}"' in response.text


def test_a_user_made_on_the_page_is_shown_after_a_redirect_and_the_notice_once(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _, csrf = _bureau(client, database, clock)
    made = client.post(
        "/console/users",
        data={
            "username": "zhaoli",
            "display_name": "赵丽",
            "password": STRONG,
            "roles": "subject",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert made.headers["location"] == "/console/users?q=zhaoli"
    page = client.get(made.headers["location"])
    assert "已创建用户“zhaoli”。" in _text(page.text)
    assert _usernames(page.text) == ["zhaoli"]
    assert "已创建用户" not in client.get(made.headers["location"]).text  # shown once


def test_organization_clashes_and_a_bad_field_come_back_in_one_round(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    _, csrf = _bureau(client, database, clock)
    first = {
        "code": "bank1",
        "kind": "buyer",
        "name": "营口银行",
        "credit_code": "91210800118000030G",
        "csrf_token": csrf,
    }
    assert (
        client.post("/console/organizations", data=first, follow_redirects=False).status_code == 303
    )
    again = client.post(
        "/console/organizations",
        data={**first, "name": "营口银行", "kind": "nonsense"},
    )
    assert again.status_code == 422
    assert "机构代码“bank1”已被另一家机构使用。" in _label_of(again.text, "code")
    assert "已有名为“营口银行”的机构。" in _label_of(again.text, "name")
    assert "统一社会信用代码“91210800118000030G”已登记在另一家机构名下。" in _label_of(
        again.text, "credit_code"
    )
    assert "请从列表中选择。" in _label_of(again.text, "kind")
