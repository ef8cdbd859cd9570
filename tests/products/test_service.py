"""The rules of data products as the service applies them: declaration and its refusals,
N5 pricing, the review and listing lifecycle, amendments, N2 and the agreement's ending."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from sluice.authorizations import amendments
from sluice.authorizations import service as authorizations
from sluice.authorizations import states as authorization_states
from sluice.core import change_stamps
from sluice.core.clock import SHANGHAI
from sluice.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound, SluiceError
from sluice.core.i18n import ZH
from sluice.core.principal import Principal
from sluice.products import pricing
from sluice.products import service as products
from sluice.products.schemas import ProductUpdate
from sluice.sandbox import exports, queries
from tests.approvals.factories import approve
from tests.authorizations.factories import decision, terminate_by_two
from tests.products.world import STATISTICS_SPEC, VERIFICATION_SPEC, ProductWorld, score_spec


def _refused(
    world: ProductWorld, agreement: uuid.UUID, name: str, **overrides: object
) -> SluiceError:
    with pytest.raises(SluiceError) as refused:
        world.declare(agreement, name, **overrides)
    return refused.value


def test_a_declared_product_keeps_what_its_spec_says(world: ProductWorld) -> None:
    agreement, name = world.agreement()
    product = world.declare(agreement, name, spec=score_spec(1990))
    assert product.status == "draft"
    assert product.type == "score"
    assert product.subject_input == "uscc" and product.subject_kind == "enterprise"
    assert product.resource_ids == [str(world.city.ratings)]
    assert product.output_schema["properties"]["reasons"]["items"]["properties"]["code"] == {
        "type": "string",
        "enum": ["rated", "unrated"],
    }
    assert product.owner_id == agreement and product.authorization_id == agreement
    assert len(product.fingerprint) == 64
    with world.database.unit_of_work() as session:
        found = products.find_product(session, code=product.code)
        assert found is not None and found.id == product.id
        assert products.named_in_agreement(session, found)
        assert products.product_title(session, product.id) == name
        assert products.product_title(session, uuid.uuid4()) == "—"


def test_declaration_refusals_name_their_rule(world: ProductWorld) -> None:
    agreement, name = world.agreement()
    taken = world.declare(agreement, name)
    assert _refused(world, agreement, name, code=taken.code).code == "product_code_taken"
    unknown = _refused(world, agreement, name, domain="industry:mining")
    assert unknown.code == "invalid_input" and "industry:mining" in unknown.detail(ZH)
    no_subject = _refused(
        world,
        agreement,
        name,
        type="statistics",
        spec=STATISTICS_SPEC,
        domain="governance",
        price_fen=0,
    )
    assert no_subject.code == "consent_needs_subject"
    bad_subject = {**VERIFICATION_SPEC, "subject": "district"}
    wrong = _refused(world, agreement, name, type="verification", spec=bad_subject, price_fen=0)
    assert wrong.code == "spec_invalid" and "district" in wrong.detail(ZH)
    kind = _refused(world, agreement, name, type="verification", spec=score_spec(), price_fen=0)
    assert kind.code == "spec_invalid"
    # Another operator's workspace does not exist for this one.
    with pytest.raises(NotFound):
        world.declare(
            agreement, name, actor=world.other_operator(), workspace_id=world.workspace(agreement)
        )


def test_governance_and_welfare_products_are_free_and_industry_ones_capped(
    world: ProductWorld,
) -> None:
    agreement, name = world.agreement()
    statistics = {"type": "statistics", "spec": STATISTICS_SPEC, "consent_required": False}
    for domain in ("governance", "welfare"):
        refused = _refused(world, agreement, name, domain=domain, price_fen=100, **statistics)
        assert refused.code == "price_not_allowed" and refused.status == 422
        assert "¥1.00" in refused.detail(ZH)
    over = _refused(world, agreement, name, price_fen=1501)
    assert over.code == "price_over_cap"
    assert "¥15.01" in over.detail(ZH) and "¥15.00" in over.detail(ZH)
    no_cap = _refused(world, agreement, name, domain="industry:transport", price_fen=1)
    assert no_cap.code == "price_cap_missing"
    free = world.declare(agreement, name, domain="governance", price_fen=0, **statistics)
    assert free.price_fen == 0 and free.subject_kind is None


def test_review_listing_suspension_and_delisting(world: ProductWorld) -> None:
    agreement, name = world.agreement()
    product = world.declare(agreement, name)
    at, bureau, operator = world.clock().now(), world.bureau(), world.operator()
    settings = world.city.settings
    with world.database.unit_of_work() as session:
        products.submit(session, actor=operator, at=at, product_id=product.id)
        with pytest.raises(InvalidInput):
            products.review(
                session, actor=bureau, at=at, product_id=product.id, decision="reject", reason=" "
            )
        back = products.review(
            session,
            actor=bureau,
            at=at,
            product_id=product.id,
            decision="reject",
            reason="评分原因说明不足",
        )
        assert back.status == "draft" and back.review_reason == "评分原因说明不足"
    with world.database.unit_of_work() as session:
        products.submit(session, actor=operator, at=at, product_id=product.id)
        products.review(
            session, actor=bureau, at=at, product_id=product.id, decision="approve", reason="通过"
        )
        with pytest.raises(InvalidTransition):  # not the bureau's to list
            products.review(
                session,
                actor=bureau,
                at=at,
                product_id=product.id,
                decision="approve",
                reason="再次",
            )
        listed = products.list_product(
            session, actor=operator, settings=settings, at=at, product_id=product.id
        )
        assert listed.status == "listed" and listed.first_listed_at == at
        assert listed.pricing_rule == "cap:score:industry:finance@v1"
        called = products.callable_product(session, code=product.code, at=at, settings=settings)
        assert (called.price_fen, called.pricing_rule) == (1200, "cap:score:industry:finance@v1")
        assert called.authorization_id == agreement and called.subject_kind == "enterprise"
        assert called.purposes == ("贷前审查", "贷后管理")
        assert product.id in {p.id for p in products.listed_products(session)}
    with world.database.unit_of_work() as session:
        products.suspend(session, actor=bureau, at=at, product_id=product.id, reason="投诉核查")
        with pytest.raises(products.ProductUnavailable):
            products.callable_product(session, code=product.code, at=at, settings=settings)
        products.resume(session, actor=bureau, at=at, product_id=product.id, reason="核查完毕")
        assert products.callable_product(session, code=product.code, at=at).code == product.code
    with world.database.unit_of_work() as session:
        request = products.request_delisting(
            session,
            actor=bureau,
            settings=settings,
            at=at,
            product_id=product.id,
            reason="运营机构长期未维护",
        )
        # Delisting is irreversible: nothing happens until a second person approves.
        still = products.callable_product(session, code=product.code, at=at)
        assert still.code == product.code
        with pytest.raises(SluiceError) as same:
            approve(
                session, approver=bureau, settings=settings, clock=world.clock(), request=request
            )
        assert same.value.code == "second_approver_required"
    with world.database.unit_of_work() as session:
        approve(
            session,
            approver=world.colleague(),
            settings=settings,
            clock=world.clock(),
            request=request,
        )
    with world.database.unit_of_work() as session:
        gone = products.visible(session, actor=bureau, product_id=product.id).product
        assert gone.status == "delisted" and gone.end_reason == "运营机构长期未维护"
        with pytest.raises(products.ProductUnavailable) as unavailable:
            products.callable_product(session, code=product.code, at=at)
        assert (unavailable.value.status, unavailable.value.code) == (404, "product_unavailable")
        with pytest.raises(InvalidTransition):
            products.resume(session, actor=bureau, at=at, product_id=product.id, reason="恢复")


def test_an_industry_product_over_a_lowered_cap_cannot_be_listed(world: ProductWorld) -> None:
    agreement, name = world.agreement()
    at, bureau, operator = world.clock().now(), world.bureau(), world.operator()
    verification = {**VERIFICATION_SPEC, "match": {"uscc": "uscc_token", "district": "district"}}
    with world.database.unit_of_work() as session:
        pricing.set_cap(
            session,
            actor=bureau,
            at=at,
            product_type="verification",
            domain="industry:commerce",
            cap_fen=800,
            reason="首年试行价",
        )
    product = world.declare(
        agreement,
        name,
        type="verification",
        spec={**verification, "view": "scjgj_enterprises"},
        domain="industry:commerce",
        price_fen=800,
    )
    with world.database.unit_of_work() as session:
        products.submit(session, actor=operator, at=at, product_id=product.id)
        products.review(
            session, actor=bureau, at=at, product_id=product.id, decision="approve", reason="通过"
        )
        lowered = pricing.set_cap(
            session,
            actor=bureau,
            at=at,
            product_type="verification",
            domain="industry:commerce",
            cap_fen=500,
            reason="成本监审后下调",
        )
        assert lowered.version == 2
    with pytest.raises(pricing.PriceOverCap) as over, world.database.unit_of_work() as session:
        products.list_product(
            session, actor=operator, settings=world.city.settings, at=at, product_id=product.id
        )
    assert (over.value.status, over.value.code) == (422, "price_over_cap")
    assert "第 2 版" in over.value.detail(ZH) and "¥5.00" in over.value.detail(ZH)
    with world.database.unit_of_work() as session:
        kept = products.visible(session, actor=operator, product_id=product.id).product
        assert kept.status == "approved" and kept.first_listed_at is None
        with pytest.raises(products.ProductUnavailable):
            products.callable_product(session, code=product.code, at=at)


def test_a_cap_lowered_under_a_listed_price_suspends_the_product_at_once(
    world: ProductWorld,
) -> None:
    at, bureau = world.clock().now(), world.bureau()

    def cap(fen: int) -> None:
        with world.database.unit_of_work() as session:
            pricing.set_cap(
                session,
                actor=bureau,
                at=at,
                product_type="score",
                domain="industry:energy",
                cap_fen=fen,
                reason="能源行业评分产品指导价",
            )

    cap(1000)
    priced = world.listed(*world.agreement(), domain="industry:energy", price_fen=900)
    cheap = world.listed(*world.agreement(), domain="industry:energy", price_fen=400)
    with world.database.unit_of_work() as session:
        callable_ = products.callable_product(session, code=priced.code, at=at)
        assert callable_.pricing_rule == "cap:score:industry:energy@v1"
    cap(500)
    with world.database.unit_of_work() as session:
        with pytest.raises(products.ProductUnavailable) as unavailable:
            products.callable_product(session, code=priced.code, at=at)
        assert (unavailable.value.status, unavailable.value.code) == (404, "product_unavailable")
        on_market = {row.product.code for row in products.market(session)}
        assert priced.code not in on_market and cheap.code in on_market
        suspended = products.visible(session, actor=bureau, product_id=priced.id).product
        assert suspended.status == "suspended"
        assert suspended.suspended_reason is not None
        assert suspended.suspended_reason.startswith("price_over_cap")
        [event_] = [
            e
            for e in products.history(session, actor=bureau, product_id=priced.id)
            if e.action == "product.suspend"
        ]
        assert (event_.actor_username, event_.detail["code"]) == (bureau.username, "price_over_cap")
        assert (event_.detail["price_fen"], event_.detail["cap_fen"]) == (900, 500)
        # Under the cap in force, the cheap one is charged its price under the new rule; a
        # call racing the suspension would never be charged over the cap either.
        kept = products.callable_product(session, code=cheap.code, at=at)
        assert products.charged_price(session, product=kept, at=at) == (
            400,
            "cap:score:industry:energy@v2",
        )
        assert products.charged_price(session, product=callable_, at=at) == (
            500,
            "cap:score:industry:energy@v2",
        )
    # The bureau cannot resume it at its old price.
    with pytest.raises(pricing.PriceOverCap), world.database.unit_of_work() as session:
        products.resume(session, actor=bureau, at=at, product_id=priced.id, reason="恢复上架")
    cap(900)
    with world.database.unit_of_work() as session:
        resumed = products.resume(
            session, actor=bureau, at=at, product_id=priced.id, reason="上限已调回"
        )
        assert (resumed.status, resumed.pricing_rule) == ("listed", "cap:score:industry:energy@v3")


def test_a_product_the_agreement_does_not_name_needs_an_amendment_both_sign(
    world: ProductWorld,
) -> None:
    agreement, _ = world.agreement()
    unnamed = f"企业经营评分{uuid.uuid4().hex[:4]}"
    product = world.declare(agreement, unnamed)
    at, operator, settings = world.clock().now(), world.operator(), world.city.settings
    with pytest.raises(Conflict) as refused, world.database.unit_of_work() as session:
        products.submit(session, actor=operator, at=at, product_id=product.id)
    assert refused.value.code == "product_not_in_agreement"
    with world.database.unit_of_work() as session:
        version = products.amend(
            session,
            actor=operator,
            settings=settings,
            at=at,
            product_id=product.id,
            review="上线前经数据局安全合规审查",
        )
        assert version.number == 2
        assert unnamed in [p["name"] for p in version.content["clauses"]["products"]]
        signed = {s.party for s in authorizations.repository.signatures(session, agreement, 2)}
        assert signed == {"operator"}
    # Signed by the operator alone, the amendment does not name the product yet.
    with pytest.raises(Conflict) as waiting, world.database.unit_of_work() as session:
        products.submit(session, actor=operator, at=at, product_id=product.id)
    assert waiting.value.code == "product_not_in_agreement"
    with pytest.raises(Conflict) as pending, world.database.unit_of_work() as session:
        products.amend(
            session, actor=operator, settings=settings, at=at, product_id=product.id, review="再次"
        )
    assert pending.value.code == "amendment_pending"
    with world.database.unit_of_work() as session:
        authorizations.sign(
            session, actor=world.bureau(), settings=settings, at=at, authorization_id=agreement
        )
        found = authorizations.seen(session, world.bureau(), agreement)
        assert amendments.signed_version(session, found).number == 2  # type: ignore[union-attr]
        signature = authorizations.repository.signatures(session, agreement, 2)[0]
        assert authorizations.verify_signature(session, signature)
        submitted = products.submit(session, actor=operator, at=at, product_id=product.id)
        assert submitted.status == "submitted"
    with pytest.raises(Conflict) as named, world.database.unit_of_work() as session:
        products.amend(
            session, actor=operator, settings=settings, at=at, product_id=product.id, review="再次"
        )
    assert named.value.code == "product_already_named"


def test_n2_refuses_a_delivered_product_through_an_affiliate_and_under_another_name(
    world: ProductWorld,
) -> None:
    agreement, name = world.agreement()
    delivered = world.listed(
        agreement, name, type="verification", spec=VERIFICATION_SPEC, price_fen=0
    )
    # The operator itself, under another agreement and another name, the same content.
    second, other_name = world.agreement()
    same = _refused(
        world, second, other_name, type="verification", spec=VERIFICATION_SPEC, price_fen=0
    )
    assert same.code == "product_already_delivered" and same.status == 409
    assert delivered.code in same.detail(ZH) and "内容相同" in same.detail(ZH)
    # Its affiliate, under its own agreement and name, the same content; and the same name.
    affiliate = world.affiliate_principal()
    through = _refused(
        world,
        world.affiliate_agreement,
        "关联评分",
        actor=affiliate,
        type="verification",
        spec={
            **VERIFICATION_SPEC,
            "inputs": [
                {"name": "code", "type": "uscc", "title": "信用代码"},
                {"name": "area", "type": "text", "title": "区县"},
            ],
            "subject": "code",
            "match": {"code": "uscc_token", "area": "district"},
        },
        price_fen=0,
    )
    assert through.code == "product_already_delivered"
    spaced = f"{name[:2]} {name[2:]}"
    by_name = _refused(world, world.affiliate_agreement, spaced, actor=affiliate)
    assert by_name.code == "product_already_delivered" and delivered.code in by_name.detail(ZH)
    # The same product in its own renewal chain is not a re-development.
    with world.database.unit_of_work() as session:
        common = {
            "operator_id": world.operator().organization_id,
            "name": name,
            "fingerprint": delivered.fingerprint,
        }
        assert products.already_delivered(session, **common) is not None  # type: ignore[arg-type]
        assert (
            products.already_delivered(session, **common, excluding_chain=agreement)  # type: ignore[arg-type]
            is None
        )
    # An operator with no tie to it may build the same thing.
    other = world.declare(
        world.city.jobs,
        "就业核验",
        actor=world.other_operator(),
        type="verification",
        spec=VERIFICATION_SPEC,
        price_fen=0,
    )
    assert other.fingerprint == delivered.fingerprint


def test_ending_the_agreement_makes_its_products_unavailable_at_once(world: ProductWorld) -> None:
    agreement, name = world.agreement()
    listed = world.listed(agreement, name)
    draft = world.declare(agreement, name, spec=score_spec(1985))
    at, settings = world.clock().now(), world.city.settings
    with world.database.unit_of_work() as session:
        assert products.callable_product(session, code=listed.code, at=at).code == listed.code
        terminate_by_two(
            session,
            world.city.world,
            clock=world.clock(),
            settings=settings,
            authorization_id=agreement,
            reason="严重违约",
        )
    with world.database.unit_of_work() as session:
        with pytest.raises(products.ProductUnavailable):
            products.callable_product(session, code=listed.code, at=at)
        for product_id in (listed.id, draft.id):
            found = products.visible(session, actor=world.operator(), product_id=product_id)
            assert found.product.status == "unavailable"
            assert found.product.end_reason == "严重违约"
        events = products.history(session, actor=world.bureau(), product_id=listed.id)
        assert [e.action for e in events][-1] == "product.lapse"
        with pytest.raises(InvalidTransition) as inactive:
            products.update(
                session,
                actor=world.operator(),
                settings=settings,
                at=at,
                product_id=draft.id,
                data=ProductUpdate.model_validate(
                    world.data(agreement, name).model_dump(exclude={"workspace_id"})
                ),
            )
        assert inactive.value.code == "invalid_transition"


def test_the_gateway_reads_one_row_per_call(world: ProductWorld) -> None:
    agreement, name = world.agreement()
    listed = world.listed(agreement, name)
    at = world.clock().now()
    with world.database.unit_of_work() as session:
        products.callable_product(session, code=listed.code, at=at)  # parsed and kept
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        connection = session.connection()
        event.listen(connection, "before_cursor_execute", count)
        try:
            again = products.callable_product(session, code=listed.code, at=at)
        finally:
            event.remove(connection, "before_cursor_execute", count)
        assert again.code == listed.code
        assert len(statements) == 1 and "products.code" in statements[0]
        with pytest.raises(products.ProductUnavailable):
            products.callable_product(session, code="no-such-product", at=at)


def test_a_dataset_product_is_an_approved_export_of_its_workspace(world: ProductWorld) -> None:
    agreement, name = world.agreement()
    workspace = world.workspace(agreement)
    at, operator, settings = world.clock().now(), world.operator(), world.city.settings
    sql = "SELECT count(DISTINCT uscc_token) AS firms FROM scjgj_enterprises"
    with world.database.unit_of_work() as session:
        query = queries.run(
            session, actor=operator, settings=settings, at=at, workspace_id=workspace, sql=sql
        ).query
        export = exports.request(
            session,
            actor=operator,
            settings=settings,
            at=at,
            workspace_id=workspace,
            query_id=query.id,
            purpose="企业总量数据集",
        )
    dataset = {
        "type": "dataset",
        "consent_required": False,
        "billing_unit": "period",
        "price_fen": 0,
    }
    waiting = _refused(world, agreement, name, spec={"export_id": str(export.id)}, **dataset)
    assert waiting.code == "spec_invalid" and str(export.id) in waiting.detail(ZH)
    with world.database.unit_of_work() as session:
        exports.approve(
            session, actor=world.bureau(), settings=settings, at=at, export_id=export.id
        )
    product = world.declare(agreement, name, spec={"export_id": str(export.id)}, **dataset)
    assert product.resource_ids == [str(world.city.enterprises)]
    assert product.output_schema["columns"] == [{"name": "firms", "type": "BIGINT"}]
    assert product.subject_kind is None


def test_a_platform_that_requires_registration_lists_and_serves_registered_products_only(
    world: ProductWorld,
) -> None:
    agreement, name = world.agreement()
    listed = world.listed(agreement, name)
    approved = world.declare(agreement, name, spec=score_spec(1950))
    at = world.clock().now()
    strict = world.city.settings.model_copy(update={"product_registration_required": True})
    with world.database.unit_of_work() as session:
        products.submit(session, actor=world.operator(), at=at, product_id=approved.id)
        products.review(
            session,
            actor=world.bureau(),
            at=at,
            product_id=approved.id,
            decision="approve",
            reason="通过",
        )
        with pytest.raises(products.ProductUnavailable):
            products.callable_product(session, code=listed.code, at=at, settings=strict)
        with pytest.raises(Conflict) as unregistered:
            products.list_product(
                session, actor=world.operator(), settings=strict, at=at, product_id=approved.id
            )
        assert unregistered.value.code == "registration_required"
        # Registration encouraged, not required (the default): both are served.
        assert products.callable_product(session, code=listed.code, at=at).code == listed.code


def _renewed(
    world: ProductWorld, agreement: uuid.UUID, *, signed: bool
) -> tuple[date, datetime, uuid.UUID]:
    """Renew the agreement 30 days before its last day (signed by both parties or only
    decided); its last day, the renewal's moment and the successor."""
    bureau, operator, settings = world.bureau(), world.operator(), world.city.settings
    with world.database.unit_of_work() as session:
        first = authorizations.seen(session, bureau, agreement)
        assert first.term_end is not None
        term_end = first.term_end
        near_end = datetime.combine(term_end - timedelta(days=30), time(10), tzinfo=SHANGHAI)
        authorization_states.AUTHORIZATION.fire(
            first, "mark_expiring", session=session, actor=Principal.system("test"), at=near_end
        )
        successor = authorizations.renew(
            session,
            actor=bureau,
            settings=settings,
            at=near_end,
            authorization_id=agreement,
            data=decision(held_on=near_end.date()),
        ).id
        for signer in (bureau, operator) if signed else ():
            authorizations.sign(
                session, actor=signer, settings=settings, at=near_end, authorization_id=successor
            )
    return term_end, near_end, successor


