"""Alerts to a webhook on a local HTTP server (loopback, no internet): the body is the
alert's JSON, signed HMAC-SM3 like a gateway request and checked here with the gateway's
own primitive; a receiver that fails is recorded on the alert and tried again on the next
run until the attempts run out; no webhook set, nothing is sent. One SQLite database (the
delivery's SQL is one conditional update, the same on both)."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sluice.alerts import webhook
from sluice.alerts.models import Alert
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.ids import sm3_hex
from sluice.core.settings import Settings
from sluice.gateway import signing
from tests.sandbox.world import START

SECRET = "whsec-test-0123456789"


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 204
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                outer.received.append((self.path, dict(self.headers), self.rfile.read(length)))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sluice?src=alerts"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    shutil.copy(sqlite_template, tmp_path / "sluice.db")
    found = Database(f"sqlite:///{tmp_path / 'sluice.db'}")
    yield found
    found.dispose()


def _alert(database: Database, *, delivery: str | None = "pending") -> uuid.UUID:
    alert = Alert(
        id=uuid.uuid4(),
        rule="enumeration",
        severity="critical",
        subject_type="api_key",
        subject_id=uuid.uuid4(),
        subject_label="sk_abcd… k",
        organization_id=None,
        window_start=START,
        window_end=START + timedelta(hours=1),
        observed=250,
        threshold=200,
        detail={"calls": 260},
        status="open",
        raised_at=START,
        containment="key_suspended",
        contained_at=START,
        delivery=delivery,
        delivery_attempts=0,
    )
    with database.unit_of_work() as session:
        session.add(alert)
    return alert.id


def _read(database: Database, alert_id: uuid.UUID) -> Alert:
    with database.unit_of_work() as session:
        found = session.get(Alert, alert_id)
        assert found is not None
        return found


def test_a_new_alert_is_posted_signed_and_marked_delivered(
    database: Database, receiver: Receiver
) -> None:
    settings = Settings(alert_webhook_url=receiver.url, alert_webhook_secret=SECRET)
    clock = FixedClock(START + timedelta(minutes=1))
    alert_id = _alert(database)
    assert webhook.deliver_pending(database, settings=settings, clock=clock) == 1
    [(path, headers, body)] = receiver.received
    assert path == "/hooks/sluice?src=alerts"
    content = json.loads(body)
    assert (content["id"], content["rule"], content["severity"], content["observed"]) == (
        str(alert_id),
        "enumeration",
        "critical",
        250,
    )
    assert content["containment"] == "key_suspended"
    assert content["url"] == f"http://127.0.0.1:8000/console/alerts/{alert_id}"
    timestamp = headers[signing.TIMESTAMP_HEADER]
    assert timestamp == str(int(clock.now().timestamp()))
    assert headers[signing.NONCE_HEADER] == alert_id.hex
    expected = signing.sign(SECRET, "POST", path, timestamp, alert_id.hex, body)
    assert headers[signing.SIGNATURE_HEADER] == expected
    # Any change to the body breaks the signature.
    tampered = signing.sign(SECRET, "POST", path, timestamp, alert_id.hex, body + b" ")
    assert (
        tampered != expected
        and sm3_hex(body)
        in signing.string_to_sign("POST", path, timestamp, alert_id.hex, body).decode()
    )
    delivered = _read(database, alert_id)
    assert (delivered.delivery, delivered.delivery_attempts, delivered.delivered_at) == (
        "delivered",
        1,
        clock.now(),
    )
    # Delivered once: the next run sends nothing.
    assert webhook.deliver_pending(database, settings=settings, clock=clock) == 0
    assert len(receiver.received) == 1


def test_a_failing_receiver_is_retried_each_run_then_given_up(
    database: Database, receiver: Receiver
) -> None:
    settings = Settings(
        alert_webhook_url=receiver.url, alert_webhook_secret=SECRET, alert_webhook_attempts=2
    )
    clock = FixedClock(START)
    receiver.status = 500
    alert_id = _alert(database)
    assert webhook.deliver_pending(database, settings=settings, clock=clock) == 0
    first = _read(database, alert_id)
    assert (first.delivery, first.delivery_attempts, first.delivery_error) == (
        "retrying",
        1,
        "HTTP 500",
    )
    assert webhook.deliver_pending(database, settings=settings, clock=clock) == 0
    second = _read(database, alert_id)
    assert (second.delivery, second.delivery_attempts) == ("failed", 2)
    assert webhook.deliver_pending(database, settings=settings, clock=clock) == 0
    assert len(receiver.received) == 2
    # A receiver that does not answer at all: recorded, not raised.
    receiver.server.shutdown()
    receiver.server.server_close()
    other = _alert(database)
    assert webhook.deliver_pending(database, settings=settings, clock=clock) == 0
    error = _read(database, other).delivery_error
    assert error is not None and error.startswith("URLError")


def test_no_webhook_sends_nothing(database: Database, receiver: Receiver) -> None:
    alert_id = _alert(database, delivery=None)
    assert webhook.deliver_pending(database, settings=Settings(), clock=FixedClock(START)) == 0
    assert receiver.received == [] and _read(database, alert_id).delivery is None
