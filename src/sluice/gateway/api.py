"""Gateway routes (``/gateway/v1``, a buyer's API key) and the gateway's REST routes
(``/api/v1``: subscriptions, signing secrets, the call log, metering, tracing a leaked
file). Thin: the services decide and refuse.

A refused gateway call is answered here rather than by the application's error handler, so
its log row (with the refusal's code and latency) is written after the call's own changes
were rolled back, and ``rate_limited`` carries ``Retry-After``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from sluice.core.clock import Clock, display_zone
from sluice.core.database import undo_keeping_refusal
from sluice.core.errors import PROBLEM_MEDIA_TYPE, InvalidInput, SluiceError
from sluice.core.i18n import add_messages
from sluice.core.ids import sm3_hex
from sluice.core.paging import ListQuery
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.gateway import calls, quotas, service, signing
from sluice.gateway.models import Subscription
from sluice.gateway.schemas import (
    PURPOSE_MAX,
    CallPage,
    CallRead,
    InvokeIn,
    InvokeOut,
    MeteredRead,
    MeteringRead,
    SigningSecretOut,
    SubscribeIn,
    SubscriptionRead,
    TraceRead,
)
from sluice.identity import service as identity
from sluice.web.deps import (
    AppClock,
    AppSettings,
    DbSession,
    Locale,
    Requires,
    RequiresApiKey,
)
from sluice.web.listing import ListSpec

router = APIRouter(prefix="/gateway/v1", tags=["gateway"])
rest = APIRouter(prefix="/api/v1", tags=["gateway"])


class _GatewayKey(RequiresApiKey):
    """The buyer's key (step 1). A suspended key's refusal keeps the call's log row
    (``calls.refused_at_key``); an unknown key has no buyer, so it leaves none."""

    async def resolve(self, request: Request, session: Session, clock: Clock) -> Principal | None:
        try:
            return await super().resolve(request, session, clock)
        except identity.KeySuspended as error:
            code = request.path_params.get("code")
            if code and error.organization_id is not None and error.api_key_id is not None:
                download = request.url.path.endswith("/download")
                purpose = request.query_params.get("purpose") if download else None
                error.keep(
                    calls.refused_at_key(
                        buyer_id=error.organization_id,
                        api_key_id=error.api_key_id,
                        code=str(code),
                        kind="download" if download else "call",
                        at=clock.now(),
                        purpose=purpose or await _purpose_sent(request),
                        error=error,
                    )
                )
            raise


async def _purpose_sent(request: Request) -> str | None:
    """The ``purpose`` of an invoke's JSON body, if it has one (for the log row only)."""
    try:
        sent = json.loads(await request.body())
    except ValueError:
        return None
    purpose = sent.get("purpose") if isinstance(sent, dict) else None
    return purpose if isinstance(purpose, str) else None


KeyHolder = Annotated[Principal, Depends(_GatewayKey(Permission.GATEWAY_INVOKE))]
Subscriber = Annotated[Principal, Depends(Requires(Permission.SUBSCRIPTIONS_MANAGE))]
KeyManager = Annotated[Principal, Depends(Requires(Permission.API_KEYS_MANAGE))]
CallReader = Annotated[Principal, Depends(Requires(Permission.GATEWAY_CALLS_READ))]
Tracer = Annotated[Principal, Depends(Requires(Permission.GATEWAY_TRACE))]
REQUEST_ID_HEADER = "X-Sluice-Request-Id"

add_messages(
    {
        "gateway.time_out_of_range": (
            "参数 {name} 的时间超出可处理的范围，请给出公元 1 年之后、9999 年之前的时间。",
            "The time in parameter {name} is out of range: give one after the year 1 and "
            "before the year 9999.",
        ),
    }
)

_REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {PROBLEM_MEDIA_TYPE: {}}}
    for status, text in (
        (401, "invalid_key, signature_invalid, replay"),
        (403, "key_suspended, not_subscribed, authorization_inactive, consent_*"),
        (404, "product_unavailable"),
        (422, "input_invalid"),
        (429, "quota_exceeded, rate_limited (with Retry-After)"),
        (503, "settlement_failed: the call could not be recorded; not charged, try again"),
    )
}


async def _raw_body(request: Request) -> bytes:
    """The body exactly as sent: its SM3 is part of what a signature covers."""
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


def _signed(request: Request, body: bytes) -> calls.Signed:
    query = request.scope.get("query_string", b"").decode("latin-1")
    headers = request.headers
    return calls.Signed(
        method=request.method,
        target=f"{request.url.path}?{query}" if query else request.url.path,
        body=body,
        timestamp=headers.get(signing.TIMESTAMP_HEADER),
        nonce=headers.get(signing.NONCE_HEADER),
        signature=headers.get(signing.SIGNATURE_HEADER),
    )


