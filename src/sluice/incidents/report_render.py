"""The incident report (安全事件处置报告) as a document: printable HTML and a PDF.

``service.report`` fills an ``IncidentReport`` from the incident, its timeline and the
alerts behind it; this module only lays it out and reads nothing. Set like the other
printed documents (``core.printing``): one HTML for screen and PDF, Noto CJK, page
numbers in the footer, and ``pdf_fonts_missing`` rather than a page of empty boxes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from markupsafe import Markup

from sluice.authorizations.document_render import TEMPLATES as DOCUMENT_TEMPLATES
from sluice.core.i18n import ZH, add_messages, normalize_locale, translate
from sluice.core.printing import environment, format_date, format_time, page_footer, pdf_of

TEMPLATES: Final = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class ReportStep:
    at: datetime
    kind: str
    actor: str
    organization: str | None
    note: str
    #: What the step said beyond its note, as (label, value) lines in the reader's language.
    facts: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ReportAlert:
    rule: str
    severity: str
    subject: str
    window_start: datetime
    window_end: datetime
    observed: float
    threshold: float
    status: str


@dataclass(frozen=True)
class ReportRectification:
    agreement: str
    deadline: date
    status: str
    description: str


@dataclass(frozen=True)
class IncidentReport:
    number: str
    title: str
    severity: str
    status: str
    operator: str | None
    reported_by: str
    reported_at: datetime
    description: str
    steps: list[ReportStep]
    alerts: list[ReportAlert]
    rectification: ReportRectification | None
    review: str | None
    closed_at: datetime | None
    issuer: str
    generated_at: datetime
    locale: str = ZH

    def __post_init__(self) -> None:
        if self.generated_at.tzinfo is None or self.reported_at.tzinfo is None:
            raise ValueError("IncidentReport times must be timezone-aware")


_environment = environment(TEMPLATES)


def render_html(doc: IncidentReport) -> str:
    """A complete, printable A4 page for the report, in the document's locale."""
    locale = normalize_locale(doc.locale) or ZH

    def _(key: str, **params: object) -> str:
        return translate(key if "." in key else f"incident_report.{key}", locale, **params)

    context: dict[str, Any] = {
        "doc": doc,
        "locale": locale,
        "_": _,
        "fmt_time": lambda value: format_time(value, locale),
        "fmt_date": lambda value: format_date(value, locale),
        "document_css": Markup((DOCUMENT_TEMPLATES / "document.css").read_text("utf-8")),  # noqa: S704
        "page_footer": page_footer("incident_report.page", locale),
    }
    return _environment.get_template("incident_report.html").render(context)


def render_pdf(doc: IncidentReport) -> bytes:
    """The same page as a PDF, numbered 第 N 页 共 M 页, with the incident number on top."""
    return pdf_of(render_html(doc))


add_messages(
    {
        "incident_report.title": ("安全事件处置报告", "Security incident report"),
        "incident_report.colon": ("：", ": "),
        "incident_report.number": ("事件编号", "Incident no."),
        "incident_report.page": ("第 {page} 页 共 {pages} 页", "Page {page} of {pages}"),
        "incident_report.facts": ("事件概况", "The incident"),
        "incident_report.incident_title": ("事件名称", "Title"),
        "incident_report.severity": ("事件级别", "Severity"),
        "incident_report.status": ("当前状态", "Status"),
        "incident_report.operator": ("涉及运营机构", "Operator concerned"),
        "incident_report.none": ("—", "—"),
        "incident_report.reported": ("报告人及时间（北京时间）", "Reported by, at (Beijing time)"),
        "incident_report.description": ("事件描述", "Description"),
        "incident_report.timeline": ("处置经过", "Timeline"),
        "incident_report.when": ("时间", "When"),
        "incident_report.step": ("环节", "Step"),
        "incident_report.who": ("处置人", "By"),
        "incident_report.what": ("情况", "What"),
        "incident_report.alerts": ("相关安全告警", "Alerts behind it"),
        "incident_report.alerts_none": (
            "本事件不是由安全告警发起的。",
            "The incident was not opened from an alert.",
        ),
        "incident_report.rule": ("告警规则", "Rule"),
        "incident_report.subject": ("对象", "Subject"),
        "incident_report.window": ("时间窗口", "Window"),
        "incident_report.observed": ("观测值 / 阈值", "Observed / threshold"),
        "incident_report.rectification": ("整改", "Rectification"),
        "incident_report.rectification_text": (
            "因重大安全事件，依授权运营协议{agreement}下达整改通知，整改期限至{deadline}（当前：{status}）。",
            "As a major incident, rectification was ordered under agreement {agreement}, by "
            "{deadline} (now: {status}).",
        ),
        "incident_report.review": ("复盘", "Review"),
        "incident_report.review_pending": (
            "事件尚未结案，复盘待完成。",
            "The incident is not closed yet; the review is pending.",
        ),
        "incident_report.closed_at": ("结案时间：{at}", "Closed at {at}"),
        "incident_report.issued": (
            "{issuer} · 生成于 {at}（北京时间）",
            "{issuer} · generated at {at} (Beijing time)",
        ),
    }
)
