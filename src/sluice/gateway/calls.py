"""One gateway call, step by step; the first step that fails gives the refusal's code.

``invoke`` (a verification, statistics or score product) and ``download`` (a dataset) run:

1. the key (``web.deps.RequiresApiKey``, before this module): ``invalid_key`` (401),
   ``key_suspended`` (403);
2. the signature, if the key has a signing secret or the request carries signature
   headers (``signing``): ``signature_invalid``, ``replay``;
3. and 5. the product exists and is listed (``products.service.callable_product``, one
   read): ``product_unavailable`` (404) for an unknown code and for a product off the
   market alike;
4. the buyer subscribes to it: ``not_subscribed`` (403). A product off the market answers
   ``product_unavailable`` to everyone, subscribed or not (an ended agreement ends both the
   product and its subscriptions, and says the first);
6. its agreement is in force and grants it for the purpose
   (``guard.product_calls.authorize_call``): ``authorization_inactive``,
   ``purpose_not_allowed``;
7. the input, cleaned and tokenized as ingestion does, once for the whole call
   (``clean_call_inputs``): ``input_invalid``;
8. the subject's consent, when the product needs it (``consent.service.check``):
   ``consent_required``, ``consent_mismatch``, ``consent_expired``, ``consent_revoked``;
9. quota and rate, read first (``quotas.peek``): ``quota_exceeded``, ``rate_limited``;
10. the product runs in the guard (``run`` or ``download``);
11. the call is counted exactly (``quotas.take``: a race lost here is still
    ``quota_exceeded`` or ``rate_limited``), metered (``metering``), logged
    (``gateway_calls``) with the guard's decision, and, for a call about a subject,
    recorded for that subject (``consent.service.record_use``).

Writes wait for step 11: on SQLite the first write takes the database's one writer lock
until commit, and on PostgreSQL the counters' rows stay locked until commit, so a call that
wrote early would hold every other call back while its query runs. Step 11 runs in
the process's writer (``settlement``), with the calls answered at about the same time, in
one transaction; the answer (or file) leaves only once that transaction committed. The
guard's allowed decision is recorded there too (``authorize_call``'s ``deferred``). (A
signed call's nonce is written at step 2: remembering it is how a replay is refused.)

What rarely changes (the product, the subscription, the agreement's decision, the views
and the prepared query, the consent, the price caps, a key's signing secret) is kept by
the process between calls while the change stamps hold (``core.change_stamps``): a call
reads one small table for all of it, and a write to any of those tables is seen by the
very next call.

A refusal rolls back what the call did; the route then writes, on the clean transaction,
the call's log row with the refusal's code, the subject's use record (when the input named
one) and the nonce (when the signature was good), via ``refused``. The successful answer
holds the result and the request's metadata only.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy.orm import Session

from sluice.authorizations.models import Authorization
from sluice.consent import service as consent
from sluice.core import change_stamps
from sluice.core.change_stamps import Memo, Stamps, detached
from sluice.core.errors import KeptWrite, SluiceError
from sluice.core.i18n import add_messages
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.gateway import metering, quotas, repository, settlement, signing
from sluice.gateway.models import Subscription
from sluice.guard import product_calls
from sluice.guard.product_specs import CallableProduct
from sluice.products import service as products

Kind = Literal["call", "download"]
ANSWERED: Final = "answered"
#: How often one process forgets expired nonces.
_SWEEP_EVERY: Final = 60.0
_next_sweep = 0.0


class NotSubscribed(SluiceError):
    status = 403
    code = "not_subscribed"


class WrongEndpoint(SluiceError):
    """A dataset called through ``invoke``, or another product through ``download``."""

    status = 422
    code = "wrong_endpoint"


add_messages(
    {
        "problem.not_subscribed": ("未订阅该产品", "Not subscribed"),
        "error.not_subscribed": (
            "本单位未订阅产品 {product}（或已退订、订阅已随协议终止）：请先在控制台订阅。",
            "Your organization does not subscribe to product {product} (or cancelled, or the "
            "subscription ended with its agreement): subscribe in the console first.",
        ),
        "problem.wrong_endpoint": ("接口与产品类型不符", "Wrong endpoint for the product"),
        "gateway.wrong_endpoint.download": (
            "产品 {product} 是数据集，请用 GET /gateway/v1/products/{product}/download 下载。",
            "Product {product} is a dataset: download it with GET "
            "/gateway/v1/products/{product}/download.",
        ),
        "gateway.wrong_endpoint.invoke": (
            "产品 {product} 不是数据集，请用 POST /gateway/v1/products/{product}/invoke 调用。",
            "Product {product} is not a dataset: call it with POST "
            "/gateway/v1/products/{product}/invoke.",
        ),
    }
)


@dataclass(frozen=True)
class Signed:
    """What a signature covers, and the signature headers as sent (None: absent)."""

    method: str
    #: The path, with ``?`` and the raw query string when there is one.
    target: str
    body: bytes
    timestamp: str | None = None
    nonce: str | None = None
    signature: str | None = None


@dataclass
class Trace:
    """What is known of a call so far: written to its log row however it ends."""

    request_id: uuid.UUID
    actor: Principal
    code: str
    kind: Kind
    at: datetime
    purpose: str | None
    consent_id: uuid.UUID | None
    started: float = field(default_factory=time.perf_counter)
    product_id: uuid.UUID | None = None
    subject_token: str | None = None
    #: A good signature's nonce and until when it must stay remembered.
    nonce: tuple[str, datetime] | None = None

    @property
    def buyer_id(self) -> uuid.UUID:
        assert self.actor.organization_id is not None  # an API key's buyer
        return self.actor.organization_id

    @property
    def api_key_id(self) -> uuid.UUID:
        assert self.actor.api_key_id is not None
        return self.actor.api_key_id

    def latency_ms(self) -> int:
        return max(0, round((time.perf_counter() - self.started) * 1000))


def start(
    actor: Principal,
    *,
    code: str,
    kind: Kind,
    at: datetime,
    purpose: str | None,
    consent_id: uuid.UUID | None,
) -> Trace:
    # The request's own id (web.deps) when there is one: the id the buyer is told is the
    # one on the call's audit entries.
    return Trace(actor.request_id or uuid.uuid4(), actor, code, kind, at, purpose, consent_id)


@dataclass(frozen=True)
class Metered:
    unit: str
    quantity: int
    amount_fen: int


@dataclass(frozen=True)
class Answer:
    request_id: uuid.UUID
    product: str
    result: dict[str, Any]
    metered: Metered


@dataclass(frozen=True)
class FileAnswer:
    request_id: uuid.UUID
    download_id: uuid.UUID
    file: product_calls.FingerprintedFile
    metered: Metered


# -- the steps ------------------------------------------------------------------------------


def _sweep(session: Session, at: datetime) -> None:
    global _next_sweep
    now = time.monotonic()
    if now >= _next_sweep:
        _next_sweep = now + _SWEEP_EVERY
        repository.sweep_nonces(session, before=at)


#: Each key's sealed signing secret, or ``None`` (``change_stamps``).
_secrets: Memo[uuid.UUID, bytes | None] = Memo("gateway.signing_secrets")
#: Each buyer's active subscription to each product, or ``None`` (``change_stamps``).
_subscriptions: Memo[tuple[uuid.UUID, uuid.UUID], Subscription | None] = Memo(
    "gateway.subscriptions"
)


def _subscription(
    session: Session, buyer_id: uuid.UUID, product_id: uuid.UUID
) -> Subscription | None:
    found = repository.active_subscription(session, buyer_id=buyer_id, product_id=product_id)
    return detached(found) if found is not None else None


def _check_signature(
    session: Session, trace: Trace, settings: Settings, signed: Signed, stamps: Stamps | None
) -> None:
    key = trace.api_key_id
    sealed = _secrets.get(stamps, key, lambda: repository.signing_secret(session, key))
    sent = (signed.timestamp, signed.nonce, signed.signature)
    if sealed is None and not any(sent):
        return
    if sealed is None:
        raise signing.SignatureInvalid("gateway.signature.no_secret")
    timestamp, nonce, signature = signing.parse(*sent)
    signing.verify(
        signing.unseal(settings, trace.api_key_id, sealed),
        method=signed.method,
        target=signed.target,
        timestamp=signed.timestamp or "",
        nonce=nonce,
        body=signed.body,
        signature=signature,
    )
    window = settings.gateway_signature_window_seconds
    signing.check_fresh(timestamp, now=trace.at, window=window)
    # Remembered until its timestamp can no longer be accepted, whichever side it was on.
    expires = max(trace.at, datetime.fromtimestamp(timestamp, trace.at.tzinfo)) + timedelta(
        seconds=window
    )
    _sweep(session, trace.at)
    if not repository.remember_nonce(
        session, api_key_id=trace.api_key_id, nonce=nonce, expires_at=expires
    ):
        raise signing.Replay(nonce=nonce)
    trace.nonce = (nonce, expires)


@dataclass(frozen=True)
class _Admitted:
    product: CallableProduct
    subscription: Subscription
    #: The limits read at step 9 (``quotas.peek``).
    limits: tuple[quotas.Limit, ...]
    #: A per-period product's billing period, counted at step 11 with the limits.
    period: quotas.Limit | None
    consent_id: uuid.UUID | None
    authorization: Authorization
    #: The inputs cleaned at step 7 (``None`` for a download, which takes none).
    inputs: product_calls.CallInputs | None
    stamps: Stamps | None
    #: One unit's price and rule in force at the call (``products.charged_price``).
    price_in_force: tuple[int, str]

    @property
    def counted(self) -> tuple[quotas.Limit, ...]:
        """What step 11 counts (``quotas.take``), locked first by the writer (``settle``)."""
        return self.limits if self.period is None else (*self.limits, self.period)

    @property
    def counter_scopes(self) -> list[str]:
        return [limit.scope for limit in self.counted]


def _admit(
    session: Session,
    trace: Trace,
    settings: Settings,
    signed: Signed,
    inputs: dict[str, Any] | None,
    deferred: list[Callable[[Session], None]] | None = None,
) -> _Admitted:
    """Steps 2 to 9: everything that may refuse the call before the product runs. What
    rarely changes is kept between calls while the stamps hold (``change_stamps``)."""
    stamps = change_stamps.read(session)
    _check_signature(session, trace, settings, signed, stamps)
    try:
        product = products.callable_product(
            session, code=trace.code, at=trace.at, settings=settings, stamps=stamps
        )
    except products.ProductUnavailable:
        found = products.find_product(session, code=trace.code)
        trace.product_id = found.id if found is not None else None
        raise
    trace.product_id = product.id
    buyer_id = trace.buyer_id
    subscription = _subscriptions.get(
        stamps, (buyer_id, product.id), lambda: _subscription(session, buyer_id, product.id)
    )
    if subscription is None:
        raise NotSubscribed(product=trace.code)
    if (product.type == "dataset") != (trace.kind == "download"):
        endpoint = "invoke" if trace.kind == "download" else "download"
        raise WrongEndpoint(f"gateway.wrong_endpoint.{endpoint}", product=trace.code)
    purpose = trace.purpose or ""
    authorization = product_calls.authorize_call(
        session,
        actor=trace.actor,
        product=product,
        at=trace.at,
        purpose=purpose,
        consent_id=trace.consent_id,
        stamps=stamps,
        deferred=deferred,
    )
    cleaned = None
    if inputs is not None:
        cleaned = product_calls.clean_call_inputs(settings, product, inputs)
        trace.subject_token = cleaned.subject_token
    consent_id = trace.consent_id
    if product.consent_required:
        consent_id = consent.check(
            session,
            consent_id=trace.consent_id,
            buyer_id=trace.buyer_id,
            product_id=product.id,
            subject_token=trace.subject_token,
            purpose=purpose,
            at=trace.at,
            stamps=stamps,
        )
    limits = quotas.limits(
        buyer_id=trace.buyer_id,
        product_id=product.id,
        quota_limit=subscription.quota_limit,
        quota_period=subscription.quota_period,
        rate_limit=subscription.rate_limit,
        rate_period=subscription.rate_period,
        api_key_id=trace.api_key_id,
        settings=settings,
    )
    quotas.peek(session, limits, product=trace.code, at=trace.at)
    period = None
    if product.billing_unit == "period":
        period = quotas.billing_period(trace.buyer_id, product.id)
    # Read here, in the request's thread, so the writer's batch holds only writes.
    price = products.charged_price(session, product=product, at=trace.at, stamps=stamps)
    return _Admitted(
        product, subscription, limits, period, consent_id, authorization, cleaned, stamps, price
    )


def _settle(
    session: Session,
    trace: Trace,
    admitted: _Admitted,
    *,
    items: int,
    deferred: Sequence[Callable[[Session], None]] = (),
) -> Metered:
    """Step 11: count exactly, then write the call's decision (``deferred``), log row, the
    subject's use and the metered event. A count that refuses the call writes nothing of
    it (``quotas.take`` takes its other counts back)."""
    product, subscription, period = admitted.product, admitted.subscription, admitted.period
    counted = quotas.take(session, admitted.counted, product=trace.code, at=trace.at)
    charge = metering.charge(
        product,
        items=items,
        first_of_period=period is not None and counted[period.scope] == 1,
        in_force=admitted.price_in_force,
    )
    for write in deferred:
        write(session)
    repository.add_call(
        session,
        {
            "id": trace.request_id,
            "buyer_id": trace.buyer_id,
            "api_key_id": trace.api_key_id,
            "product_id": product.id,
            "product_code": trace.code,
            "kind": trace.kind,
            "purpose": (trace.purpose or "")[:200] or None,
            "consent_id": admitted.consent_id,
            "outcome": ANSWERED,
            "status": 200,
            "latency_ms": trace.latency_ms(),
            "at": trace.at,
        },
    )
    repository.add_metered(
        session,
        {
            "call_id": trace.request_id,
            "buyer_id": trace.buyer_id,
            "api_key_id": trace.api_key_id,
            "product_id": product.id,
            "subscription_id": subscription.id,
            "unit": charge.unit,
            "quantity": charge.quantity,
            "unit_price_fen": charge.unit_price_fen,
            "amount_fen": charge.amount_fen,
            "pricing_rule": charge.pricing_rule,
            "at": trace.at,
        },
    )
    if trace.subject_token is not None:
        consent.record_use(
            session,
            subject_token=trace.subject_token,
            buyer_id=trace.buyer_id,
            product_id=product.id,
            consent_id=admitted.consent_id,
            purpose=trace.purpose or "",
            at=trace.at,
            kind=trace.kind,
            outcome=ANSWERED,
            call_id=trace.request_id,
        )
    return Metered(charge.unit, charge.quantity, charge.amount_fen)


def invoke(
    session: Session,
    *,
    trace: Trace,
    settings: Settings,
    signed: Signed,
    inputs: dict[str, Any],
    locale: str = "zh-CN",
) -> Answer:
    """Call a verification, statistics or score product (see the module docstring); a
    score's reasons are labelled in ``locale``."""
    deferred: list[Callable[[Session], None]] = []
    with session.no_autoflush:  # writes wait for step 11 (module docstring)
        admitted = _admit(session, trace, settings, signed, inputs, deferred)
        answer = product_calls.run(
            session,
            settings=settings,
            product=admitted.product,
            inputs=admitted.inputs if admitted.inputs is not None else inputs,
            at=trace.at,
            locale=locale,
            authorization=admitted.authorization,
            stamps=admitted.stamps,
        )
    metered = settlement.settle(
        session,
        lambda writer: _settle(writer, trace, admitted, items=answer.items, deferred=deferred),
        counters=admitted.counter_scopes,
    )
    return Answer(trace.request_id, admitted.product.code, answer.result, metered)


