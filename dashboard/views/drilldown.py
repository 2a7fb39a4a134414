"""Drill-down: national → province → city → county → township → village → household → person.

One level at a time. Where the user is lives in the URL (``?year=2026&region=230224101201&
household=…&person=<token>``), so a pasted link opens the same place; choosing a row moves one
level down. The person is drawn here too (:mod:`dashboard.views.personview`), not on another page: a
page switch costs the browser about 0.4 s more per click.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import data, ui
from dashboard.i18n import language, t
from dashboard.session import audit_once, forget_look
from dashboard.ui import (
    chart_text,
    code_label,
    data_as_of,
    keyed_label,
    md,
    pct,
    refuse,
    region_name,
    rule_list,
    snapshot_or_stop,
)
from dashboard.views import personview
from pipeline.access import auth
from pipeline.schema import mask_id

CHART_ROWS = 20
CLICK = ["single-row", "single-cell"]  # a click on a row's marker or on any of its cells opens it


# ---------------------------------------------------------------- where we are (the URL)


def url_year(snapshot: str) -> int | None:
    """The year the URL names when the store has it, else the default year."""
    options = data.years(snapshot)
    raw = st.query_params.get("year", "")
    if raw.isdigit() and int(raw) in options:
        return int(raw)
    return data.default_year(snapshot)


def url_region(who: auth.Access) -> str:
    """The region code the URL names; none (or a malformed one) is the user's own region."""
    code = st.query_params.get("region", "").strip()
    return code if code and data.region_level(code) is not None else who.scope


def set_view(**params: str | int | None) -> None:
    """Change the URL's view state (None or '' removes a key); also a widget callback."""
    for key, value in params.items():
        if value is None or value == "":
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = str(value)


def go(**params: str | int | None) -> None:
    """Change the URL's view state and rerun there."""
    set_view(**params)
    st.rerun()


def picked(key: str, values: list[str]) -> str | None:
    """The value a table row (a row or any cell of it clicked) or a "go to" select under ``key``
    chose."""
    state = st.session_state.get(key)
    if state is None or isinstance(state, str):
        return state
    selection = state["selection"]
    rows = selection.get("rows") or [cell[0] for cell in selection.get("cells") or []]
    return values[int(rows[0])] if rows else None


def on_pick(key: str, values: list[str], param: str, **also: str | None) -> None:
    """Callback of a table or select: the choice goes into the URL before the rerun, so that
    one run draws the level below (not the old level again and then the new one)."""
    value = picked(key, values)
    if value:
        set_view(**{param: value}, **also)


def year_selector(snapshot: str, year: int) -> int:
    """The year picker; a change is written to the URL."""
    options = data.years(snapshot)
    column = st.columns([1, 4])[0]
    chosen = column.selectbox(t("drill.year"), options, index=options.index(year))
    if chosen != year:
        go(year=chosen)
    return chosen


# ---------------------------------------------------------------- breadcrumb and figures


def breadcrumb(
    path: pd.DataFrame, code: str, household: str | None, scope: str, person: str | None = None
) -> None:
    """全国 › 黑龙江省 › … › household › person (from the user's own region down) with every
    step but the last a button back to it."""
    names = dict(zip(path["code"], path["name"], strict=True))
    codes = [c for c in data.region_ancestors(code) if len(c) >= len(scope)]
    steps = [(c, region_name(c, names.get(c))) for c in codes]
    last = len(steps) - 1 if household is None else len(steps)
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        for i, (step_code, name) in enumerate(steps):
            if i:
                st.markdown("›")
            if i == last:
                st.markdown(f"**{md(name)}**")
            elif st.button(md(name), key=f"crumb.{step_code}", type="tertiary"):
                go(region=step_code, household=None, person=None)
        if household is not None:
            st.markdown("›")
            label = md(t("drill.household", id=household))
            if person is None:
                st.markdown(f"**{label}**")
            elif st.button(label, key="crumb.household", type="tertiary"):
                go(person=None)
        if person is not None:
            st.markdown("›")
            st.markdown(f"**{md(person)}**")