def _refusal(request: Request, error: SluiceError, locale: str, trace: calls.Trace) -> JSONResponse:
    headers = {"Content-Language": locale, REQUEST_ID_HEADER: str(trace.request_id)}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse(
        error.problem(locale, instance=request.url.path),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


class WhoAmI(BaseModel):
    organization_id: uuid.UUID | None
    api_key_id: uuid.UUID | None


@router.get("/whoami")
def whoami(principal: KeyHolder) -> WhoAmI:
    """Test a key: the organization and key it stands for."""
    return WhoAmI(organization_id=principal.organization_id, api_key_id=principal.api_key_id)


@router.post("/products/{code}/invoke", response_model=InvokeOut, responses=_REFUSALS)
def invoke(
    code: str,
    body: InvokeIn,
    raw: RawBody,
    request: Request,
    principal: KeyHolder,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
) -> Any:
    """Call a verification, statistics or score product. Every step is checked in order
    (key, signature, product, subscription, listing, agreement, input, consent, quota and
    rate); the first refusal is problem+json with its ``code``. The answer holds the result
    and the request's metadata only."""
    trace = calls.start(
        principal,
        code=code,
        kind="call",
        at=clock.now(),
        purpose=body.purpose,
        consent_id=body.consent_id,
    )
    try:
        answer = calls.invoke(
            session,
            trace=trace,
            settings=settings,
            signed=_signed(request, raw),
            inputs=body.input,
            locale=locale,
        )
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        calls.refused(session, trace=trace, error=error)
        return _refusal(request, error, locale, trace)
    out = InvokeOut(
        request_id=answer.request_id,
        product=answer.product,
        result=answer.result,
        metered=MeteredRead(
            unit=answer.metered.unit,
            quantity=answer.metered.quantity,
            amount_fen=answer.metered.amount_fen,
        ),
    )
    return JSONResponse(
        out.model_dump(mode="json"), headers={REQUEST_ID_HEADER: str(answer.request_id)}
    )


@router.get(
    "/products/{code}/download",
    responses={**_REFUSALS, 200: {"description": "The file, fingerprinted for this buyer."}},
    response_class=Response,
)
def download(
    code: str,
    purpose: Annotated[str, Query(min_length=1, max_length=PURPOSE_MAX)],
    request: Request,
    principal: KeyHolder,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
    locale: Locale,
    consent_id: uuid.UUID | None = None,
) -> Response:
    """Download a dataset product. The file carries a fingerprint of this download, so a
    leaked copy names its buyer; the checks are those of ``invoke``."""
    trace = calls.start(
        principal,
        code=code,
        kind="download",
        at=clock.now(),
        purpose=purpose,
        consent_id=consent_id,
    )
    try:
        answer = calls.download(
            session, trace=trace, settings=settings, signed=_signed(request, b"")
        )
    except SluiceError as error:
        undo_keeping_refusal(session, error)
        calls.refused(session, trace=trace, error=error)
        return _refusal(request, error, locale, trace)
    file = answer.file
    return Response(
        file.content,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.file_name}"',
            REQUEST_ID_HEADER: str(answer.request_id),
            "X-Sluice-Download-Id": str(answer.download_id),
            "X-Sluice-Metered-Unit": answer.metered.unit,
            "X-Sluice-Metered-Quantity": str(answer.metered.quantity),
            "X-Sluice-Metered-Amount-Fen": str(answer.metered.amount_fen),
        },
    )


# -- /api/v1: subscriptions -----------------------------------------------------------------


def subscription_reads(
    session: DbSession, subscriptions: list[Subscription], at: datetime
) -> list[SubscriptionRead]:
    usage = service.usage(session, subscriptions, at=at)
    return [
        SubscriptionRead(
            id=s.id,
            product_id=s.product_id,
            product_code=s.product_code,
            status=s.status,
            quota_limit=s.quota_limit,
            quota_period=s.quota_period,
            quota_used=usage[s.id].used,
            quota_left=usage[s.id].left,
            quota_resets_at=usage[s.id].resets_at,
            rate_limit=s.rate_limit,
            rate_period=s.rate_period,
            subscribed_by=s.subscribed_by,
            subscribed_at=s.subscribed_at,
            ended_at=s.ended_at,
            end_reason=s.end_reason,
        )
        for s in subscriptions
    ]


