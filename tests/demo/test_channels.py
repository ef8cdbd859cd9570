"""What the demo city shows of R3.7 and R4.1: the register of existing operation channels,
one of them moved, and a provider that is an organization authorized by law."""

from __future__ import annotations

from sluice.channels import service as channels
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.demo import city
from sluice.demo.channels import seed_channels
from sluice.identity import repository as identity_repository


def test_the_demo_registers_four_channels_and_a_provider_authorized_by_law(
    database: Database, clock: FixedClock
) -> None:
    with database.unit_of_work() as session:
        city.seed_identity(session, clock=clock)
        assert seed_channels(session, clock=clock) == 4
    with database.unit_of_work() as session:
        assert seed_channels(session, clock=clock) == 0  # run again: nothing changes
        register = [
            (c.owner_kind, c.owner_name, c.status, c.moved_on)
            for c in channels.public_register(session)
        ]
        gjj = identity_repository.organization_by_code(session, "gjj")
        gaj = identity_repository.organization_by_code(session, "gaj")
    assert register == [
        ("department", "营口市交通运输局", "moving", None),
        ("county", "鲅鱼圈区", "planned", None),
        ("park", "营口高新技术产业开发区", "planned", None),
        ("department", "营口市住房公积金管理中心", "moved", clock.now().date()),
    ]
    assert gjj is not None and gjj.authorized_by_law
    assert gjj.legal_basis is not None and gjj.legal_basis.startswith(
        "《住房公积金管理条例》第十条"
    )
    assert gaj is not None and not gaj.authorized_by_law and gaj.legal_basis is None
