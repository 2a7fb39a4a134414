"""The search box in every page's sidebar: from a name, a resident ID (full or as masked on a
list) or a household number to the person, inside the drill-down. Only people of the user's
own region are found; viewers (who see no names) get no search."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.i18n import t
from dashboard.ui import code_label, keyed_label, md
from pipeline.schema import mask_id

KEY = "search.text"


def result_label(snapshot: str, row: dict) -> str:
    """``张三 2301**********123X · 王家镇 高家村 · 低保对象``: tells namesakes apart."""
    place = " ".join(p for p in (row["township"], row["village"]) if p)
    parts = [
        f"{md(row['name'] or '—')} {mask_id(row['person_id'])}",
        md(place or "—"),
        code_label(snapshot, "category", row["category"]),
    ]
    if row["severity"]:
        parts.append(t("search.listed", severity=keyed_label("sev", row["severity"])))
    return " · ".join(parts)


def target(row: dict, year: int | None) -> tuple[str, dict[str, str]]:
    """Where a result opens: the person inside the drill-down (village › household › person),
    or the person page for someone with no household or village on record."""
    params = {"year": str(year or ""), "person": row["token"]}
    if row["household_id"] and row["village_code"]:
        place = {"region": row["village_code"], "household": row["household_id"]}
        return "views/drilldown.py", {**params, **place}
    return "views/person.py", params


def sidebar_search() -> None:
    """The search box and its results (links into the drill-down) in the sidebar."""
    who = data.access()
    if not who.sees_names:
        return
    try:
        snapshot = data.current()
    except data.NoSnapshot:
        return
    with st.sidebar:
        text = st.text_input(
            t("search.label"), key=KEY, placeholder=t("search.placeholder"),
            help=t("search.help"), icon=":material/search:",
        )  # fmt: skip
        if not text.strip():
            return
        year = data.default_year(snapshot)
        found, more = data.search_people(snapshot, text.strip(), who.scope, year)
        if found.empty:
            st.caption(t("search.none"))
            return
        for row in found.to_dict("records"):
            page, params = target(row, year)
            st.page_link(page, label=result_label(snapshot, row), query_params=params)
        if more:
            st.caption(t("search.more", n=data.SEARCH_LIMIT))