@rest.get("/subscriptions")
def list_subscriptions(
    actor: Subscriber,
    session: DbSession,
    clock: AppClock,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> list[SubscriptionRead]:
    """The organization's subscriptions, newest first, with what their quotas used."""
    found = service.subscriptions(session, actor=actor, status=status)
    return subscription_reads(session, found, clock.now())


@rest.post("/subscriptions", status_code=201)
def subscribe(
    data: SubscribeIn, actor: Subscriber, session: DbSession, clock: AppClock, settings: AppSettings
) -> SubscriptionRead:
    """Subscribe to a listed product; the quota and rate default to the platform's caps."""
    subscription = service.subscribe(
        session,
        actor=actor,
        settings=settings,
        at=clock.now(),
        product_code=data.product_code,
        quota_limit=data.quota_limit,
        quota_period=data.quota_period,
        rate_limit=data.rate_limit,
        rate_period=data.rate_period,
    )
    return subscription_reads(session, [subscription], clock.now())[0]


@rest.post("/subscriptions/{subscription_id}/cancel")
def cancel_subscription(
    subscription_id: uuid.UUID, actor: Subscriber, session: DbSession, clock: AppClock
) -> SubscriptionRead:
    subscription = service.cancel(
        session, actor=actor, at=clock.now(), subscription_id=subscription_id
    )
    return subscription_reads(session, [subscription], clock.now())[0]


# -- /api/v1: signing secrets ---------------------------------------------------------------


@rest.post("/gateway/keys/{key_id}/signing-secret", status_code=201)
def make_signing_secret(
    key_id: uuid.UUID, actor: KeyManager, session: DbSession, clock: AppClock, settings: AppSettings
) -> SigningSecretOut:
    """A new HMAC-SM3 signing secret for the key (replacing any), shown only this once;
    from now on every call with the key must be signed."""
    secret = service.make_signing_secret(
        session, actor=actor, settings=settings, at=clock.now(), key_id=key_id
    )
    return SigningSecretOut(api_key_id=key_id, secret=secret)


@rest.delete("/gateway/keys/{key_id}/signing-secret", status_code=204)
def remove_signing_secret(
    key_id: uuid.UUID, actor: KeyManager, session: DbSession, clock: AppClock
) -> Response:
    service.remove_signing_secret(session, actor=actor, at=clock.now(), key_id=key_id)
    return Response(status_code=204)


# -- /api/v1: the call log, metering, tracing ------------------------------------------------

CALLS = ListSpec(
    sorts=("at", "product", "outcome", "latency"),
    filters=("outcome", "product", "kind", "buyer"),
    default_sort="-at",
    size=50,
)


@rest.get("/gateway/calls")
def list_calls(
    actor: CallReader, session: DbSession, listing: Annotated[ListQuery, Depends(CALLS)]
) -> CallPage:
    """Gateway calls, newest first (a buyer its own; the bureau all). Filters ``outcome``
    (``answered``, ``refused`` or a code), ``product`` (a code), ``kind``, ``buyer``;
    ``page`` and ``size`` page."""
    page = service.call_page(session, actor=actor, query=listing)
    return CallPage(
        total=page.total,
        items=[
            CallRead(
                request_id=call.id,
                at=call.at,
                buyer=buyer,
                product_code=call.product_code,
                kind=call.kind,
                purpose=call.purpose,
                consent_id=call.consent_id,
                outcome=call.outcome,
                status=call.status,
                latency_ms=call.latency_ms,
                amount_fen=event.amount_fen if event is not None else None,
            )
            for call, buyer, event in page.items
        ],
    )


def month_start(at: datetime) -> datetime:
    return quotas.window_start("month", at)


@rest.get("/gateway/metering")
def metering(
    actor: CallReader,
    session: DbSession,
    clock: AppClock,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[MeteringRead]:
    """Metered calls and downloads totalled per product and buyer, in fen, from ``since``
    (default: the start of this month, Beijing time) to before ``until`` (default: now)."""
    now = clock.now()
    rows = service.metering(
        session,
        actor=actor,
        since=_aware("since", since) or month_start(now),
        until=_aware("until", until) or now + timedelta(seconds=1),
    )
    return [MeteringRead(**row.__dict__) for row in rows]


def _aware(name: str, value: datetime | None) -> datetime | None:
    """``value`` in UTC (Beijing time when it names no zone); a time at the very edge of
    the calendar that has no UTC equivalent (``0001-01-01T00:00:00``) is a 422 naming the
    parameter."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=display_zone())
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput(
            "gateway.time_out_of_range",
            name=name,
            errors=[{"field": name, "msg": "out of range"}],
        ) from None


@rest.post("/gateway/trace")
def trace_file(
    actor: Tracer,
    session: DbSession,
    clock: AppClock,
    file: Annotated[UploadFile, File(description="The leaked copy of a dataset.")],
    product: Annotated[str | None, Form(max_length=64)] = None,
) -> TraceRead:
    """Hand back a leaked file: the download its fingerprint names, and its buyer."""
    content = file.file.read()
    found = service.trace(
        session, actor=actor, at=clock.now(), content=content, product_code=product or None
    )
    if found is None:
        return TraceRead(identified=False, file_sm3=sm3_hex(content))
    return TraceRead(
        identified=True,
        file_sm3=found.file_sm3,
        download_id=found.download_id,
        buyer_id=found.buyer_id,
        buyer=found.buyer,
        product_id=found.product_id,
        product=found.product,
        downloaded_at=found.downloaded_at,
        api_key_id=found.api_key_id,
    )
