"""Request-scoped dependencies: the unit of work, the clock, the language, the principal.

Every route declares what it needs through exactly one ``Requires`` (a permission) or
``Public`` marker; a test walks the routes and fails on any route that declares neither.
"""

from __future__ import annotations

import hmac
import ipaddress
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.errors import CsrfFailed, NotAuthenticated
from sluice.core.i18n import LOCALE_COOKIE, negotiate
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import service as identity
from sluice.web.admission import Admission

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SESSION_COOKIE = "sluice_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
ANON_CSRF_COOKIE = "sluice_csrf"
API_KEY_HEADER = "X-API-Key"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def clock_of(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def locale_of(request: Request) -> str:
    return negotiate(
        request.cookies.get(LOCALE_COOKIE),
        request.headers.get("accept-language"),
        settings_of(request).default_locale,
    )


def client_address(request: Request) -> str | None:
    """The caller's network address, for login throttling and the audit log: the direct
    peer, unless the peer is one of the trusted proxies (``trusted_proxies``, none by
    default); then the nearest address in ``X-Forwarded-For`` that is not a trusted proxy
    (read right to left, so a client cannot put itself in place of the address its proxy
    saw)."""
    peer = request.client.host if request.client else None
    networks = _trusted_networks(tuple(settings_of(request).trusted_proxies))
    if peer is None or not networks:
        return peer
    return forwarded_client(peer, request.headers.getlist("x-forwarded-for"), networks)


@lru_cache(maxsize=8)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed.version == n.version and parsed in n for n in networks)


def forwarded_client(peer: str, forwarded: list[str], networks: tuple[IPNetwork, ...]) -> str:
    """The client behind trusted proxies: from the peer leftwards through the
    ``X-Forwarded-For`` hops, the first address not in ``networks``. A hop that is not an
    address stops the walk at the trusted proxy that reported it."""
    hops = [hop.strip() for header in forwarded for hop in header.split(",") if hop.strip()]
    current = peer
    for hop in reversed(hops):
        if not _trusted(current, networks):
            return current
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return current
        current = hop
    return current


def request_id_of(request: Request) -> uuid.UUID:
    """This request's id: one per request, shared by every dependency that asks."""
    found = getattr(request.state, "request_id", None)
    if isinstance(found, uuid.UUID):
        return found
    request.state.request_id = made = uuid.uuid4()
    return made


def in_request(principal: Principal, request: Request) -> Principal:
    """The principal as this request's: its id and client address go on the audit log."""
    return replace(
        principal, request_id=request_id_of(request), client_address=client_address(request)
    )


async def _admitted(request: Request) -> AsyncIterator[None]:
    """The request's turn among those the process serves at once (``web.admission``):
    taken before its session exists, given back after it closed. A form's body is read
    first (it is read for its CSRF token anyway): a client that sends it slowly waits
    holding no turn."""
    if request.method not in _SAFE_METHODS and _is_form(request):
        await request.form()
    admission: Admission = request.app.state.admission
    async with admission.turn():
        yield


def unit_of_work(
    request: Request, _turn: Annotated[None, Depends(_admitted, scope="function")]
) -> Iterator[Session]:
    """The request owns the transaction: commit when the route returns, else roll back."""
    database: Database = request.app.state.database
    with database.unit_of_work() as session:
        yield session


DbSession = Annotated[Session, Depends(unit_of_work, scope="function")]
AppClock = Annotated[Clock, Depends(clock_of)]
AppSettings = Annotated[Settings, Depends(settings_of)]
Locale = Annotated[str, Depends(locale_of)]
ClientAddress = Annotated[str | None, Depends(client_address)]


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def _check_csrf(request: Request, expected: str) -> None:
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and _is_form(request):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    if not supplied or not hmac.compare_digest(supplied, expected):
        raise CsrfFailed()


class Requires:
    """Resolves the caller from a bearer token or the console cookie and checks a permission.

    Cookie-authenticated requests that change something must carry the session's CSRF
    token (form field or header); bearer tokens are not sent by browsers on their own.
    """

    def __init__(self, permission: Permission) -> None:
        if permission is Permission.PUBLIC:
            raise ValueError("use Public() for public routes")
        self.permission = permission

    async def __call__(self, request: Request, session: DbSession, clock: AppClock) -> Principal:
        principal = await self.resolve(request, session, clock)
        if principal is None:
            raise NotAuthenticated()
        principal.require(self.permission)
        principal = in_request(principal, request)
        request.state.principal = principal
        return principal

    async def resolve(self, request: Request, session: Session, clock: Clock) -> Principal | None:
        token = _bearer(request)
        if token is not None:
            return identity.resolve_access_token(session, clock=clock, token=token)
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            found = identity.resolve_console_session(session, clock=clock, token=cookie)
            if found is None:
                return None
            principal, console_session = found
            request.state.csrf_token = console_session.csrf_token
            if request.method not in _SAFE_METHODS:
                await _check_csrf(request, console_session.csrf_token)
            return principal
        return None


class RequiresApiKey(Requires):
    """Gateway routes: a buyer organization's API key in ``X-API-Key``.

    No key: ``not_authenticated`` (401). A key that names no live key: ``invalid_key``
    (401). A suspended key: ``key_suspended`` (403, with the bureau's reason)."""

    async def resolve(self, request: Request, session: Session, clock: Clock) -> Principal | None:
        key = request.headers.get(API_KEY_HEADER)
        if not key:
            return None
        # In a worker thread: the key's last use may be written, and a write may wait for a
        # lock; the event loop must never wait with it.
        principal = await run_in_threadpool(identity.resolve_api_key, session, clock=clock, key=key)
        if principal is None:
            raise identity.InvalidKey()
        return principal


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    )


class Public:
    """Marks a route anyone may call; still tells the page who is logged in, if anyone.

    Forms posted by visitors who are not logged in (the login form itself) are checked
    against a double-submit cookie, so another site cannot post them in the user's name.
    """

    permission = Permission.PUBLIC

    async def __call__(
        self, request: Request, session: DbSession, clock: AppClock
    ) -> Principal | None:
        principal: Principal | None = None
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            found = identity.resolve_console_session(session, clock=clock, token=cookie)
            if found is not None:
                principal, console_session = found
                principal = in_request(principal, request)
                request.state.csrf_token = console_session.csrf_token
                request.state.principal = principal
        if request.method not in _SAFE_METHODS and _is_form(request):
            expected = getattr(request.state, "csrf_token", None) or request.cookies.get(
                ANON_CSRF_COOKIE
            )
            if not expected:
                raise CsrfFailed()
            await _check_csrf(request, expected)
        return principal


MaybePrincipal = Annotated[Principal | None, Depends(Public())]
