"""Alerts to a webhook: each new alert is POSTed as JSON to ``alert_webhook_url`` after the
transaction that raised it committed, signed like a gateway request.

The signature is the gateway's primitive (``gateway.signing.sign``): lower-case hex
HMAC-SM3, keyed with ``alert_webhook_secret``, of the five lines
``POST``, the URL's path (and query), ``X-Sluice-Timestamp``, ``X-Sluice-Nonce`` and the SM3
of the body, sent as ``X-Sluice-Signature``. The nonce is the alert's id without hyphens, so a
receiver can drop a delivery it already took.

A delivery that fails (no answer within ``alert_webhook_timeout_seconds``, or a status other
than 2xx) is recorded on the alert (``delivery_error``) and tried again on the next run, up to
``alert_webhook_attempts`` times; then it is ``failed``. Each attempt is claimed with one
conditional update first, so two workers never send the same attempt. Nothing here raises:
a broken receiver never breaks an evaluation or a request.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import update

from sluice.alerts import repository
from sluice.alerts.models import Alert
from sluice.core.clock import Clock
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.gateway import signing

log = logging.getLogger("sluice.alerts.webhook")

PENDING: Final = "pending"
RETRYING: Final = "retrying"
DELIVERED: Final = "delivered"
FAILED: Final = "failed"
#: Most deliveries tried in one run (the rest wait for the next).
BATCH: Final = 100


def body(alert: Alert, *, settings: Settings) -> bytes:
    """The JSON an alert is delivered as (UTF-8, keys sorted)."""
    content: dict[str, Any] = {
        "id": str(alert.id),
        "rule": alert.rule,
        "severity": alert.severity,
        "subject_type": alert.subject_type,
        "subject_id": str(alert.subject_id),
        "subject": alert.subject_label,
        "organization_id": str(alert.organization_id) if alert.organization_id else None,
        "window_start": alert.window_start.isoformat(),
        "window_end": alert.window_end.isoformat(),
        "observed": alert.observed,
        "threshold": alert.threshold,
        "detail": alert.detail,
        "raised_at": alert.raised_at.isoformat(),
        "containment": alert.containment,
        "url": f"{settings.base_url.rstrip('/')}/console/alerts/{alert.id}",
    }
    return json.dumps(content, ensure_ascii=False, sort_keys=True).encode()


def headers(content: bytes, *, url: str, secret: str, at: datetime, nonce: str) -> dict[str, str]:
    """The request's headers, the signature among them."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    timestamp = str(int(at.timestamp()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        signing.TIMESTAMP_HEADER: timestamp,
        signing.NONCE_HEADER: nonce,
        signing.SIGNATURE_HEADER: signing.sign(secret, "POST", target, timestamp, nonce, content),
    }


def _post(url: str, content: bytes, head: dict[str, str], timeout: float) -> str | None:
    """None if the receiver took it (2xx); otherwise what went wrong."""
    if urlsplit(url).scheme not in ("http", "https"):
        return f"not an http(s) URL: {url}"
    request = urllib.request.Request(url, data=content, headers=head, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (checked)
            status = int(answer.status)
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        return f"{type(error).__name__}: {error}"[:500]
    return None if 200 <= status < 300 else f"HTTP {status}"


def deliver_pending(database: Database, *, settings: Settings, clock: Clock) -> int:
    """Send every alert waiting for delivery (after the transaction that raised it
    committed); returns how many were delivered now."""
    url, secret = settings.alert_webhook_url, settings.alert_webhook_secret
    if not url:
        return 0
    with database.unit_of_work() as session:
        due = repository.due_deliveries(session, BATCH)
    delivered = 0
    for alert_id, attempts in due:
        with database.unit_of_work() as session:
            if not repository.claim_delivery(session, alert_id, attempts):
                continue
            alert = repository.alert(session, alert_id)
            assert alert is not None  # alerts are never deleted
            content = body(alert, settings=settings)
        at = clock.now()
        if secret:
            head = headers(content, url=url, secret=secret, at=at, nonce=alert_id.hex)
            error = _post(url, content, head, settings.alert_webhook_timeout_seconds)
        else:
            error = "alert_webhook_secret is not set: nothing to sign the delivery with"
        _settle(database, alert_id, attempts + 1, error, at, settings)
        delivered += error is None
    return delivered


def _settle(
    database: Database,
    alert_id: uuid.UUID,
    attempt: int,
    error: str | None,
    at: datetime,
    settings: Settings,
) -> None:
    if error is None:
        values: dict[str, Any] = {"delivery": DELIVERED, "delivered_at": at, "delivery_error": None}
    else:
        log.warning("alert %s: webhook delivery %s failed: %s", alert_id, attempt, error)
        done = attempt >= settings.alert_webhook_attempts
        values = {"delivery": FAILED if done else RETRYING, "delivery_error": error}
    with database.unit_of_work() as session:
        session.execute(update(Alert).where(Alert.id == alert_id).values(**values))