def region_metrics(row: pd.Series) -> None:
    """Headline figures of the region in view."""
    cols = ui.metric_cells(6)
    cols[0].metric(t("col.people"), ui.count(int(row["people"])))
    cols[1].metric(t("col.flagged"), ui.count(int(row["flagged"])))
    cols[2].metric(t("col.flag_rate"), pct(row["flag_rate"]))
    cols[3].metric(t("col.oop"), ui.yuan(row["oop"]))
    cols[4].metric(t("col.oop_median"), ui.yuan(row["oop_median"]))
    cols[5].metric(t("col.participation"), pct(row["participation"]))


def go_to(
    label: str, options: list[str], names: list[str], key: str, on_change: Callable[..., None],
    kwargs: dict[str, object],
) -> None:  # fmt: skip
    """A "go to" select (the keyboard and test path, next to clicking a row); ``on_change`` is
    called with ``key`` (its state key), ``options`` and ``kwargs``."""
    by_value = dict(zip(options, names, strict=True))
    key = f"{key}.{language()}"  # labels differ by language: a fresh widget for each
    st.selectbox(
        label,
        [None, *options],
        format_func=lambda v: t("drill.choose") if v is None else by_value[v],
        key=key,
        on_change=on_change,
        args=(key, options),
        kwargs=kwargs,
    )


# ---------------------------------------------------------------- region levels


def children_table(children: pd.DataFrame, key: str) -> None:
    """The child regions as a table; picking a row opens it."""
    shown = pd.DataFrame(
        {
            t("col.name"): [
                region_name(c, n) for c, n in zip(children["code"], children["name"], strict=True)
            ],
            t("col.people"): children["people"],
            t("col.flagged"): children["flagged"],
            t("col.flagged_new"): children["flagged_new"],
            t("col.flag_rate"): [pct(v) for v in children["flag_rate"]],
            t("col.oop"): [ui.yuan(v) for v in children["oop"]],
            t("col.oop_median"): [ui.yuan(v) for v in children["oop_median"]],
            t("col.participation"): [pct(v) for v in children["participation"]],
            t("assist.shortfall"): [
                ui.yuan(v) if not ui.missing(v) else "—" for v in children["shortfall"]
            ],
        }
    )
    right = st.column_config.TextColumn(alignment="right")
    config = {
        # the name stays in view while a narrow window scrolls the figures sideways
        t("col.name"): st.column_config.TextColumn(pinned=True),
        t("col.people"): st.column_config.NumberColumn(format="localized"),
        t("col.flagged"): st.column_config.NumberColumn(format="localized"),
        t("col.flagged_new"): st.column_config.NumberColumn(format="localized"),
        **{t(c): right for c in ("col.flag_rate", "col.oop", "col.oop_median")},
        t("col.participation"): right,
        t("assist.shortfall"): right,
    }
    codes = [str(c) for c in children["code"]]
    st.dataframe(
        shown,
        hide_index=True,
        column_config=config,
        on_select=lambda: on_pick(key, codes, "region", household=None),
        selection_mode=CLICK,
        key=key,
    )


def flagged_chart(names: list[str], flagged: list[int], title: str) -> None:
    """Horizontal bars of flagged people, the most first (at most CHART_ROWS bars)."""
    shown = [chart_text(n) for n in names]
    chart = pd.DataFrame({"name": shown, "flagged": flagged}).head(CHART_ROWS)
    fig = px.bar(
        chart.iloc[::-1],
        x="flagged",
        y="name",
        orientation="h",
        labels={"name": "", "flagged": t("col.flagged")},
        title=title,
        text="flagged",
    )
    fig.update_layout(
        margin={"t": 48, "b": 8, "l": 8, "r": 8}, height=max(240, 60 + 26 * len(chart))
    )
    if chart["flagged"].max() <= 10:
        fig.update_xaxes(dtick=1)
    st.plotly_chart(fig)


def region_level_view(snapshot: str, year: int, code: str) -> None:
    """Provinces … villages below ``code``: table and chart, and the way down."""
    children = data.region_children(snapshot, year, code)
    if children.empty:
        st.info(t("drill.empty", year=year))
        return
    level = int(children["level"].iloc[0])
    heading = t(f"drill.children.{level}")
    st.subheader(heading)
    st.caption(t("drill.hint"))
    names = [region_name(c, n) for c, n in zip(children["code"], children["name"], strict=True)]
    # the table the page's width, the chart under it: side by side, a 1024-pixel window cut
    # the table's columns and the chart's title
    children_table(children, key=f"drill.table.{year}.{code}")
    go_to(
        t("drill.go"), list(children["code"]), names, key=f"drill.go.{year}.{code}",
        on_change=on_pick, kwargs={"param": "region", "household": None},
    )  # fmt: skip
    flagged_chart(names, list(children["flagged"]), t("drill.chart", what=heading))


