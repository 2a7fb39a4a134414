"""One person (and their household): who, the year's claims, how the costs were shared, why flagged.

Opened from the drill-down with ``?year=…&household=…&person=<token>``; the token is
:func:`dashboard.data.person_token`, so the resident ID never appears in the URL or on the page
(only its mask, first 4 and last 4 characters).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, fmt
from dashboard.common import data_as_of, snapshot_or_stop
from dashboard.display import chart_text, code_label, keyed_label, md, region_name, rule_list
from dashboard.i18n import language, t
from dashboard.session import audit_once
from pipeline import auth
from pipeline.schema import mask_id

DRILL_PAGE = "views/drilldown.py"
ID_LENGTH = 18


def url_person(snapshot: str) -> data.Person | None:
    """The person the URL names; a full ID in an old link is swapped for its token."""
    key = st.query_params.get("person", "").strip()
    if not key:
        return None
    household = st.query_params.get("household") or None
    person = data.find_person(snapshot, key, household)
    if person is None and household:
        person = data.find_person(snapshot, key, None)
    if person is not None and len(key) == ID_LENGTH:
        st.query_params["person"] = data.person_token(person.person_id)
    return person


def person_year(snapshot: str, person: data.Person) -> int | None:
    """The URL's year when the person has it, else the person's latest year."""
    options = data.person_years(snapshot, person.person_id, person.village_code)
    if not options:
        return None
    raw = st.query_params.get("year", "")
    year = int(raw) if raw.isdigit() and int(raw) in options else options[0]
    column = st.columns([1, 4])[0]
    chosen = column.selectbox(t("drill.year"), options, index=options.index(year))
    if str(chosen) != raw:
        st.query_params["year"] = str(chosen)
    return chosen


def location(names: dict[str, str], village: str | None) -> str:
    """Province … village names of the person's village, or a dash."""
    if not village:
        return "—"
    codes = data.region_ancestors(village)[1:]
    return " › ".join(region_name(c, names.get(c)) for c in codes)


def header(
    snapshot: str, person: data.Person, year: int, row: dict | None, page: data.PersonPage | None
) -> None:
    """Masked ID, name, category, place, the year's OOP and watch-list status."""
    watch = page.watch if page else None
    masked = mask_id(person.person_id) or "—"
    st.markdown(f"### {md(person.name or '—')}\u3000`{masked}`")  # code span: * stay literal
    cols = st.columns(3)
    cols[0].metric(t("col.category"), code_label(snapshot, "category", person.category))
    cols[1].metric(t("person.oop", year=year), fmt.yuan(row["oop"] if row else None))
    status = (
        f"{keyed_label('severity', watch['severity'])} · {keyed_label('status', watch['status'])}"
        if watch
        else t("person.not_flagged")
    )
    cols[2].metric(t("person.status"), status)
    places = page.places if page else {}
    st.caption(f"{t('person.location')}：{md(location(places, person.village_code))}")
    place = person.household_id and person.village_code
    if place and st.button(t("person.back"), icon=":material/account_tree:", key="person.back"):
        st.switch_page(
            DRILL_PAGE,
            query_params={
                "year": str(year),
                "region": person.village_code,
                "household": person.household_id,
            },
        )


def members_table(
    snapshot: str, person: data.Person, year: int, members: pd.DataFrame | None
) -> None:
    """The household's people with their OOP and rules, this person marked."""
    if members is None:
        return
    st.subheader(t("person.members", year=year))
    shown = pd.DataFrame(
        {
            t("col.person_id"): [
                ("▶ " if p == person.person_id else "") + (mask_id(p) or "")
                for p in members["person_id"]
            ],
            t("col.person_name"): members["name"],
            t("col.relation"): members["relation"].fillna("—"),
            t("col.category"): [code_label(snapshot, "category", c) for c in members["category"]],
            t("col.oop"): [fmt.yuan(v) for v in members["oop"]],
            t("col.rules"): [rule_list(r) for r in members["rules"]],
        }
    )
    config = {t("col.oop"): st.column_config.TextColumn(alignment="right")}
    st.dataframe(shown, hide_index=True, column_config=config)


