"""The audit log's public face: the signed tree head and the proofs anyone may ask for.

Each route first sequences what was committed since the last run, so what it answers covers
the log up to the moment asked. Hashes are lowercase hex; the proofs are RFC 9162's (see
``sluice.audit.verify_proof`` for checking them offline).
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from sluice.audit import sequencer
from sluice.audit.verify_proof import ALGORITHM
from sluice.core.errors import InvalidInput, NotFound
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.transparency import heads
from sluice.web.deps import AppClock, AppSettings, DbSession, Public, Requires

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Anyone = Depends(Public())
AuditReader = Annotated[Principal, Depends(Requires(Permission.AUDIT_READ))]
#: Far beyond any log, and within a 64-bit integer column.
MAX_SIZE: Final = 2**62

add_messages(
    {
        "audit.proof.beyond_log": (
            "审计日志目前共有 {size} 条记录，{name} 不能超过此数。",
            "The audit log holds {size} entries now; {name} cannot be more.",
        ),
        "audit.proof.leaf_beyond_tree": (
            "叶子序号 leaf_index 须小于树的大小 tree_size（序号从 0 起）。",
            "leaf_index must be below tree_size (leaves are numbered from 0).",
        ),
        "audit.proof.sizes_reversed": (
            "first 不能大于 second：一致性证明从较小的树到较大的树。",
            "first cannot be more than second: a consistency proof goes from the smaller "
            "tree to the larger.",
        ),
        "audit.leaf.not_found": (
            "该审计记录不存在，或尚未进入默克尔树。",
            "No such audit entry, or it is not in the Merkle tree yet.",
        ),
    }
)


class TreeHead(BaseModel):
    tree_size: int
    root_hash: str
    timestamp: str
    algorithm: str
    signature_hex: str
    public_key_hex: str


class InclusionProof(BaseModel):
    leaf_index: int
    tree_size: int
    root_hash: str
    inclusion_path: list[str]
    algorithm: str


class ConsistencyProof(BaseModel):
    first: int
    second: int
    first_root_hash: str
    second_root_hash: str
    consistency_path: list[str]
    algorithm: str


class Leaf(BaseModel):
    event_id: int
    leaf_index: int
    leaf_hash: str
    #: The entry's canonical form, the bytes hashed (after a 0x00) into ``leaf_hash``.
    leaf_data: str


@router.get("/tree-head", dependencies=[Anyone])
def tree_head(session: DbSession, settings: AppSettings, clock: AppClock) -> TreeHead:
    """The latest tree head the bureau signed (a new one if the log grew since)."""
    head = heads.current_head(session, settings=settings, at=clock.now())
    return TreeHead.model_validate(heads.as_dict(head))


def _size_now(session: DbSession, wanted: int, name: str) -> int:
    size = sequencer.sequence(session).tree_size
    if wanted > size:
        raise InvalidInput("audit.proof.beyond_log", size=size, name=name)
    return size


@router.get("/proof/inclusion", dependencies=[Anyone])
def inclusion_proof(
    session: DbSession,
    leaf_index: Annotated[int, Query(ge=0, le=MAX_SIZE, description="From 0.")],
    tree_size: Annotated[int, Query(ge=1, le=MAX_SIZE, description="Leaves in the tree.")],
) -> InclusionProof:
    """The audit path from leaf ``leaf_index`` to the root of the tree of ``tree_size``."""
    if leaf_index >= tree_size:
        raise InvalidInput("audit.proof.leaf_beyond_tree")
    _size_now(session, tree_size, "tree_size")
    tree = sequencer.StoredTree(session, tree_size)
    return InclusionProof(
        leaf_index=leaf_index,
        tree_size=tree_size,
        root_hash=tree.root().hex(),
        inclusion_path=[h.hex() for h in tree.inclusion(leaf_index)],
        algorithm=ALGORITHM,
    )


@router.get("/proof/consistency", dependencies=[Anyone])
def consistency_proof(
    session: DbSession,
    first: Annotated[int, Query(ge=1, le=MAX_SIZE, description="The older tree's size.")],
    second: Annotated[int, Query(ge=1, le=MAX_SIZE, description="The newer tree's size.")],
) -> ConsistencyProof:
    """The proof that the tree of ``second`` leaves extends the tree of ``first``."""
    if first > second:
        raise InvalidInput("audit.proof.sizes_reversed")
    _size_now(session, second, "second")
    tree = sequencer.StoredTree(session, second)
    return ConsistencyProof(
        first=first,
        second=second,
        first_root_hash=tree.subtree(0, first).hex(),
        second_root_hash=tree.root().hex(),
        consistency_path=[h.hex() for h in tree.consistency(first)],
        algorithm=ALGORITHM,
    )


@router.get("/events/{event_id}/leaf")
def event_leaf(
    reader: AuditReader,
    session: DbSession,
    event_id: Annotated[int, Path(ge=1, le=MAX_SIZE)],
) -> Leaf:
    """An entry's place in the tree: its leaf index, hash and the exact bytes hashed, so an
    auditor holding the entry can ask for its inclusion proof and check it."""
    sequencer.sequence(session)
    found = sequencer.leaf_of(session, event_id)
    if found is None:
        raise NotFound("audit.leaf.not_found")
    leaf_index, leaf_hash, data = found
    return Leaf(
        event_id=event_id, leaf_index=leaf_index, leaf_hash=leaf_hash, leaf_data=data.decode()
    )