# ---------------------------------------------------------------- village and household


def village_view(snapshot: str, year: int, code: str) -> None:
    """The households of a village; choosing one opens its members."""
    households = data.village_households(snapshot, year, code)
    if households.empty:
        st.info(t("drill.empty", year=year))
        return
    st.subheader(t("drill.households"))
    if not data.access().sees_names:  # viewers: households without ids, no way further down
        viewer_households(households)
        return
    st.caption(t("drill.hint"))
    shown = households_table(households, with_ids=True)
    right = st.column_config.TextColumn(alignment="right")
    ids = [str(h) for h in households["household_id"]]
    table_key = f"drill.households.{year}.{code}"
    st.dataframe(
        shown,
        hide_index=True,
        column_config={t("col.household_oop"): right, t("col.income"): right},
        on_select=lambda: on_pick(table_key, ids, "household"),
        selection_mode=CLICK,
        key=table_key,
    )
    go_to(
        t("drill.go.household"), ids, ids, key=f"drill.go.hh.{year}.{code}",
        on_change=on_pick, kwargs={"param": "household"},
    )  # fmt: skip
    household_chart(households)


def households_table(households: pd.DataFrame, with_ids: bool) -> pd.DataFrame:
    """A village's households as shown: members, household OOP, income, flagged members (and
    the household ids, for those who may see them)."""
    unknown = t("drill.income_unknown")
    incomes = zip(households["household_income"], households["income_known"], strict=True)
    columns = {t("col.household"): households["household_id"]} if with_ids else {}
    columns |= {
        t("col.members"): households["members"],
        t("col.household_oop"): [ui.yuan(v) for v in households["household_oop"]],
        t("col.income"): [ui.yuan(v) if known else unknown for v, known in incomes],
        t("col.flagged_members"): households["flagged_members"],
        t("col.new_members"): households["new_members"],
    }
    return pd.DataFrame(columns)


def viewer_households(households: pd.DataFrame) -> None:
    """A village's households as a viewer sees them: figures only, no household ids."""
    st.caption(t("drill.no_households"))
    st.dataframe(households_table(households, with_ids=False), hide_index=True)


def household_chart(households: pd.DataFrame) -> None:
    """Bars of household OOP for the households with the most flagged members."""
    top = households.head(CHART_ROWS)
    chart = pd.DataFrame(
        {
            "household": [chart_text(h) for h in top["household_id"]],
            "oop": [float(v or 0) for v in top["household_oop"]],
            "flagged": top["flagged_members"],
        }
    )
    fig = px.bar(
        chart.iloc[::-1],
        x="oop",
        y="household",
        orientation="h",
        color="flagged",
        color_continuous_scale="Reds",
        range_color=[0, max(1, int(chart["flagged"].max()))],
        labels={
            "household": "",
            "oop": t("col.household_oop"),
            "flagged": t("col.flagged_members"),
        },
        title=t("drill.chart.households", n=len(chart)),
    )
    fig.update_layout(
        margin={"t": 48, "b": 8, "l": 8, "r": 8},
        height=max(240, 60 + 26 * len(chart)),
        yaxis={"type": "category"},
    )
    st.plotly_chart(fig)


def household_metrics(snapshot: str, year: int, household: str, members: pd.DataFrame) -> None:
    """Headline figures of the household in view."""
    row = data.household_year_row(snapshot, year, household) or {}
    income = row.get("household_income")
    cols = ui.metric_cells(4)
    cols[0].metric(t("col.members"), ui.count(len(members)))
    cols[1].metric(t("col.flagged_members"), ui.count(int(members["rules"].notna().sum())))
    cols[2].metric(t("col.household_oop"), ui.yuan(row.get("household_oop")))
    cols[3].metric(
        t("col.income"), ui.yuan(income) if income is not None else t("drill.income_unknown")
    )