def timeline(snapshot: str, claims: pd.DataFrame, year: int) -> None:
    """Each claim's OOP by settle date, coloured by visit type."""
    chart = pd.DataFrame(
        {
            "date": pd.to_datetime(claims["settle_date"]),
            "oop": [float(v) for v in claims["oop"]],
            "visit": [code_label(snapshot, "visit_type", v) for v in claims["visit_type"]],
            "total": [fmt.yuan(v) for v in claims["total_cost"]],
            "hospital": [chart_text(v) for v in claims["hospital"].fillna("—")],
            "diagnosis": [chart_text(v) for v in claims["diagnosis"].fillna("—")],
        }
    )
    fig = px.scatter(
        chart,
        x="date",
        y="oop",
        color="visit",
        hover_data={"total": True, "hospital": True, "diagnosis": True},
        labels={
            "date": t("col.settle_date"),
            "oop": t("fund.oop"),
            "visit": t("col.visit_type"),
            "total": t("fund.total_cost"),
            "hospital": t("col.hospital"),
            "diagnosis": t("col.diagnosis"),
        },
        title=t("person.timeline", year=year),
    )
    fig.update_traces(marker={"size": 10, "opacity": 0.8})
    fig.update_layout(
        margin={"t": 48, "b": 8, "l": 8, "r": 8},
        height=380,
        legend={"orientation": "h", "y": -0.2},
    )
    st.plotly_chart(fig)


def waterfall_values(row: dict) -> list[Decimal]:
    """Total cost, then each fund's payment (negative), then OOP: the waterfall's bars."""
    paid = [Decimal(row[k]) for k in data.FUND_LAYERS[1:-1]]
    return [Decimal(row["total_cost"]), *(-v for v in paid), Decimal(row["oop"])]


def waterfall(row: dict, year: int) -> None:
    """Total cost → basic → critical → assistance → other → OOP for the year."""
    values = waterfall_values(row)
    labels = [t(f"fund.{k}") for k in data.FUND_LAYERS]
    fig = go.Figure(
        go.Waterfall(
            x=labels,
            y=[float(v) for v in values],
            measure=["absolute", "relative", "relative", "relative", "relative", "total"],
            text=[fmt.yuan(abs(v)) for v in values],
            textposition="outside",
            connector={"line": {"color": "#999"}},
            increasing={"marker": {"color": "#d62728"}},
            decreasing={"marker": {"color": "#2ca02c"}},
            totals={"marker": {"color": "#d62728"}},
        )
    )
    top = float(max(values[0], values[-1], Decimal(1)))
    fig.update_layout(
        title=t("person.waterfall", year=year),
        margin={"t": 48, "b": 8, "l": 8, "r": 8},
        height=380,
        showlegend=False,
        yaxis={"range": [0, top * 1.18], "title": "¥"},
    )
    st.plotly_chart(fig)


def rules_fired(flags: pd.DataFrame, year: int) -> None:
    """The rules that put the person on the current list, each with its explanation."""
    st.subheader(t("person.rules"))
    if flags.empty:
        st.info(t("person.rules.none", year=year))
        return
    explain = "explain_zh" if language() == "zh" else "explain_en"
    for rule, severity, threshold, text in zip(
        flags["rule_id"], flags["severity"], flags["threshold"], flags[explain], strict=True
    ):
        parts = [
            f"**{keyed_label('rule', rule)}**",
            f"{t('col.severity')} {keyed_label('severity', severity)}",
        ]
        if pd.notna(threshold):
            parts.append(f"{t('col.threshold')} {fmt.yuan(threshold)}")
        st.markdown(f"- {' · '.join(parts)}  \n  {md(text)}")


