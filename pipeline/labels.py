"""Every label of the caseworker workbooks (export) and of reading them back (returns), zh and en.

One place, so the header a workbook is written with is the header its return is read by. Codes
(outcomes, statuses, severities, categories, reject reasons) stay English in the store; only the
files show labels.
"""

from __future__ import annotations

import re

from pipeline import schema

LANGS = ("zh", "en")
FORMAT_VERSION = "1"
HIDDEN_SHEET = "_oopwatch"

# Columns of the list, in order: key -> (zh, en). The follow-up columns come last.
LIST_COLUMNS: dict[str, tuple[str, str]] = {
    "case_key": ("案件编号", "Case key"),
    "id": ("身份证号（脱敏）", "Resident ID (masked)"),
    "name": ("姓名", "Name"),
    "household_id": ("户编号", "Household"),
    "village": ("村（社区）", "Village"),
    "category": ("人员类别", "Category"),
    "oop": ("年度个人负担（元）", "Annual OOP (yuan)"),
    "threshold": ("预警线（元）", "Threshold (yuan)"),
    "severity": ("风险等级", "Severity"),
    "rules": ("触发规则", "Rules"),
    "explain": ("预警说明", "Explanation"),
    "status": ("新增/持续", "New / continuing"),
    "first_flagged": ("首次预警日期", "First flagged"),
    "weeks_on_list": ("在名单周数", "Weeks on list"),
    "last_hospital": ("最近就诊机构", "Last hospital"),
    "last_diagnosis": ("最近诊断", "Last diagnosis"),
    "visit_date": ("走访日期", "Visit date"),
    "outcome": ("走访结果", "Outcome"),
    "assistance": ("救助金额（元）", "Assistance (yuan)"),
    "notes": ("备注", "Notes"),
}
FULL_ID_HEADER = ("身份证号", "Resident ID")
FOLLOW_UP = ("visit_date", "outcome", "assistance", "notes")

# Outcome codes of a visit (fixed): code -> (zh, en). Order is the drop-down's order.
OUTCOMES: dict[str, tuple[str, str]] = {
    "visited": ("已走访", "visited"),
    "assistance_applied": ("已申请救助", "assistance applied"),
    "assistance_granted": ("已获救助", "assistance granted"),
    "no_need": ("无需帮扶", "no need"),
    "unreachable": ("无法联系", "could not reach"),
    "moved": ("已迁出", "moved away"),
    "deceased": ("已故", "deceased"),
}

STATUSES: dict[str, tuple[str, str]] = {
    "new": ("新增", "New"),
    "continuing": ("持续", "Continuing"),
}
SEVERITIES: dict[str, tuple[str, str]] = {
    "high": ("高", "High"),
    "medium": ("中", "Medium"),
    "low": ("低", "Low"),
}
RULES: dict[str, tuple[str, str]] = {
    "oop_line": ("超过监测线", "Over the monitoring line"),
    "oop_income": ("超过收入比例", "Over the income share"),
    "projected": ("预计年内超线", "Projected over the line"),
    "household_burden": ("家庭负担过重", "Household burden"),
    "coverage_gap": ("未正常参保", "No active enrolment"),
}
CATEGORIES: dict[str, tuple[str, str]] = schema.CODES["category"]

SHEETS: dict[str, tuple[str, str]] = {
    "cover": ("封面", "Cover"),
    "list": ("名单", "Watch-list"),
    "unknown_region": ("未知地区", "Unknown region"),
}