def download(session: Session, *, trace: Trace, settings: Settings, signed: Signed) -> FileAnswer:
    """Download a dataset product, fingerprinted for this buyer (see the module docstring)."""
    download_id = uuid.uuid4()
    deferred: list[Callable[[Session], None]] = []
    with session.no_autoflush:  # writes wait for step 11 (module docstring)
        admitted = _admit(session, trace, settings, signed, None, deferred)
        file = product_calls.download(
            session,
            settings=settings,
            product=admitted.product,
            buyer_id=trace.buyer_id,
            download_id=download_id,
            at=trace.at,
        )

    def write(writer: Session) -> Metered:
        metered = _settle(writer, trace, admitted, items=file.rows, deferred=deferred)
        repository.add_download(
            writer,
            {
                "id": download_id,
                "call_id": trace.request_id,
                "buyer_id": trace.buyer_id,
                "api_key_id": trace.api_key_id,
                "product_id": admitted.product.id,
                "file_name": file.file_name[:200],
                "rows": file.rows,
                "seed_hex": file.seed_hex,
                "sm3": file.sm3_hex,
                "at": trace.at,
            },
        )
        return metered

    # Through the writer like a call: every count of a counter is taken in its batches.
    metered = settlement.settle(session, write, counters=admitted.counter_scopes)
    return FileAnswer(trace.request_id, download_id, file, metered)


