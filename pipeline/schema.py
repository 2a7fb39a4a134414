"""The three extracts of CONTRACT.md section 1: columns, Chinese headers and code labels.

This module is the single place that knows the contract's column names. The reader uses it to map
headers, the loader to build staging tables, the generator to write extracts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("roster", "enrolment", "claims")


@dataclass(frozen=True)
class Column:
    """One contract column of an extract."""

    name: str
    zh: str
    required: bool = False
    typed: bool = False  # parsed by a cast (amount, date, year), which ignores surrounding spaces


ROSTER = (
    Column("person_id", "身份证号", True),
    Column("name", "姓名", True),
    Column("household_id", "户编号", True),
    Column("relation", "与户主关系"),
    Column("village_code", "村级区划代码", True),
    Column("village_name", "村(社区)名称"),
    Column("category", "人员类别", True),
    Column("household_income", "家庭年收入", typed=True),
    Column("risk_cause", "主要风险类型"),
    Column("phone", "联系电话"),  # v1.1: personal data, masked on screen
    Column("category_since", "认定日期", typed=True),  # v1.1: the date the category took effect
)

ENROLMENT = (
    Column("person_id", "身份证号", True),
    Column("year", "参保年度", True, typed=True),
    Column("scheme", "险种类型", True),
    Column("status", "参保状态", True),
    Column("subsidy", "资助参保金额", typed=True),
    Column("name", "姓名"),
    Column("household_id", "户编号"),
    Column("village_code", "村级区划代码"),
)

CLAIMS = (
    Column("claim_id", "结算流水号", True),
    Column("person_id", "身份证号", True),
    Column("settle_date", "结算日期", True, typed=True),
    Column("visit_type", "就诊类型", True),
    Column("total_cost", "医疗总费用", True, typed=True),
    Column("basic_paid", "基本医保统筹支付", True, typed=True),
    Column("critical_paid", "大病保险支付", True, typed=True),
    Column("assistance_paid", "医疗救助支付", True, typed=True),
    Column("other_paid", "其他保障支付", typed=True),
    Column("in_scope_cost", "政策范围内费用", typed=True),
    Column("diagnosis", "主要诊断编码"),
    Column("hospital", "定点医疗机构"),
    Column("reverses", "冲销原流水号"),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "roster": ROSTER,
    "enrolment": ENROLMENT,
    "claims": CLAIMS,
}

# Code domains: English code -> (Chinese label, English label). Order is display order.
CODES: dict[str, dict[str, tuple[str, str]]] = {
    "category": {
        "destitute": ("特困人员", "Destitute"),
        "dibao": ("低保对象", "Dibao"),  # minimum living guarantee: short, for tables at 1024 px
        "dibao_edge": ("低保边缘人口", "Dibao edge"),
        "monitored": ("防止返贫监测对象", "Monitored"),  # for return to poverty
        "out_of_poverty": ("脱贫人口", "Out of poverty"),
        "general": ("普通参保人员", "General insured"),
    },
    "visit_type": {
        "inpatient": ("住院", "Inpatient"),
        "outpatient": ("普通门诊", "Outpatient"),
        "chronic": ("门诊慢特病", "Chronic / special outpatient"),
        "pharmacy": ("定点药店购药", "Designated pharmacy"),
    },
    "scheme": {
        "residents": ("城乡居民医保", "Urban and rural residents"),
        "employees": ("职工医保", "Employees"),
    },
    "status": {
        "active": ("正常参保", "Active"),
        "suspended": ("暂停参保", "Suspended"),
        "ended": ("终止参保", "Ended"),
    },
}

# Which columns of which extract carry a coded value.
CODED_COLUMNS: dict[str, dict[str, str]] = {
    "roster": {"category": "category"},
    "enrolment": {"scheme": "scheme", "status": "status"},
    "claims": {"visit_type": "visit_type"},
}


def header_map(kind: str) -> dict[str, str]:
    """Map every accepted header (English or Chinese, case-folded) to its canonical name."""
    out: dict[str, str] = {}
    for col in COLUMNS[kind]:
        out[col.name.lower()] = col.name
        out[col.zh] = col.name
    return out


def required(kind: str) -> list[str]:
    """Canonical names of the required columns of an extract."""
    return [c.name for c in COLUMNS[kind] if c.required]


def kind_of(filename: str) -> str | None:
    """Tell an extract's kind from its file name's prefix: roster, enrolment or claims."""
    base = filename.rsplit("/", 1)[-1].lower()
    for kind in KINDS:
        if base.startswith(kind):
            return kind
    # Accept the common US spelling too; the contract's name is "enrolment".
    if base.startswith("enrollment"):
        return "enrolment"
    return None


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """GB 11643 check character for the first 17 digits of a resident ID."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def mask_id(person_id: str | None) -> str | None:
    """Mask a resident ID for display: first 4 and last 4 characters kept."""
    if person_id is None:
        return None
    if len(person_id) <= 8:
        return "*" * len(person_id)
    return person_id[:4] + "*" * (len(person_id) - 8) + person_id[-4:]


def mask_phone(phone: str | None) -> str | None:
    """Mask a phone number for display: ``13800000001`` -> ``138****0001``."""
    if not phone:
        return None
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


_ID_RUN = re.compile(r"\d{14,17}[0-9Xx]")


def mask_text(text: str | None) -> str | None:
    """Every resident-ID-like run (15 to 18 characters) in ``text`` masked like :func:`mask_id`."""
    if text is None:
        return None
    return _ID_RUN.sub(lambda m: mask_id(m.group(0)) or "", text)


class MaskedError(Exception):
    """An error whose message is printed, logged or shown: resident IDs in it are masked."""

    def __init__(self, message: str) -> None:
        super().__init__(mask_text(message))