def history(runs: pd.DataFrame, changes: pd.DataFrame) -> None:
    """Run by run: on the list or not, with which rules; then entries and exits with reasons."""
    st.subheader(t("person.history"))
    shown = pd.DataFrame(
        {
            t("col.evaluated_at"): [fmt.when(v) for v in runs["evaluated_at"]],
            t("col.as_of"): [str(v) if v is not None else "—" for v in runs["as_of"]],
            t("col.on_list"): [t("yes") if v else t("no") for v in runs["on_list"]],
            t("col.rules"): [rule_list(r) for r in runs["rules"]],
            t("col.severity"): [keyed_label("severity", s) if s else "" for s in runs["severity"]],
            t("col.oop"): [fmt.yuan(v) if v is not None else "" for v in runs["oop"]],
        }
    )
    st.dataframe(shown, hide_index=True)
    st.subheader(t("person.changes"))
    if changes.empty:
        st.caption(t("person.changes.none"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("col.evaluated_at"): [fmt.when(v) for v in changes["evaluated_at"]],
                t("col.change"): [keyed_label("change", c) for c in changes["change"]],
                t("col.reason"): [keyed_label("reason", r) if r else "" for r in changes["reason"]],
                t("col.rules"): [rule_list(r) for r in changes["rules_before"]],
                t("col.oop_before"): [
                    fmt.yuan(v) if v is not None else "" for v in changes["oop_before"]
                ],
                t("col.oop_now"): [
                    fmt.yuan(v) if v is not None else "" for v in changes["oop_now"]
                ],
            }
        ),
        hide_index=True,
    )


def money(value: Decimal | None) -> str:
    """Exact ¥ text, or empty when there is no amount."""
    return "" if value is None or pd.isna(value) else fmt.yuan(value)


def claims_table(snapshot: str, claims: pd.DataFrame) -> None:
    """The year's claims in force, money as exact text."""
    with st.expander(t("person.claims")):
        shown = pd.DataFrame(
            {
                t("col.settle_date"): [str(d) for d in claims["settle_date"]],
                t("col.visit_type"): [
                    code_label(snapshot, "visit_type", v) for v in claims["visit_type"]
                ],
                **{t(f"fund.{k}"): [fmt.yuan(v) for v in claims[k]] for k in data.FUND_LAYERS},
                t("col.diagnosis"): claims["diagnosis"].fillna("—"),
                t("col.hospital"): claims["hospital"].fillna("—"),
            }
        )
        st.dataframe(shown, hide_index=True)


def main() -> None:
    """Render the page for the person the URL names."""
    st.title(t("person.title"))
    snapshot = snapshot_or_stop()
    data_as_of(snapshot)
    person = url_person(snapshot)
    if person is None:
        st.info(t("person.none") if "person" not in st.query_params else t("person.not_found"))
        return
    token = data.person_token(person.person_id)
    audit_once(
        auth.PERSON_VIEW, token, target=mask_id(person.person_id), detail=f"token {token}",
        filters={"region": person.village_code or "", "household": person.household_id},
    )  # fmt: skip
    year = person_year(snapshot, person)
    row = (
        data.person_year_row(snapshot, person.person_id, year, person.village_code)
        if year
        else None
    )
    page = (
        data.person_page(snapshot, person.person_id, year, person.village_code, person.household_id)
        if year
        else None
    )
    header(snapshot, person, year or 0, row, page)
    if year is None or page is None:
        return
    members_table(snapshot, person, year, page.members)
    claims = page.claims
    left, right = st.columns(2)
    with left:
        if claims.empty:
            st.info(t("person.no_claims", year=year))
        else:
            timeline(snapshot, claims, year)
    with right:
        if row is not None:
            waterfall(row, year)
    if not claims.empty:
        claims_table(snapshot, claims)
    rules_fired(page.flags, year)
    history(page.history, page.changes)


main()
