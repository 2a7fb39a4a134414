"""Display helpers shared by the drill-down and person pages: code labels, rates, region names."""

from __future__ import annotations

import math
import re

from dashboard import data
from dashboard.i18n import LABELS, language, t


def missing(value: object) -> bool:
    """None, or the NaN pandas puts for a missing text in a string column."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def code_label(snapshot: str, domain: str, code: str | None) -> str:
    """The label of a code (category, visit type, …) in the session's language, else the code."""
    if missing(code):
        return "—"
    labels = data.code_labels(snapshot, domain).get(code)
    if labels is None:
        return code
    return labels[0] if language() == "zh" else labels[1]


def keyed_label(prefix: str, code: str | None) -> str:
    """``t(prefix + '.' + code)`` when such a label exists, else the code itself."""
    if missing(code):
        return "—"
    key = f"{prefix}.{code}"
    return t(key) if key in LABELS else code


def rule_list(rules: str | None) -> str:
    """``'oop_line;household_burden'`` -> the rules' names, joined for the session's language."""
    if missing(rules) or not rules:
        return ""
    sep = "、" if language() == "zh" else ", "
    return sep.join(keyed_label("rule", r) for r in rules.split(";") if r)


def pct(value: float | None) -> str:
    """A rate as a percentage with one decimal, or a dash when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.1f}%"


def region_name(code: str, name: str | None) -> str:
    """A division's name for display: national in the session's language, else name or code."""
    if code == "":
        return t("drill.national")
    return name or code


def reason_text(code: str) -> str:
    """What a reject reason code means, in the session's language (the code if unknown)."""
    from pipeline import schema

    for prefix in ("missing", "unknown"):
        if code.startswith(prefix + "_"):
            column = code[len(prefix) + 1 :]
            headers = {c.name: c.zh for cols in schema.COLUMNS.values() for c in cols}
            shown = headers.get(column, column) if language() == "zh" else column
            return t(f"reason.{prefix}", column=shown)
    return keyed_label("reason", code)


# What could turn text into markup: emphasis, code, links and images ([ ]), HTML and autolinks
# (< >), headings, tables, strike-through, LaTeX ($), Streamlit's :red[…] and :icon: (:), entities.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$:&])")


def md(text: object) -> str:
    """Text from the data (a name, a village, a household id) made safe to put in markdown:
    every character markdown, HTML or Streamlit's directives (``:red[…]``) would act on is
    escaped with a backslash, so it shows as typed and can never become a tag or a link."""
    if text is None:
        return ""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def chart_text(text: object) -> str:
    """Text from the data for a chart label or hover: Plotly reads a few HTML tags in labels,
    so ``& < >`` go in as entities and show as typed."""
    if text is None:
        return ""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
