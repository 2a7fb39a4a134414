"""Every label of the dashboard in Chinese and English; ``t(key)`` picks the session's language."""

from __future__ import annotations

import streamlit as st

LANGUAGES: dict[str, str] = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"
LANG_KEY = "lang"

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
        "zh": "数据截至 {when}（第 {n} 批导入）",
        "en": "Data as of {when} (import {n})",
    },
    "data.none": {
        "zh": "尚无数据：请先运行 `oopwatch ingest 文件或文件夹 --db {db}` 导入数据。",
        "en": "No data yet: run `oopwatch ingest PATH... --db {db}` to import extracts.",
    },
    "data.snapshot": {"zh": "快照：{name}", "en": "Snapshot: {name}"},
}


def language() -> str:
    """The language of this session (``zh`` unless switched)."""
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **values: object) -> str:
    """The label ``key`` in the session's language, with ``{name}`` fields filled in."""
    entry = LABELS[key]
    text = entry.get(language()) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def language_switch() -> None:
    """A sidebar control that switches the session's language."""
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = DEFAULT_LANGUAGE
    st.sidebar.radio(
        LABELS["app.language"]["zh"],
        options=list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key=LANG_KEY,
        horizontal=True,
    )
