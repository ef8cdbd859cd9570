"""The agreement's document as its readers get it: one version's signed content, filled in
and served as HTML or PDF to those who may see the agreement.

``document_render`` lays a document out; this module reads the version, its signatures
and its approval and fills the document from exactly the content that was hashed and
signed, so the page and the signature can never describe different agreements.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sluice.authorizations import repository, service
from sluice.authorizations.clauses import TEXT_CLAUSES
from sluice.authorizations.document_render import (
    AgreementDocument,
    DocumentClause,
    DocumentParty,
    DocumentScopeItem,
    DocumentSignature,
    render_html,
    render_pdf,
)
from sluice.authorizations.models import Authorization
from sluice.core.errors import NotFound
from sluice.core.i18n import add_messages, has_message, translate
from sluice.core.principal import Principal
from sluice.identity.signing import ALGORITHM

add_messages(
    {
        "authz.version_not_found": (
            "该协议没有第 {version} 版。",
            "This agreement has no version {version}.",
        ),
        "agreement_document.product_line": (
            "{index}. {name}：{description}（安全合规审查：{review}）",
            "{index}. {name}: {description} (security and compliance review: {review})",
        ),
        "agreement_document.revenue_line": (
            "政府分成比例：{share}%。{method}",
            "Government's share of revenue: {share}%. {method}",
        ),
    }
)


def _clauses(clauses: dict[str, Any], locale: str) -> list[DocumentClause]:
    products = "\n".join(
        translate(
            "agreement_document.product_line",
            locale,
            index=i,
            name=p["name"],
            description=p["description"],
            review=p["review"],
        )
        for i, p in enumerate(clauses["products"], start=1)
    )
    revenue = clauses["revenue"]
    share = revenue["government_share_bp"]
    revenue_text = translate(
        "agreement_document.revenue_line",
        locale,
        share=f"{share // 100}.{share % 100:02d}",
        method=revenue["method"],
    )
    result = [
        DocumentClause("products", translate("clause.products", locale), products),
        DocumentClause("revenue", translate("clause.revenue", locale), revenue_text),
    ]
    result.extend(
        DocumentClause(key, translate(f"clause.{key}", locale), clauses[key])
        for key, _, _ in TEXT_CLAUSES
    )
    return result


def _domain_label(domain: str | None, locale: str) -> str | None:
    """A domain agreement's domain by its name (公共治理), not its code."""
    if not domain:
        return None
    key = f"vocab.domain.{domain}"
    return translate(key, locale) if has_message(key) else domain


def _change_line(change: dict[str, Any], locale: str) -> str:
    field = change["field"]
    if change["kind"] == "added":
        return ("新增数据资源：" if locale != "en" else "Resource added: ") + str(change["after"])
    if change["kind"] == "removed":
        return ("撤回数据资源：" if locale != "en" else "Resource removed: ") + str(
            change["before"]
        )
    return f"{field}: {change['before']} → {change['after']}"


def document_for(
    session: Session,
    actor: Principal,
    authorization: Authorization,
    *,
    version: int | None,
    locale: str,
) -> AgreementDocument:
    """The document of one version (the current one if ``version`` is None) of an agreement
    the actor sees."""
    number = authorization.version if version is None else version
    # Versions run from 1 to the current one: anything else (0, -1, 2**63 from a hand-made
    # link) is simply not there, and never reaches the database as a number it cannot hold.
    if not 1 <= number <= authorization.version:
        raise NotFound("authz.version_not_found", version=number)
    found = repository.version_for(session, actor, authorization.id, number)
    if found is None:
        raise NotFound("authz.version_not_found", version=number)
    content = found.content
    signatures = [
        DocumentSignature(
            party_role=s.party,
            party_name=content[s.party]["name"],
            signer=s.signer,
            signed_at=s.signed_at,
            algorithm=ALGORITHM,
            public_key_hex=s.public_key_hex,
            signature_hex=s.signature_hex,
        )
        for s in repository.signatures(session, authorization.id, number)
    ]
    decision = repository.decision(session, authorization.decision_id)
    term_start = authorization.term_start
    return AgreementDocument(
        number=authorization.number,
        version=number,
        title=f"{content['scenario']}场景公共数据授权运营协议",
        bureau=DocumentParty("bureau", content["bureau"]["name"], content["bureau"]["credit_code"]),
        operator=DocumentParty(
            "operator", content["operator"]["name"], content["operator"]["credit_code"]
        ),
        mode_label=translate(f"mode.{content['mode']}", locale),
        scenario=content["scenario"],
        purpose=content["purpose"],
        domain_label=_domain_label(content.get("domain"), locale),
        rights=[translate(f"right.{r}", locale) for r in content["rights"]],
        rights_excluded_note=translate("rights.excluded", locale),
        term_start=term_start,
        term_end=service.term_end_for(term_start, content["term_years"]) if term_start else None,
        term_years=content["term_years"],
        scope=[
            DocumentScopeItem(
                entry_code=item["code"],
                title=item["title"],
                provider=item["provider"],
                open_level=translate(f"vocab.open_level.{item['open_level']}", locale),
                grade=item["grade"],
            )
            for item in content["scope"]
        ],
        clauses=_clauses(content["clauses"], locale),
        canonical_digest=found.digest,
        signatures=signatures,
        approved_by=f"{decision.meeting}（{decision.held_on.isoformat()}，三重一大集体决策）"
        if decision
        else None,
        changes=[_change_line(c, locale) for c in found.changes],
        locale=locale,
    )


def html(
    session: Session,
    actor: Principal,
    authorization: Authorization,
    *,
    version: int | None,
    locale: str,
) -> str:
    """The printable page of an agreement the actor sees (``service.visible``)."""
    return render_html(document_for(session, actor, authorization, version=version, locale=locale))


def pdf(
    session: Session,
    actor: Principal,
    authorization: Authorization,
    *,
    version: int | None,
    locale: str,
) -> bytes:
    """The PDF of an agreement the actor sees (``service.visible``)."""
    return render_pdf(document_for(session, actor, authorization, version=version, locale=locale))
