"""Watch-list: the people the rules flag, filtered, with masked IDs and a CSV download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, fmt
from dashboard.common import data_as_of, snapshot_or_stop
from dashboard.i18n import LABELS, language, t
from dashboard.widgets import choice, region_selector


def rule_label(rule: str) -> str:
    """A rule id's label in the current language (the id itself for a rule we have no label of)."""
    return t(f"rule.{rule}") if f"rule.{rule}" in LABELS else rule


def rules_text(rules: str | None) -> str:
    """``oop_line;projected`` -> labels joined by a Chinese or English list separator."""
    sep = "、" if language() == "zh" else "; "
    return sep.join(rule_label(r) for r in (rules or "").split(";") if r)


def filters(snapshot: str) -> dict[str, object] | None:
    """The filter controls; None when the watch-list has no year at all."""
    years = data.watch_years(snapshot)
    if not years:
        return None
    top = st.columns(3)
    year = top[0].selectbox(t("wl.year"), years, key="wl.year")
    region = region_selector(snapshot, key="wl.region", container=top[1])
    categories = data.category_labels(snapshot, language())
    category = choice(
        t("wl.category"), list(categories), "wl.category", categories.get, container=top[2]
    )
    row = st.columns(3)
    rule = choice(t("wl.rule"), data.watch_rules(snapshot), "wl.rule", rule_label, row[0])
    severity = choice(
        t("wl.severity"), list(data.SEVERITIES), "wl.severity", lambda s: t(f"sev.{s}"), row[1]
    )
    status = choice(
        t("wl.status"), ["new", "continuing"], "wl.status", lambda s: t(f"status.{s}"), row[2]
    )
    return {
        "year": year, "region": region, "rule": rule,
        "severity": severity, "status": status, "category": category,
    }  # fmt: skip


def shown_table(frame: pd.DataFrame, snapshot: str) -> pd.DataFrame:
    """The rows as shown (and downloaded): labels in the current language, money as ¥ text."""
    lang = language()
    categories = data.category_labels(snapshot, lang)
    return pd.DataFrame(
        {
            t("wcol.person"): frame["person"],
            t("wcol.name"): frame["name"],
            t("wcol.village"): frame["village"],
            t("wcol.category"): [categories.get(c, c) for c in frame["category"]],
            t("wcol.oop"): [fmt.yuan(v) for v in frame["oop"]],
            t("wcol.threshold"): [fmt.yuan(v) if v is not None else "" for v in frame["threshold"]],
            t("wcol.rules"): [rules_text(r) for r in frame["rules"]],
            t("wcol.severity"): [t(f"sev.{s}") for s in frame["severity"]],
            t("wcol.status"): [t(f"status.{s}") for s in frame["status"]],
            t("wcol.weeks"): frame["weeks_on_list"],
            t("wcol.explain"): frame["explain_en" if lang == "en" else "explain_zh"],
        }
    )


def csv_bytes(table: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a BOM, so that Excel shows the Chinese."""
    return table.to_csv(index=False).encode("utf-8-sig")


def main() -> None:
    """Render the page."""
    st.title(t("wl.title"))
    snapshot = snapshot_or_stop()
    data_as_of(snapshot)
    chosen = filters(snapshot)
    if chosen is None:
        st.info(t("wl.none"))
        return
    frame, total = data.watchlist_page(snapshot, **chosen)
    if frame.empty:
        st.info(t("wl.empty"))
        return
    st.markdown(t("wl.count", total=fmt.count(total), shown=fmt.count(len(frame))))
    if total > len(frame):
        st.warning(t("wl.limited", shown=fmt.count(len(frame))))
    table = shown_table(frame, snapshot)
    money = [t("wcol.oop"), t("wcol.threshold")]
    config = {name: st.column_config.TextColumn(alignment="right") for name in money}
    height = 600 if len(table) > 16 else "auto"
    st.dataframe(table, hide_index=True, column_config=config, height=height)
    st.download_button(
        t("wl.download"),
        data=csv_bytes(table),
        file_name=f"watchlist_{chosen['year']}_{chosen['region'] or 'all'}.csv",
        mime="text/csv",
        key="wl.download",
    )


main()