COVER: dict[str, tuple[str, str]] = {
    "title": ("因病返贫风险预警名单（走访用）", "Poverty-return risk watch-list (for visits)"),
    "region": ("地区", "Region"),
    "year": ("年度", "Year"),
    "rows": ("名单人数", "People on this list"),
    "filters": ("筛选条件", "Filters"),
    "fingerprint": ("预警规则版本", "Rules fingerprint"),
    "run": ("预警批次", "Rule run"),
    "data_as_of": ("数据截至（最近一次导入）", "Data as of (last import)"),
    "claims_as_of": ("最近结算日期", "Latest settlement date"),
    "made_at": ("生成时间", "Made at"),
    "made_by": ("生成人", "Made by"),
    "ids": ("身份证号", "Resident IDs"),
    "ids_masked": ("已脱敏（仅显示前4位和后4位）", "masked (first 4 and last 4 shown)"),
    "ids_full": ("完整（含个人敏感信息，请妥善保管）", "FULL (personal data: keep it safe)"),
    "export_id": ("导出编号", "Export id"),
    "new_since": ("较上次导出新增人数", "New since the last export"),
    "first_export": ("（本地区本年度首次导出）", "(first export of this region and year)"),
    "previous": ("上次导出", "Previous export"),
    "by_severity": ("按风险等级", "By severity"),
    "by_rule": ("按预警规则（一人可触发多条）", "By rule (one person may fire several)"),
    "sheets": ("分表", "Sheets"),
    "all_regions": ("全国", "Nationwide"),
    "all": ("全部", "all"),
    "how": (
        "请在名单右侧浅黄色列填写走访日期、走访结果（下拉选择）、救助金额和备注，"
        "保存后交回，用 oopwatch returns 导入。可排序、筛选或删除行，请勿修改案件编号。",
        "Fill in the light-yellow columns on the right (visit date, outcome from the drop-down, "
        "assistance, notes), save and hand the file back for `oopwatch returns`. Sorting, "
        "filtering and deleting rows is fine; do not change the case keys.",
    ),
}

# Why a returned row was not loaded: code -> (zh, en).
RETURN_REASONS: dict[str, tuple[str, str]] = {
    "unknown_key": ("案件编号无法识别", "case key not known"),
    "formula_without_value": (
        "单元格为公式且未保存计算结果，请在 Excel 或 WPS 中打开并保存，或直接填写数值",
        "a formula with no saved value: open and save the file in Excel or WPS, or type the value",
    ),
    "bad_visit_date": ("走访日期无法识别", "visit date not a date"),
    "future_visit_date": ("走访日期晚于今天", "visit date in the future"),
    "unknown_outcome": ("走访结果不是规定选项", "outcome not one of the fixed options"),
    "missing_outcome": ("已填写走访信息但缺少走访结果", "follow-up filled in but no outcome"),
    "bad_amount": ("救助金额不是最多两位小数的数字", "amount not a number with ≤ 2 decimals"),
    "negative_amount": ("救助金额为负数", "amount below zero"),
}

STAGES: dict[str, tuple[str, str]] = {
    "flagged": ("已预警", "flagged"),
    "exported": ("已下发", "exported"),
    "visited": ("已走访", "visited"),
    "helped": ("已帮扶", "helped"),
}


def label(table: dict[str, tuple[str, str]], code: str | None, lang: str) -> str:
    """The label of ``code`` in ``lang``; the code itself when the table does not know it."""
    if code is None:
        return ""
    pair = table.get(code)
    if pair is None:
        return code
    return pair[0] if lang == "zh" else pair[1]


def header(key: str, lang: str, full_ids: bool = False) -> str:
    """A list column's header in ``lang``."""
    pair = FULL_ID_HEADER if key == "id" and full_ids else LIST_COLUMNS[key]
    return pair[0] if lang == "zh" else pair[1]


def normalise_header(text: object) -> str:
    """A header as returns compare it: no bracketed unit, no spaces, case-folded."""
    value = re.sub(r"[（(][^）)]*[）)]", "", str(text or ""))
    return re.sub(r"[\s_]+", "", value).casefold()


def header_keys() -> dict[str, str]:
    """Every accepted header (zh or en, normalised) -> the list column's key."""
    out = {}
    for key, (zh, en) in LIST_COLUMNS.items():
        out[normalise_header(zh)] = key
        out[normalise_header(en)] = key
    for text in FULL_ID_HEADER:
        out[normalise_header(text)] = "id"
    return out
