"""Every console page of every role, as a person at a 1366×900 screen would open them.

Each demo login starts at its workbench and follows every link it is shown, once per kind of
address (``/console/tickets/<id>`` is one kind), through the portal and the console. A page
fails the walk when it answers an error, logs a browser console error, scrolls sideways at
1366 px, or shows a message key where words belong. Downloads (PDF, CSV, evidence) are
fetched rather than opened and must answer too. Built once on a small demo city.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import pytest
import uvicorn

from sluice.core.clock import SystemClock
from sluice.core.database import Database
from sluice.core.i18n import _catalog
from sluice.web.app import create_app
from tests.demo_city import DemoCity

pytestmark = pytest.mark.browser

WIDTH: Final = 1366
HEIGHT: Final = 900
#: Addresses a link may name that are files or machine answers, not pages to open.
_DOWNLOADS: Final = re.compile(r"(\.pdf|\.csv|\.jsonld|\.json|/evidence/[^/]+|/openapi\.json)$")
#: Path segments that are identifiers: one visit stands for every address of that kind.
_ID_SEGMENT: Final = re.compile(r"^([0-9a-f]{8}-[0-9a-f-]{27}|\d+|(?=.*\d)[A-Za-z0-9_-]{16,})$")
_NOT_PAGES: Final = ("/logout", "/locale", "/static/", "/api/", "/gateway/")


def _kind(url: str) -> str:
    parts = urlsplit(url)
    segments = ["{id}" if _ID_SEGMENT.match(s) else s for s in parts.path.split("/")]
    # A list with a query (a page, a filter, a search) is one more kind, whichever it is.
    return "/".join(segments) + ("?…" if parts.query else "")


#: What the walk reads of a page, in one trip to the browser: its width, its links, and its
#: words, leaving out what is shown as code on purpose (an action's code beside its label,
#: a hash, a key): those are data, not untranslated messages.
_READ_PAGE: Final = """() => {
  const width = document.documentElement.scrollWidth;
  const links = [...document.querySelectorAll("a[href]")].map(e => e.href);
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll("code, pre, kbd, samp, script, style, template").forEach(e => e.remove());
  return {width, links, text: copy.textContent};
}"""


def _key_pattern() -> re.Pattern[str]:
    """Dotted words that start like one of our message keys (nav.…, state.…, vocab.…)."""
    prefixes = sorted({key.split(".")[0] for key in _catalog}, key=len, reverse=True)
    alternatives = "|".join(re.escape(p) for p in prefixes)
    return re.compile(rf"(?<![\w./@-])(?:{alternatives})(?:\.[a-z0-9_]+)+(?![\w/-])")


@dataclass
class Walk:
    base: str
    problems: list[str] = field(default_factory=list)
    visited: dict[str, str] = field(default_factory=dict)  # kind -> url


@dataclass(frozen=True)
class City:
    base: str
    accounts: dict[str, str]  # username -> password


@pytest.fixture(scope="module")
def city(demo_sqlite: DemoCity) -> Iterator[City]:
    # The walk only reads (and signs in), so it shares the suite's demo city.
    accounts = demo_sqlite.passwords
    url = demo_sqlite.url
    settings = demo_sqlite.settings
    database = Database(url)
    app = create_app(settings, database=database, clock=SystemClock())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield City(f"http://127.0.0.1:{port}", accounts)
    server.should_exit = True
    thread.join(timeout=10)
    database.dispose()


def _log_in(page: Any, city: City, username: str) -> None:
    page.goto(f"{city.base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", city.accounts[username])
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{city.base}/console")


def _links(page: Any, hrefs: list[str], walk: Walk) -> list[str]:
    found = []
    for href in hrefs:
        absolute = urljoin(page.url, href).split("#")[0]
        if not absolute.startswith(walk.base):
            continue
        path = urlsplit(absolute).path
        if any(path.startswith(prefix) for prefix in _NOT_PAGES):
            continue
        found.append(absolute)
    return found


def _inspect(
    page: Any, url: str, walk: Walk, keys: re.Pattern[str], errors: list[str]
) -> list[str]:
    """Open the page and note its problems; the links it shows."""
    errors.clear()
    response = page.goto(url)
    status = response.status if response else 0
    where = url.removeprefix(walk.base)
    seen: dict[str, Any] = page.evaluate(_READ_PAGE)
    hrefs: list[str] = seen["links"]
    if status >= 400:
        walk.problems.append(f"{where}: answered {status}")
        return hrefs
    width = seen["width"]
    if width > WIDTH:
        walk.problems.append(f"{where}: {width} px wide in a {WIDTH} px window")
    untranslated = sorted(set(keys.findall(seen["text"])))
    if untranslated:
        walk.problems.append(f"{where}: message keys shown: {', '.join(untranslated[:5])}")
    walk.problems.extend(f"{where}: console error: {e[:200]}" for e in errors)
    return hrefs


def _walk(page: Any, city: City, username: str) -> Walk:
    walk = Walk(city.base)
    keys = _key_pattern()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, city, username)
    queue = [f"{city.base}/console", f"{city.base}/"]
    while queue:
        url = queue.pop(0)
        kind = _kind(url)
        if kind in walk.visited:
            continue
        walk.visited[kind] = url
        if _DOWNLOADS.search(urlsplit(url).path):
            answer = page.request.get(url)
            if answer.status >= 400:
                walk.problems.append(f"{url.removeprefix(city.base)}: answered {answer.status}")
            continue
        hrefs = _inspect(page, url, walk, keys, errors)
        queue.extend(link for link in _links(page, hrefs, walk) if _kind(link) not in walk.visited)
    return walk


#: One login per role (``bureau2`` and ``operator2`` hold the same roles and see the same pages).
ROLES: Final = (
    "bureau",
    "registry",
    "finance",
    "provider",
    "operator",
    "buyer",
    "panel",
    "subject",
)


@pytest.mark.parametrize("username", ROLES)
def test_every_page_this_role_can_reach_reads_well_at_1366(
    browser: Any, city: City, username: str
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTH, "height": HEIGHT})
    try:
        walk = _walk(context.new_page(), city, username)
    finally:
        context.close()
    assert len(walk.visited) >= 3, walk.visited  # the workbench, the portal and more
    assert walk.problems == [], f"{len(walk.visited)} kinds of page: " + "\n".join(walk.problems)


def test_the_walk_notices_what_it_is_meant_to(browser: Any, city: City) -> None:
    """The detectors themselves: an overflowing page, a key, a 404 and a script error."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    walk = Walk(city.base)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _inspect(page, f"{city.base}/no-such-page", walk, _key_pattern(), errors)
        page.set_content('<body><div style="width:2000px">nav.console state.ticket.open</div>')
        page.evaluate("setTimeout(() => { throw new Error('boom') })")
        page.wait_for_timeout(50)  # the error is thrown later, by the page's own event loop
        width = page.evaluate("document.documentElement.scrollWidth")
        keys = _key_pattern().findall(page.inner_text("body"))
    finally:
        context.close()
    assert walk.problems == ["/no-such-page: answered 404"]
    assert width > WIDTH
    assert keys == ["nav.console", "state.ticket.open"]
    assert any("boom" in e for e in errors)


def test_kinds_of_address_collapse_identifiers() -> None:
    assert _kind("http://x/console/tickets/5f0c1d2e-1111-2222-3333-444455556666") == (
        "/console/tickets/{id}"
    )
    assert _kind("http://x/console/resources?page=2&q=社保") == "/console/resources?…"
    assert _kind("http://x/console/operator-application") == "/console/operator-application"
    assert _kind("http://x/catalog/1234") == "/catalog/{id}"
