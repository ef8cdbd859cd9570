"""Seeds the demo city: organizations, one login per role, the departments' source data.

The departments' source files stand for systems outside the platform, so they are never
built under ``SLUICE_HOME``: ``DemoSources`` builds them in a private temporary directory
(owner-only), only when a dataset still has to be ingested, and removes the directory
when the demo is done with it. What the demo needs to run again idempotently (the seed,
the scale, each dataset's title, row count and fields with their allowed values, no
identifier of anyone) is kept in ``SLUICE_HOME/demo-sources.json``.

Idempotent: running it again keeps existing organizations, users and passwords, and only
rebuilds the source files when the seed or scale changed or a dataset has no data yet.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from sluice.core.checksums import org_code_check_chars, uscc_from_bodies
from sluice.core.clock import Clock
from sluice.core.permissions import OrgKind, Role
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.demo.catalog import EXTRA_PROVIDERS
from sluice.demo.datasets import PROVIDERS, build_datasets
from sluice.demo.datasets.shared import DemoDataset, DemoField
from sluice.identity import repository as identity_repo
from sluice.identity import service as identity
from sluice.identity.schemas import OrganizationCreate, UserCreate

SEED = 20261126


@dataclass(frozen=True)
class DemoOrg:
    code: str
    kind: OrgKind
    name: str
    name_en: str
    credit_body: str | None = None  # first 16 characters of a credit code, for companies


CORE_ORGS = (
    DemoOrg(
        "sjj",
        OrgKind.BUREAU,
        "营口市数据局",
        "Yingkou Municipal Data Bureau",
        "1121080000000012",  # 11: a government body (机关)
    ),
    DemoOrg("sjzx", OrgKind.REGISTRY, "营口市数据中心", "Yingkou Data Centre"),
    DemoOrg("czj", OrgKind.FINANCE, "营口市财政局", "Yingkou Finance Bureau"),
    DemoOrg("pingjia", OrgKind.PANEL, "营口市授权运营评价专家组", "Yingkou evaluation panel"),
)
COMPANIES = (
    DemoOrg(
        "ykdata",
        OrgKind.OPERATOR,
        "营口数据集团有限公司",
        "Yingkou Data Group Co., Ltd.",
        "9121080031800001",
    ),
    DemoOrg(
        "haigang",
        OrgKind.OPERATOR,
        "辽宁海港数智科技有限公司",
        "Liaoning Haigang Digital Technology Co., Ltd.",
        "9121080431800002",
    ),
    DemoOrg(
        "ykbank",
        OrgKind.BUYER,
        "营口银行股份有限公司",
        "Bank of Yingkou Co., Ltd.",
        "9121080011800003",
    ),
    DemoOrg(
        "bayuquan-ins",
        OrgKind.BUYER,
        "营口鲅鱼圈保险代理有限公司",
        "Yingkou Bayuquan Insurance Agency Co., Ltd.",
        "9121080431800004",
    ),
    DemoOrg(
        "liaoxin",
        OrgKind.BUYER,
        "辽宁辽信企业征信服务有限公司",
        "Liaoning Liaoxin Enterprise Credit Services Co., Ltd.",
        "9121080231800005",
    ),
)

#: One login per role: (role, username, organization code or None, display name).
ACCOUNTS = (
    (Role.BUREAU, "bureau", "sjj", "王建国（市数据局）"),
    # A second bureau person: irreversible acts (terminating an agreement, forcing an exit,
    # withdrawing a batch) wait for someone other than who asked (审批/复核).
    (Role.BUREAU, "bureau2", "sjj", "周敏（市数据局，复核）"),
    (Role.REGISTRY, "registry", "sjzx", "李敏（市数据中心）"),
    (Role.FINANCE, "finance", "czj", "赵丽（市财政局）"),
    (Role.PROVIDER, "provider", "gaj", "刘强（市公安局）"),
    (Role.OPERATOR, "operator", "ykdata", "陈晓（营口数据集团）"),
    (Role.OPERATOR, "operator2", "haigang", "林涛（海港数智）"),
    (Role.BUYER, "buyer", "ykbank", "孙鹏（营口银行）"),
    # The market's other two buyers (``demo.buyers``): one login each for their API keys.
    (Role.BUYER, "buyer2", "bayuquan-ins", "吴倩（鲅鱼圈保险代理）"),
    (Role.BUYER, "buyer3", "liaoxin", "郑凯（辽信征信）"),
    (Role.PANEL, "panel", "pingjia", "周教授（评价专家组）"),
    (Role.SUBJECT, "subject", None, "张伟（信息主体）"),
)


def credit_code(body16: str) -> str:
    """Complete a 16-character body into a checksum-valid unified social credit code.

    Character 17 closes the embedded organization code (GB 11714), character 18 the whole
    code (GB 32100).
    """
    body17 = body16 + str(org_code_check_chars([body16[8:16]])[0])
    return str(uscc_from_bodies([body17])[0])


#: Providers that are not government departments but organizations authorized by law to
#: manage public affairs (R4.1), with the law that authorizes each.
AUTHORIZED_BY_LAW = {
    "gjj": "《住房公积金管理条例》第十条：设区的市设立住房公积金管理中心，"
    "负责住房公积金的管理运作；住房公积金管理中心是直属城市人民政府的不以营利为目的的独立的事业单位。",
}


def all_orgs() -> list[DemoOrg]:
    providers = [
        DemoOrg(code, OrgKind.PROVIDER, zh, en) for code, zh, en in (*PROVIDERS, *EXTRA_PROVIDERS)
    ]
    return [*CORE_ORGS, *providers, *COMPANIES]


def seed_identity(session: Session, *, clock: Clock) -> list[dict[str, Any]]:
    """Create what is missing; return the accounts that were newly created, with passwords."""
    actor = Principal.system("demo")
    for org in all_orgs():
        if identity_repo.organization_by_code(session, org.code) is None:
            identity.create_organization(
                session,
                actor=actor,
                clock=clock,
                data=OrganizationCreate(
                    code=org.code,
                    kind=org.kind,
                    name=org.name,
                    name_en=org.name_en,
                    credit_code=credit_code(org.credit_body) if org.credit_body else None,
                    authorized_by_law=org.code in AUTHORIZED_BY_LAW,
                    legal_basis=AUTHORIZED_BY_LAW.get(org.code),
                ),
            )
    session.flush()
    created = []
    for role, username, org_code, display_name in ACCOUNTS:
        if identity_repo.user_by_username(session, username) is not None:
            continue
        organization = identity_repo.organization_by_code(session, org_code) if org_code else None
        password = secrets.token_urlsafe(12)
        identity.create_user(
            session,
            actor=actor,
            clock=clock,
            data=UserCreate(
                username=username,
                display_name=display_name,
                password=password,
                organization_id=organization.id if organization else None,
                roles=[role],
            ),
        )
        created.append(
            {
                "role": role.value,
                "username": username,
                "password": password,
                "organization": organization.name if organization else None,
            }
        )
    return created


#: Bumped whenever the manifest's shape changes, so an older one is rebuilt.
MANIFEST_VERSION = 3


class DemoSources:
    """The departments' source files, outside the platform's home and only while needed.

    ``datasets()`` is the manifest's list (from ``SLUICE_HOME/demo-sources.json`` when it
    matches the seed and scale, else from a build); ``path_of(dataset)`` builds the files
    on first need, in a private temporary directory that ``close()`` (or leaving the
    ``with`` block) removes, ingested or not.
    """

    def __init__(self, settings: Settings, *, scale: float, seed: int = SEED) -> None:
        self.settings = settings
        self.scale = scale
        self.seed = seed
        self._directory: Path | None = None
        self._paths: dict[tuple[str, str], Path] = {}
        self._listed: list[dict[str, Any]] | None = None

    @property
    def manifest_path(self) -> Path:
        return self.settings.home / "demo-sources.json"

    @property
    def built(self) -> bool:
        return self._directory is not None

    def datasets(self) -> list[dict[str, Any]]:
        """Provider, code, title, rows, description, frequency and fields of each dataset."""
        if self._listed is None:
            self._listed = self._read_manifest()
        if self._listed is None:
            self._build()
        assert self._listed is not None
        return self._listed

    def path_of(self, dataset: dict[str, Any]) -> Path:
        """The dataset's source file, built (with all the others) on first need."""
        if not self.built:
            self._build()
        return self._paths[(dataset["provider"], dataset["code"])]

    def close(self) -> None:
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None
            self._paths = {}

    def __enter__(self) -> DemoSources:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _wanted(self) -> dict[str, Any]:
        return {"seed": self.seed, "scale": self.scale, "manifest": MANIFEST_VERSION}

    def _read_manifest(self) -> list[dict[str, Any]] | None:
        try:
            document = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return None
        if document.get("build") != self._wanted():
            return None
        listed: list[dict[str, Any]] = document["datasets"]
        return listed

    def _build(self) -> None:
        self.close()
        # mkdtemp makes the directory 0700; it lives under the system's temporary
        # directory, never under SLUICE_HOME.
        self._directory = Path(tempfile.mkdtemp(prefix="sluice-demo-sources-"))
        built = build_datasets(sources_dir=self._directory, seed=self.seed, scale=self.scale)
        self._paths = {(d.provider_code, d.code): d.path for d in built}
        self._listed = [_summary(d) for d in built]
        document = {"build": self._wanted(), "datasets": self._listed}
        partial = self.manifest_path.with_name(self.manifest_path.name + ".partial")
        partial.write_text(json.dumps(document, ensure_ascii=False, indent=2))
        partial.replace(self.manifest_path)


