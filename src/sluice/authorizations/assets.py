"""Assets under an agreement and where they go when it ends (R5.7).

* Public data assets and the products developed belong to the government; assets the
  operator invested stay its own. These owners are fixed (``FIXED_OWNER``), never chosen.
* Ownership of software and hardware is set by the agreement (软硬件资产归属): the bureau
  registers each item with its owner while the agreement runs (``register``).
* Disposal runs at every ending, when the term ends (期限届满) as much as on exit,
  termination, rescission or revocation (``dispose_at_ending``, called by ``endings.end``):
  the products the agreement lists and the scenario's public data assets go to the
  government, registered software and hardware to the owner the agreement set. On an exit
  the bureau adds the operator's own investments during the handover (``exits.record_asset``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from sluice.audit import details as audit_details
from sluice.audit import service as audit
from sluice.authorizations import destruction, repository, service
from sluice.authorizations import states as st
from sluice.authorizations.models import AgreementAsset, AssetDisposal, Authorization
from sluice.core.errors import Conflict, InvalidInput
from sluice.core.i18n import MessageRef, add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal

ASSET_REGISTERED = "authorization.asset_registered"
ASSET_DISPOSED = "exit.asset_disposed"

audit.declare_actions(
    {
        ASSET_REGISTERED: ("登记软硬件资产归属", "Software or hardware ownership registered"),
        ASSET_DISPOSED: ("登记资产处置", "Asset disposal recorded"),
    }
)

audit_details.declare_detail_labels({"owner": ("归属", "Owner")})
audit_details.declare_detail_values("owner", "asset_owner_of.{value}")

#: R5.7: who gets each kind of asset whose owner the plan fixes.
FIXED_OWNER: Final = {
    "public_data_asset": "government",
    "product": "government",
    "operator_investment": "operator",
}
#: Kinds whose owner the agreement sets, item by item.
REGISTERED_KINDS: Final = ("software", "hardware")
OWNERS: Final = ("government", "operator")

add_messages(
    {
        "asset_kind.software": ("软件", "Software"),
        "asset_kind.hardware": ("硬件", "Hardware"),
        "asset_owner_of.government": ("归政府所有", "Owned by the government"),
        "asset_owner_of.operator": ("归运营机构所有", "Owned by the operator"),
        "assets.bad_kind": (
            "软硬件资产只能登记为“软件”或“硬件”，不能是 {kind}。",
            "Only software or hardware is registered, not {kind}.",
        ),
        "assets.bad_owner": (
            "资产归属只能是政府或运营机构，不能是 {owner}。",
            "An asset is owned by the government or the operator, not {owner}.",
        ),
        "assets.agreement_ended": (
            "协议处于“{status}”状态，已按约定处置资产，不能再登记。",
            "The agreement is {status}; its assets have been disposed of and nothing more can "
            "be registered.",
        ),
    }
)


def register(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    authorization_id: uuid.UUID,
    name: str,
    kind: str,
    owner: str,
    description: str = "",
) -> AgreementAsset:
    """Record a software or hardware item used under the agreement, with the owner the
    agreement sets; refused once the agreement has ended (its assets are disposed of)."""
    actor.require(Permission.AUTHORIZATIONS_MANAGE)
    authorization = service.seen(session, actor, authorization_id)
    if kind not in REGISTERED_KINDS:
        raise InvalidInput("assets.bad_kind", kind=kind)
    if owner not in OWNERS:
        raise InvalidInput("assets.bad_owner", owner=owner)
    if authorization.status in st.ENDED:
        raise Conflict(
            "assets.agreement_ended",
            status=MessageRef(f"state.authorization.{authorization.status}"),
        )
    asset = AgreementAsset(
        authorization_id=authorization.id,
        name=name,
        kind=kind,
        owner=owner,
        description=description,
        recorded_by=actor.username,
        recorded_at=at,
    )
    session.add(asset)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=ASSET_REGISTERED,
        target_type="authorization",
        target_id=authorization.id,
        at=at,
        detail={"name": name, "kind": kind, "owner": owner},
    )
    return asset


def registered(session: Session, authorization: Authorization) -> list[AgreementAsset]:
    """The software and hardware of the agreement and of the renewal chain it belongs to."""
    members = destruction.chain(session, authorization)
    return repository.agreement_assets(session, [m.id for m in members])


def dispose(
    session: Session,
    *,
    authorization: Authorization,
    exit_id: uuid.UUID | None,
    name: str,
    kind: str,
    goes_to: str,
    actor: Principal,
    at: datetime,
    description: str = "",
) -> AssetDisposal:
    """Record where one asset goes, and audit it under the exit if there is one."""
    disposal = AssetDisposal(
        authorization_id=authorization.id,
        exit_id=exit_id,
        name=name[:200],
        kind=kind,
        goes_to=goes_to,
        description=description,
        recorded_by=actor.username,
        recorded_at=at,
    )
    session.add(disposal)
    audit.record(
        session,
        actor=actor,
        action=ASSET_DISPOSED,
        target_type="exit" if exit_id else "authorization",
        target_id=exit_id or authorization.id,
        at=at,
        detail={"name": name, "kind": kind, "goes_to": goes_to},
    )
    return disposal


def dispose_at_ending(
    session: Session,
    *,
    authorization: Authorization,
    exit_id: uuid.UUID | None,
    actor: Principal,
    at: datetime,
) -> list[AssetDisposal]:
    """Dispose of the agreement's assets as it ends: the products it lists and the public
    data assets of its scenario to the government, registered software and hardware to the
    owner the agreement set."""
    content = service.current_version(session, authorization).content
    made = [
        dispose(
            session,
            authorization=authorization,
            exit_id=exit_id,
            name=product["name"],
            kind="product",
            goes_to=FIXED_OWNER["product"],
            actor=actor,
            at=at,
        )
        for product in content["clauses"]["products"]
    ]
    made.append(
        dispose(
            session,
            authorization=authorization,
            exit_id=exit_id,
            name=f"{authorization.scenario}场景形成的公共数据资产",
            kind="public_data_asset",
            goes_to=FIXED_OWNER["public_data_asset"],
            actor=actor,
            at=at,
        )
    )
    for asset in registered(session, authorization):
        made.append(
            dispose(
                session,
                authorization=authorization,
                exit_id=exit_id,
                name=asset.name,
                kind=asset.kind,
                goes_to=asset.owner,
                actor=actor,
                at=at,
                description=asset.description,
            )
        )
    session.flush()
    return made


def disposals(session: Session, authorization_id: uuid.UUID) -> list[AssetDisposal]:
    """The disposals of an agreement already reached through ``service.seen``."""
    return repository.agreement_disposals(session, authorization_id)
