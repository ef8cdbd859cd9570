"""Front-end assets are vendored, intact, and served locally: no page reaches for a CDN."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

import sluice.web

WEB = Path(sluice.web.__file__).parent
MANIFEST = json.loads((WEB / "static/vendor/MANIFEST.json").read_text())


def test_vendored_files_match_their_recorded_hashes() -> None:
    for asset in MANIFEST["assets"]:
        data = (WEB / "static/vendor" / asset["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == asset["sha256"], asset["file"]


def test_templates_load_nothing_from_other_hosts() -> None:
    for template in (WEB / "templates").rglob("*.html"):
        text = template.read_text()
        external = re.findall(r'(?:src|href)="(?:https?:)?//[^"]+"', text)
        assert external == [], template


def test_pages_serve_htmx_locally(client: TestClient) -> None:
    home = client.get("/")
    script = re.search(r'<script src="(/static/vendor/htmx-[^"]+)"', home.text)
    assert script is not None
    asset = client.get(script.group(1))
    assert asset.status_code == 200
    assert "htmx" in asset.text[:2000]


def test_every_post_form_carries_the_csrf_token() -> None:
    for template in (WEB / "templates").rglob("*.html"):
        forms = re.findall(
            r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", template.read_text(), re.S
        )
        for body in forms:
            assert 'name="csrf_token" value="{{ csrf_token }}"' in body, template
