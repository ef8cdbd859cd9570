"""The approval lifecycle is declared once and walked edge by edge; the module stays generic:
it imports none of the modules whose acts it approves (they register themselves)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from sluice.approvals import registry
from sluice.approvals.states import APPROVAL
from sluice.core.errors import InvalidTransition
from sluice.core.principal import Principal

AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@dataclass
class Thing:
    status: str
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def test_the_table_is_the_one_documented() -> None:
    assert APPROVAL.states == ("pending", "approved", "rejected", "lapsed")
    assert {(t.name, t.sources, t.target) for t in APPROVAL.transitions} == {
        ("approve", ("pending",), "approved"),
        ("reject", ("pending",), "rejected"),
        ("lapse", ("pending",), "lapsed"),
    }


@pytest.mark.parametrize("state", ["approved", "rejected", "lapsed"])
@pytest.mark.parametrize("name", ["approve", "reject", "lapse"])
def test_nothing_moves_once_decided(state: str, name: str) -> None:
    with pytest.raises(InvalidTransition) as refused:
        APPROVAL.require(Thing(state), name)
    assert "可执行：—" in refused.value.detail("zh-CN")


def test_the_module_imports_none_of_the_acts_it_approves() -> None:
    code = (
        "import sys, sluice.approvals.service, sluice.approvals.api, sluice.approvals.pages;"
        "print(sorted(m for m in sys.modules if m.startswith("
        "('sluice.authorizations', 'sluice.catalog', 'sluice.operators'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_irreversible_acts_are_registered_with_their_permissions() -> None:
    import sluice.web.app  # noqa: F401  (the app imports every module, as in production)

    acts = registry.registered()
    assert {name: str(act.permission) for name, act in acts.items()} == {
        "authorization.terminate": "authorizations.manage",
        "authorization.rescind": "authorizations.manage",
        "authorization.revoke": "authorizations.manage",
        "authorization.force_exit": "exits.decide",
        "exit.force": "rectifications.issue",
        "catalog_batch.withdraw": "catalog.compile",
        "product.delist": "products.review",
    }
    with pytest.raises(LookupError):
        registry.act("authorization.shred_everything")


def test_the_system_itself_never_files_or_approves() -> None:
    from sluice.approvals.service import _person_of_bureau
    from sluice.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied) as refused:
        _person_of_bureau(Principal.system("cron"))
    assert refused.value.status == 403