def refused_at_key(
    *,
    buyer_id: uuid.UUID,
    api_key_id: uuid.UUID,
    code: str,
    kind: Kind,
    at: datetime,
    purpose: str | None,
    error: SluiceError,
) -> KeptWrite:
    """The log row of a call refused at step 1 for a suspended key (``key_suspended``),
    kept through the refusal's rollback (``SluiceError.keep``): the buyer and the key are
    known, so the call is on the buyer's log like any other refusal (R8.8). A key that
    names no live key (``invalid_key``) has no buyer to log it for and leaves no row."""
    actor = Principal(
        username="apikey", via="api_key", organization_id=buyer_id, api_key_id=api_key_id
    )
    trace = start(actor, code=code, kind=kind, at=at, purpose=purpose, consent_id=None)

    def write(session: Session) -> None:
        found = products.find_product(session, code=code)
        trace.product_id = found.id if found is not None else None
        refused(session, trace=trace, error=error)

    return write


def refused(session: Session, *, trace: Trace, error: SluiceError) -> None:
    """After a refusal was rolled back: the call's log row with its code, the subject's use
    record when the input named one, and a good signature's nonce (so the refused request
    cannot be replayed either)."""
    if trace.nonce is not None:
        nonce, expires = trace.nonce
        repository.remember_nonce(
            session, api_key_id=trace.api_key_id, nonce=nonce, expires_at=expires
        )
    repository.add_call(
        session,
        {
            "id": trace.request_id,
            "buyer_id": trace.buyer_id,
            "api_key_id": trace.api_key_id,
            "product_id": trace.product_id,
            "product_code": trace.code[:64],
            "kind": trace.kind,
            "purpose": (trace.purpose or "")[:200] or None,
            "consent_id": trace.consent_id,
            "outcome": error.code[:40],
            "status": error.status,
            "latency_ms": trace.latency_ms(),
            "at": trace.at,
        },
    )
    if trace.subject_token is not None and trace.product_id is not None:
        consent.record_use(
            session,
            subject_token=trace.subject_token,
            buyer_id=trace.buyer_id,
            product_id=trace.product_id,
            consent_id=trace.consent_id,
            purpose=trace.purpose or "",
            at=trace.at,
            kind=trace.kind,
            outcome=error.code,
            call_id=trace.request_id,
        )
