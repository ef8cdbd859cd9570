"""The catalog's controlled vocabularies, each value with its zh-CN and English label."""

from __future__ import annotations

from typing import Final

from sluice.core.i18n import add_messages

DOMAINS: Final[dict[str, tuple[str, str]]] = {
    "governance": ("公共治理", "Public governance"),
    "welfare": ("公益事业", "Public welfare"),
    "industry:finance": ("金融服务", "Finance"),
    "industry:transport": ("交通物流", "Transport and logistics"),
    "industry:health": ("医疗健康", "Health care"),
    "industry:realestate": ("房地产与建设", "Real estate and construction"),
    "industry:energy": ("能源与公用事业", "Energy and utilities"),
    "industry:agriculture": ("农业农村", "Agriculture"),
    "industry:tourism": ("文化旅游", "Culture and tourism"),
    "industry:manufacturing": ("先进制造", "Manufacturing"),
    "industry:commerce": ("商贸流通", "Commerce"),
    "industry:maritime": ("港航物流", "Ports and shipping"),
}
UPDATE_FREQUENCIES: Final[dict[str, tuple[str, str]]] = {
    "realtime": ("实时", "Real time"),
    "daily": ("每日", "Daily"),
    "weekly": ("每周", "Weekly"),
    "monthly": ("每月", "Monthly"),
    "quarterly": ("每季度", "Quarterly"),
    "yearly": ("每年", "Yearly"),
    "irregular": ("不定期", "Irregular"),
}
OPEN_LEVELS: Final[dict[str, tuple[str, str]]] = {
    "open": ("无条件开放", "Open"),
    "conditional": ("有条件开放", "Conditionally open"),
    "closed": ("不予开放", "Not open"),
}
CLASSIFICATIONS: Final[dict[str, tuple[str, str]]] = {
    "population": ("人口信息", "Population"),
    "legal_entity": ("法人信息", "Legal entities"),
    "credit": ("信用信息", "Credit"),
    "certificate": ("电子证照", "Licences and certificates"),
    "geography": ("空间地理", "Geography"),
    "economy": ("宏观经济", "Economy"),
    "social": ("社会民生", "Social services"),
    "environment": ("生态环境", "Environment"),
    "transport": ("交通出行", "Transport"),
    "utilities": ("公用事业", "Utilities"),
}
#: 分级: the four grades common in Chinese public-data grading practice.
GRADES: Final[dict[str, tuple[str, str]]] = {
    "1": ("一级（公开）", "Grade 1 (public)"),
    "2": ("二级（内部）", "Grade 2 (internal)"),
    "3": ("三级（敏感）", "Grade 3 (sensitive)"),
    "4": ("四级（重要）", "Grade 4 (important)"),
}
ORIGINS: Final[dict[str, tuple[str, str]]] = {
    "own": ("本部门履职采集", "Collected in own duties"),
    "shared": ("经政务数据共享获取", "Obtained through government data sharing"),
}
FIELD_TYPES: Final[dict[str, tuple[str, str]]] = {
    "text": ("文本", "Text"),
    "int": ("整数", "Integer"),
    "decimal": ("小数", "Decimal"),
    "date": ("日期", "Date"),
    "datetime": ("日期时间", "Date and time"),
    "bool": ("是否", "Yes/no"),
    "enum": ("枚举", "Enumeration"),
    "id_number": ("居民身份证号码", "Resident ID number"),
    "uscc": ("统一社会信用代码", "Unified social credit code"),
    "mobile": ("手机号码", "Mobile number"),
    "plate": ("车牌号码", "Licence plate"),
    "address": ("地址", "Address"),
    "person_name": ("姓名", "Person name"),
}
#: Types that name a person or an enterprise: always ``identifier`` (DESIGN §4), as the
#: data plane's ``IDENTIFIER_TYPES`` (a test keeps the two lists equal).
PERSONAL_TYPES: Final = frozenset(
    {"id_number", "uscc", "mobile", "plate", "address", "person_name"}
)
FIELD_CLASSES: Final[dict[str, tuple[str, str]]] = {
    "public": ("公开", "Public"),
    "internal": ("内部", "Internal"),
    "sensitive": ("敏感", "Sensitive"),
    "identifier": ("标识符", "Identifier"),
}
VOCABULARIES: Final = {
    "domain": DOMAINS,
    "update_frequency": UPDATE_FREQUENCIES,
    "open_level": OPEN_LEVELS,
    "classification": CLASSIFICATIONS,
    "grade": GRADES,
    "origin": ORIGINS,
    "field_type": FIELD_TYPES,
    "field_class": FIELD_CLASSES,
}

#: A field's rules as its declaration names them (``FieldSpecIn``): shown, not chosen.
FIELD_RULES: Final[dict[str, tuple[str, str]]] = {
    "required": ("必填", "Required"),
    "unique": ("唯一", "Unique"),
    "values": ("可选值", "Allowed values"),
    "min": ("最小值", "Minimum"),
    "max": ("最大值", "Maximum"),
    "pattern": ("格式", "Pattern"),
    "masking": ("脱敏方式", "Masking"),
    "references": ("引用", "References"),
}

for _name, _values in {**VOCABULARIES, "field_rule": FIELD_RULES}.items():
    add_messages({f"vocab.{_name}.{code}": labels for code, labels in _values.items()})
add_messages(
    {
        "form.not_in_vocabulary": (
            "{field} 只能取以下值之一：{allowed}。",
            "{field} must be one of: {allowed}.",
        ),
        "form.identifier_class_required": (
            "字段“{field}”的类型为个人或企业标识（{type}），分类须为“标识符”（identifier），"
            "不能是“{klass}”。",
            "Field “{field}” has the personal type {type}: its class must be identifier, not "
            "“{klass}”.",
        ),
    }
)


def vocabulary_label(kind: str, code: str, locale: str) -> str:
    """A code's label in a vocabulary (``("grade", "3")`` → 三级（敏感）); an unknown code
    shows as itself (read leniently: older rows may hold codes since retired)."""
    labels = VOCABULARIES.get(kind, {}).get(code)
    if labels is None:
        return code
    return labels[1] if locale == "en" else labels[0]


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (batch numbers stay small)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def batch_title(number: int, locale: str) -> str:
    return f"第{chinese_number(number)}批" if locale != "en" else f"Batch {number}"