def _summary(dataset: DemoDataset) -> dict[str, Any]:
    return {
        "provider": dataset.provider_code,
        "code": dataset.code,
        "title": dataset.title_zh,
        "rows": dataset.rows,
        "intended_quarantine_share": dataset.intended_quarantine_share,
        "description": dataset.description_zh,
        "update_frequency": dataset.update_frequency,
        "fields": [_field_summary(dataset, f) for f in dataset.fields],
    }


def _field_summary(dataset: DemoDataset, field: DemoField) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "name": field.name,
        "type": field.type,
        "class": field.field_class,
        "title": field.title_zh,
    }
    if field.type == "enum" and field.field_class != "identifier":
        # An enum's allowed values are the ones the department's system actually uses
        # (never an identifier's: the manifest lives in SLUICE_HOME).
        column = pq.read_table(dataset.path, columns=[field.name]).column(field.name)
        summary["values"] = sorted(v for v in pc.unique(column).to_pylist() if v is not None)
    return summary


def write_credentials(
    settings: Settings,
    *,
    created: list[dict[str, Any]],
    datasets: list[dict[str, Any]],
    authorizations: dict[str, Any] | None = None,
) -> Path:
    """Merge new accounts into var/demo-credentials.json; existing passwords are kept."""
    path = settings.credentials_path
    existing: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    accounts = {a["username"]: a for a in existing.get("accounts", [])}
    for account in created:
        accounts[account["username"]] = account
    order = [username for _, username, _, _ in ACCOUNTS]
    document = {
        **existing,
        "base_url": settings.base_url,
        "accounts": sorted(
            accounts.values(),
            key=lambda a: order.index(a["username"]) if a["username"] in order else len(order),
        ),
        "datasets": [
            {key: d[key] for key in ("provider", "code", "title", "rows")} for d in datasets
        ],
        # Authorization ids by scenario: 普惠金融 and 就业服务 in force, 智慧停车 ended.
        "authorizations": authorizations or existing.get("authorizations", {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2))
    path.chmod(0o600)  # passwords inside
    return path