def household_view(snapshot: str, year: int, household: str, village: str) -> None:
    """The people of a household of ``village``; choosing one opens the person page."""
    members = data.household_members(snapshot, year, household, village)
    if members.empty:
        st.info(t("drill.unknown_household", year=year, id=md(household)))
        return
    audit_once(auth.HOUSEHOLD_VIEW, household, target=household, rows=len(members),
               filters={"year": year, "region": village})  # fmt: skip
    household_metrics(snapshot, year, household, members)
    st.subheader(t("drill.members"))
    masked = [mask_id(p) or "" for p in members["person_id"]]
    shown = pd.DataFrame(
        {
            t("col.person_id"): masked,
            t("col.person_name"): members["name"],
            t("col.relation"): [keyed_label("relation", r) for r in members["relation"]],
            t("col.category"): [code_label(snapshot, "category", c) for c in members["category"]],
            t("col.oop"): [ui.yuan(v) for v in members["oop"]],
            t("col.status"): [
                keyed_label("status", s) if not ui.missing(s) else "" for s in members["status"]
            ],
            t("col.rules"): [rule_list(r) for r in members["rules"]],
            t("col.why"): [
                "" if ui.missing(v) else v
                for v in members["explain_zh" if language() == "zh" else "explain_en"]
            ],
        }
    )
    tokens = [data.person_token(snapshot, p) for p in members["person_id"]]
    labels = [f"{n} ({m})" for n, m in zip(members["name"], masked, strict=True)]
    table_key = f"drill.members.{year}.{household}"
    target = {"year": str(year), "household": household}
    st.dataframe(
        shown,
        hide_index=True,
        column_config={t("col.oop"): st.column_config.TextColumn(alignment="right")},
        on_select=lambda: on_person(table_key, tokens, **target),
        selection_mode=CLICK,
        key=table_key,
    )
    go_to(
        t("drill.go.person"), tokens, labels, key=f"drill.go.person.{household}",
        on_change=on_person, kwargs=target,
    )  # fmt: skip


def on_person(key: str, tokens: list[str], **params: str) -> None:
    """Callback: the person picked goes into the URL; the run draws them below the household."""
    token = picked(key, tokens)
    if token:
        set_view(**params, person=token)


def url_member(snapshot: str, household: str, village: str) -> data.Person | None:
    """The member of the household in view that the URL's ``person`` names, if any."""
    token = st.query_params.get("person", "").strip()
    person = data.find_person(snapshot, token, household) if token else None
    if person is None or person.household_id != household or person.village_code != village:
        return None
    return person


# ---------------------------------------------------------------- page


def main() -> None:
    """Render the page at the place the URL names."""
    st.title(t("drill.title"))
    snapshot = snapshot_or_stop()
    data_as_of(snapshot)
    year = url_year(snapshot)
    if year is None:
        st.info(t("overview.no_data"))
        return
    if st.query_params.get("year") != str(year):
        st.query_params["year"] = str(year)  # a copied link keeps its year after new imports
    who = data.access()
    code = url_region(who)
    if not who.allows_region(code):  # a pasted or edited link to another region: nothing else
        refuse(data.OutOfScope(code))
    year = year_selector(snapshot, year)
    path = data.region_path(snapshot, year, code)
    if code != who.scope and code not in set(path["code"]):
        st.warning(t("drill.unknown_region", code=md(code)))
        code = who.scope
        path = data.region_path(snapshot, year, code)
    level = data.region_level(code) or 0
    household = st.query_params.get("household") if level == data.VILLAGE_LEVEL else None
    if not household:
        forget_look(auth.HOUSEHOLD_VIEW)
    person = url_member(snapshot, household, code) if household else None
    if person is None:
        forget_look(auth.PERSON_VIEW)
        if "person" in st.query_params:
            set_view(person=None)  # not a member of the household in view: show the household
    label = None if person is None else f"{person.name or '—'} {mask_id(person.person_id)}"
    breadcrumb(path, code, household, who.scope, label)
    here = path[path["code"] == code]
    if here.empty:
        st.info(t("drill.empty", year=year))
        return
    if not household:
        region_metrics(here.iloc[0])
    if person is not None:
        personview.show(snapshot, person, year)
    elif household:
        household_view(snapshot, year, household, code)
    elif level == data.VILLAGE_LEVEL:
        village_view(snapshot, year, code)
    else:
        region_level_view(snapshot, year, code)


main()