def test_between_two_terms_a_product_is_kept_for_the_day_only(
    world: ProductWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its agreement's last day with the renewal not yet in force, the product is still
    listed (the guard refuses its calls) but is not kept beyond the day: the renewal's term
    may begin with nothing written, and the next day's call must see it."""
    agreement, name = world.agreement()
    listed = world.listed(agreement, name)
    # Decided, never signed: no term in force after term_end.
    term_end, _near_end, _successor = _renewed(world, agreement, signed=False)
    reads: list[datetime] = []
    read_now = products._listed_now

    def counted(session: object, code: str, at: datetime, required: bool) -> object:
        reads.append(at)
        return read_now(session, code, at, required)  # type: ignore[arg-type]

    monkeypatch.setattr(products, "_listed_now", counted)
    day_after = datetime.combine(term_end + timedelta(days=1), time(10), tzinfo=SHANGHAI)
    with world.database.unit_of_work() as session:
        stamps = change_stamps.read(session)
        assert stamps is not None
        for at in (day_after, day_after + timedelta(hours=12), day_after + timedelta(days=1)):
            kept = products.callable_product(session, code=listed.code, at=at, stamps=stamps)
            assert kept.authorization_id == agreement
    assert reads == [day_after, day_after + timedelta(days=1)]


def test_a_renewal_carries_the_product_on_under_the_successor(world: ProductWorld) -> None:
    agreement, name = world.agreement()
    listed = world.listed(agreement, name)
    bureau = world.bureau()
    term_end, near_end, successor = _renewed(world, agreement, signed=True)
    next_day = datetime.combine(term_end + timedelta(days=1), time(10), tzinfo=SHANGHAI)
    with world.database.unit_of_work() as session:
        assert (
            products.callable_product(session, code=listed.code, at=near_end).authorization_id
            == agreement
        )
        carried = products.callable_product(session, code=listed.code, at=next_day)
        assert carried.authorization_id == successor
        kept = products.find_product(session, code=listed.code)
        assert kept is not None and kept.status == "listed" and kept.authorization_id == successor
        events = products.history(session, actor=bureau, product_id=listed.id)
        assert events[-1].action == "product.renewed"
