"""The demo bureau's data-quality management rules (数据质量管理规则), published as version 1.

The text is the city's own, written for the demo: who answers for quality, what is scored,
update frequencies, correction tickets and how they close. The scoreboard cites it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from sluice.core.clock import Clock, local
from sluice.core.principal import Principal
from sluice.quality import rules
from sluice.quality.schemas import RulesCreate

TITLE = "营口市公共数据质量管理规则（试行）"
#: The articles, one paragraph each.
ARTICLES = (
    (
        "第一条 为保障公共数据授权运营中数据的准确性、完整性、及时性和一致性，依据《营口"
        "市公共数据授权运营实施方案》，制定本规则。"
    ),
    (
        "第二条 数据提供部门是本部门所提供数据质量的责任主体，负责数据的采集、校核、更新"
        "和纠错。市数据局负责组织数据质量评估、通报评估结果，并运行数据质量纠错机制。"
    ),
    (
        "第三条 数据汇聚时，平台按目录声明的字段类型和规则对数据进行清洗、校验和交叉"
        "比对；不符合要求的记录隔离存放，由数据提供部门核实更正。"
    ),
    (
        "第四条 数据提供部门应按目录声明的更新周期提供新版本。每日更新的数据按工作日计，"
        "其他周期按自然日计；逾期未更新的，平台在数据提供部门工作台提示，并计入及时性"
        "评分。"
    ),
    (
        "第五条 市数据局定期开展数据质量评估，综合完整性（30%）、准确性（40%）、一"
        "致性（20%）、及时性（10%）计算各数据资源得分，以部门所辖资源的平均分作为部"
        "门质量评分；每有一件逾期未答复的纠错工单扣 5 分，最多扣 30 分。"
    ),
    (
        "第六条 运营机构、数据局和其他部门发现数据错误的，可提交纠错工单。数据提供部门应"
        "在 5 个工作日内答复：数据有误的，上传更正后的数据（新版本）后标记“已更正”；"
        "数据无误的，写明不予更正的理由。"
    ),
    (
        "第七条 纠错工单经提交单位或市数据局认可更正结果或不予更正的理由后关闭。逾期未答"
        "复的，市数据局予以督办。"
    ),
    "第八条 本规则自发布之日起施行，由市数据局负责解释。",
)
BODY = "\n\n".join(ARTICLES)


def seed_rules(session: Session, *, clock: Clock) -> None:
    """Publish version 1, in force from today, unless a version exists already."""
    actor = Principal.system("demo")
    if rules.versions(session, actor=actor):
        return
    rules.publish(
        session,
        actor=actor,
        clock=clock,
        data=RulesCreate(title=TITLE, body=BODY, effective_on=local(clock.now()).date()),
    )
