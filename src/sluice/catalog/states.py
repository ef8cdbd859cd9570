"""Lifecycles of catalog batches and entries (R4.2): drafted, published, withdrawn."""

from __future__ import annotations

from sluice.audit.lifecycles import StateMachine, Transition
from sluice.core.permissions import Permission

BATCH = StateMachine(
    entity="catalog_batch",
    entity_labels=("目录批次", "Catalog batch"),
    states={
        "draft": ("编制中", "Draft"),
        "published": ("已发布", "Published"),
        "withdrawn": ("已撤回", "Withdrawn"),
    },
    initial="draft",
    transitions=(
        Transition(
            "publish", ("draft",), "published", Permission.CATALOG_COMPILE, "发布批次", "Publish"
        ),
        Transition(
            "withdraw",
            ("published",),
            "withdrawn",
            Permission.CATALOG_COMPILE,
            "撤回批次",
            "Withdraw",
        ),
    ),
)

ENTRY = StateMachine(
    entity="catalog_entry",
    entity_labels=("目录条目", "Catalog entry"),
    states={
        "draft": ("待发布", "Draft"),
        "published": ("已发布", "Published"),
        "withdrawn": ("已撤回", "Withdrawn"),
    },
    initial="draft",
    transitions=(
        Transition(
            "publish", ("draft",), "published", Permission.CATALOG_COMPILE, "发布条目", "Publish"
        ),
        Transition(
            "withdraw",
            ("published",),
            "withdrawn",
            Permission.CATALOG_COMPILE,
            "撤回条目",
            "Withdraw",
        ),
        Transition(
            "republish",
            ("withdrawn",),
            "published",
            Permission.CATALOG_COMPILE,
            "重新发布",
            "Publish again",
        ),
    ),
)
