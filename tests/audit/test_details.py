"""Details in words: declared key labels, coded values by their labels, the rest readable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sluice.web.app  # noqa: F401  (every module declares its actions and labels on import)
from sluice.audit import details
from sluice.audit import service as audit


@dataclass
class Event:
    detail: dict[str, Any]
    action: str = "exit.asset_disposed"
    outcome: str = "ok"
    target_type: str = "exit"


def _lines(event: Event, locale: str = "zh-CN") -> dict[str, str]:
    return {line.label: line.text for line in details.describe(event, locale)}


def test_keys_and_coded_values_show_their_labels_in_both_languages() -> None:
    event = Event({"kind": "public_data_asset", "goes_to": "government"})
    assert _lines(event) == {"类型": "公共数据资产", "归属": "归政府"}
    assert _lines(event, "en") == {"Kind": "Public data asset", "Goes to": "Goes to the government"}
    assert details.as_text(event, "zh-CN") == "类型：公共数据资产；归属：归政府"
    assert (
        details.as_text(event, "en") == "Kind: Public data asset; Goes to: Goes to the government"
    )


def test_a_kind_is_read_as_whatever_it_names() -> None:
    organization = Event({"kind": "bureau"}, action="identity.organization.created")
    assert _lines(organization) == {"类型": "数据主管部门"}


def test_a_lifecycles_states_are_read_through_the_target_type() -> None:
    ticket = Event(
        {"from": "open", "to": "acknowledged"},
        action="correction_ticket.acknowledge",
        target_type="correction_ticket",
    )
    assert _lines(ticket) == {"原状态": "待受理", "新状态": "已受理"}
    assert _lines(ticket, "en") == {"From": "Open", "To": "Acknowledged"}


def test_lists_mappings_and_yes_no_read_as_text() -> None:
    event = Event(
        {
            "roles": ["bureau", "registry"],
            "late": False,
            "results": {"credit_code": "pass", "principals": "needs_review"},
            "changes": [{"criterion": "技术方案", "from": None, "to": 36}],
        },
        target_type="selection_round",
    )
    lines = _lines(event)
    assert lines["角色"] == "数据局、数据中心（登记）"
    assert lines["逾期"] == "否"
    assert lines["检查结果"] == "统一社会信用代码：通过，主要负责人：需人工复核"
    assert lines["变更"] == "（评审因素：技术方案，原值：—，新值：36）"


def test_an_undeclared_key_still_shows_readably_and_an_unknown_code_as_itself() -> None:
    event = Event({"spare_parts_count": 3, "goes_to": "the_moon"})
    assert _lines(event) == {"spare parts count": "3", "归属": "the_moon"}


def test_long_digests_are_shortened_on_a_page_and_kept_whole_for_export() -> None:
    digest = "6137d85020cd4b8905c7722b8abfcaaacf814a43a512c9702e481af335e4698f"
    [line] = details.describe(Event({"digest": digest}), "zh-CN")
    assert line.text == digest
    assert line.short == "6137d85020cd…"


def test_a_module_declares_its_own_labels_next_to_its_actions() -> None:
    audit.declare_detail_labels({"test_hue": ("颜色", "Colour")})
    audit.declare_detail_values("test_hue", values={"red": ("红色", "Red")})
    event = Event({"test_hue": "red"})
    assert _lines(event) == {"颜色": "红色"}
    assert _lines(event, "en") == {"Colour": "Red"}


def test_actions_targets_and_outcomes_have_labels() -> None:
    assert details.action_label("audit.exported", "zh-CN") == "导出审计日志"
    assert details.action_label("made.up", "zh-CN") == "made.up"
    assert details.target_label("data_resource", "zh-CN") == "数据资源"
    assert details.target_label("authorization", "en") == "Authorization"
    assert details.outcome_label("refused", "zh-CN") == "拒绝"
