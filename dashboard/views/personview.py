"""One person (and their household): who, the year's claims, how the costs were shared, why flagged.

Drawn by the drill-down below a household (``?year=…&region=<village>&household=…&person=<token>``,
the same page, so a click draws the person without a page switch) and by the person page for a
link; the token is :func:`dashboard.data.person_token`, so the resident ID never appears in the URL
or on the page (only its mask, first 4 and last 4 characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, ui
from dashboard.i18n import language, t
from dashboard.session import audit_once
from dashboard.ui import (
    chart_text,
    code_label,
    data_as_of,
    keyed_label,
    md,
    region_name,
    rule_list,
    snapshot_or_stop,
)
from pipeline import labels
from pipeline.access import auth
from pipeline.schema import mask_id, mask_phone

DRILL_PAGE = "views/drilldown.py"
STATIC_PLOT = {"staticPlot": True}


def url_person(snapshot: str) -> data.Person | None:
    """The person the URL's token names (a resident ID in a link finds no one)."""
    key = st.query_params.get("person", "").strip()
    if not key:
        return None
    household = st.query_params.get("household") or None
    person = data.find_person(snapshot, key, household)
    if person is None and household:
        person = data.find_person(snapshot, key, None)
    return person


YEAR_KEY = "person.year"


def chosen_year(options: list[int]) -> int:
    """The URL's year if the person has it, else their latest (then put in the URL)."""
    raw = st.query_params.get("year", "")
    year = int(raw) if raw.isdigit() and int(raw) in options else options[0]
    if str(year) != raw:
        st.query_params["year"] = str(year)
    return year


def year_to_url() -> None:
    """The picker changed: the URL carries the year (read by :func:`chosen_year`)."""
    st.query_params["year"] = str(st.session_state[YEAR_KEY])


def year_picker(options: list[int], year: int) -> None:
    """The person's years, showing the URL's (a pasted link or the drill-down's year wins)."""
    if st.session_state.get(YEAR_KEY) != year:
        st.session_state[YEAR_KEY] = year
    column = st.columns([1, 4])[0]
    column.selectbox(t("drill.year"), options, key=YEAR_KEY, on_change=year_to_url)


def location(names: dict[str, str], village: str | None) -> str:
    """Province … village names of the person's village, or a dash."""
    if not village:
        return "—"
    codes = data.region_ancestors(village)[1:]
    return " › ".join(region_name(c, names.get(c)) for c in codes)


def header(
    snapshot: str,
    person: data.Person,
    year: int,
    loaded: Loaded | None,
    back: bool,
) -> None:
    """Masked ID, name, category, place, the year's OOP and watch-list status (and, on the
    person page, a button to the household in the drill-down)."""
    row = loaded.row if loaded else None
    page = loaded.page if loaded else None
    watch = page.watch if page else None
    masked = mask_id(person.person_id) or "—"
    st.markdown(f"### {md(person.name or '—')}\u3000`{masked}`")  # code span: * stay literal
    cols = ui.metric_cells(3)
    cols[0].metric(t("col.category"), code_label(snapshot, "category", person.category))
    decided = data.person_category_decision(snapshot, person.person_id)
    if decided and decided["decision"] != person.category:  # until the roster confirms it
        where = data.push_policy().department_label(str(decided["department"]), language())
        cols[0].caption(
            t("person.decided", decision=labels.label(labels.DECISIONS, decided["decision"],
                                                       language()),
              department=where, day=str(decided["decided_on"]))
        )  # fmt: skip
    cols[1].metric(t("person.oop", year=year), ui.yuan(row["oop"] if row else None))
    status = (
        f"{keyed_label('severity', watch['severity'])} · {keyed_label('status', watch['status'])}"
        if watch
        else t("person.not_flagged")
    )
    cols[2].metric(t("person.status"), status)
    places = page.places if page else {}
    where = f"{t('person.location')}：{md(location(places, person.village_code))}"
    if person.phone:  # masked like IDs: the number itself is in the caseworker's file
        where += f"　{t('person.phone')}：{mask_phone(person.phone)}"
    st.caption(where)
    place = back and person.household_id and person.village_code
    if place and st.button(t("person.back"), icon=":material/account_tree:", key="person.back"):
        st.switch_page(
            DRILL_PAGE,
            query_params={
                "year": str(year),
                "region": person.village_code,
                "household": person.household_id,
            },
        )


def diagnosis(code: object) -> str:
    """A diagnosis code with its ICD-10 title in the session's language (``—`` when none)."""
    return "—" if ui.missing(code) or not code else labels.diagnosis_text(str(code), language())


def members_frame(snapshot: str, person: data.Person, members: pd.DataFrame) -> pd.DataFrame:
    """The household's people with their OOP and rules, this person marked."""
    return pd.DataFrame(
        {
            t("col.person_id"): [
                ("▶ " if p == person.person_id else "") + (mask_id(p) or "")
                for p in members["person_id"]
            ],
            t("col.person_name"): members["name"],
            t("col.relation"): [keyed_label("relation", r) for r in members["relation"]],
            t("col.category"): [code_label(snapshot, "category", c) for c in members["category"]],
            t("col.oop"): [ui.yuan(v) for v in members["oop"]],
            t("col.rules"): [rule_list(r) for r in members["rules"]],
        }
    )


def timeline_figure(snapshot: str, claims: pd.DataFrame, year: int) -> go.Figure:
    """Each claim's OOP by settle date, coloured by visit type."""
    chart = pd.DataFrame(
        {
            "date": pd.to_datetime(claims["settle_date"]),
            "oop": [float(v) for v in claims["oop"]],
            "visit": [code_label(snapshot, "visit_type", v) for v in claims["visit_type"]],
            "total": [ui.yuan(v) for v in claims["total_cost"]],
            "hospital": [chart_text(v) for v in claims["hospital"].fillna("—")],
            "diagnosis": [chart_text(diagnosis(v)) for v in claims["diagnosis"]],
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
        # under the axis title, not over it (nor over the chart's title)
        legend={"orientation": "h", "y": -0.28, "yanchor": "top", "x": 0, "title": None},
    )
    return fig


def waterfall_values(row: dict) -> list[Decimal]:
    """Total cost, then each fund's payment (negative), then OOP: the waterfall's bars."""
    paid = [Decimal(row[k]) for k in data.FUND_LAYERS[1:-1]]
    return [Decimal(row["total_cost"]), *(-v for v in paid), Decimal(row["oop"])]


def waterfall_figure(row: dict, year: int, short: Decimal = Decimal(0)) -> go.Figure:
    """Total cost → basic → critical → assistance → other → OOP for the year; when the
    assistance policy owed more than was paid, then the part owed and not paid (应救未救) and
    the OOP the person would have had with it paid."""
    values = waterfall_values(row)
    labels = [t(f"fund.{k}") for k in data.FUND_LAYERS]
    measure = ["absolute", "relative", "relative", "relative", "relative", "total"]
    if short > 0:
        values += [-short, values[-1] - short]
        labels += [t("fund.owed_not_paid"), t("fund.oop_if_paid")]
        measure += ["relative", "total"]
    fig = go.Figure(
        go.Waterfall(
            x=labels,
            y=[float(v) for v in values],
            measure=measure,
            text=[ui.yuan(abs(v)) for v in values],
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
    return fig


SEVERITY_REASON = {"zh": "；风险等级 ", "en": "; severity "}  # where evaluate.sql adds why


def severity_reason(watch: dict | None) -> str | None:
    """Why the list entry's severity is above its rules' (from its explanation), or None."""
    if not watch:
        return None
    lang = language()
    text = watch.get("explain_zh" if lang == "zh" else "explain_en") or ""
    marker = SEVERITY_REASON[lang]
    return text[text.index(marker) + 1 :].strip() if marker in text else None


def rules_fired(flags: pd.DataFrame, year: int, watch: dict | None = None) -> None:
    """The rules that put the person on the current list, each with its explanation, and why
    the severity is higher than theirs when it is."""
    st.subheader(t("person.rules"))
    if flags.empty:
        st.info(t("person.rules.none", year=year))
        return
    reason = severity_reason(watch)  # said once, under the first rule
    explain = "explain_zh" if language() == "zh" else "explain_en"
    for rule, severity, threshold, oop, compared, text in zip(
        flags["rule_id"], flags["severity"], flags["threshold"], flags["oop"],
        flags["compared_oop"], flags[explain], strict=True,
    ):  # fmt: skip
        parts = [
            f"**{keyed_label('rule', rule)}**",
            f"{t('col.severity')} {keyed_label('severity', severity)}",
        ]
        if pd.notna(threshold) and compared != oop:  # the household's line beside its OOP
            parts.append(t("person.household_line", line=ui.yuan(threshold),
                           oop=ui.yuan(compared)))  # fmt: skip
        elif pd.notna(threshold):
            parts.append(f"{t('col.threshold')} {ui.yuan(threshold)}")
        why = f"  \n  {md(reason)}" if reason else ""
        reason = None
        st.markdown(f"- {' · '.join(parts)}  \n  {md(text)}{why}")


def history_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """Run by run: on the list or not, with which rules, severity and OOP."""
    return pd.DataFrame(
        {
            t("col.evaluated_at"): [ui.when(v) for v in runs["evaluated_at"]],
            t("col.as_of"): [str(v) if v is not None else "—" for v in runs["as_of"]],
            t("col.on_list"): [t("yes") if v else t("no") for v in runs["on_list"]],
            t("col.rules"): [rule_list(r) for r in runs["rules"]],
            t("col.severity"): [keyed_label("severity", s) if s else "" for s in runs["severity"]],
            t("col.oop"): [ui.yuan(v) if v is not None else "" for v in runs["oop"]],
        }
    )


def changes_frame(changes: pd.DataFrame) -> pd.DataFrame:
    """Entries and exits with their reasons."""
    return pd.DataFrame(
        {
            t("col.evaluated_at"): [ui.when(v) for v in changes["evaluated_at"]],
            t("col.change"): [keyed_label("change", c) for c in changes["change"]],
            t("col.reason"): [keyed_label("reason", r) if r else "" for r in changes["reason"]],
            t("col.rules"): [rule_list(r) for r in changes["rules_before"]],
            t("col.oop_before"): [
                ui.yuan(v) if v is not None else "" for v in changes["oop_before"]
            ],
            t("col.oop_now"): [ui.yuan(v) if v is not None else "" for v in changes["oop_now"]],
        }
    )


def claims_frame(snapshot: str, claims: pd.DataFrame) -> pd.DataFrame:
    """The year's claims in force, money as exact text."""
    return pd.DataFrame(
        {
            t("col.settle_date"): [str(d) for d in claims["settle_date"]],
            t("col.visit_type"): [
                code_label(snapshot, "visit_type", v) for v in claims["visit_type"]
            ],
            **{t(f"fund.{k}"): [ui.yuan(v) for v in claims[k]] for k in data.FUND_LAYERS},
            t("col.diagnosis"): [diagnosis(v) for v in claims["diagnosis"]],
            t("col.hospital"): claims["hospital"].fillna("—"),
        }
    )


@dataclass
class Shown:
    """Everything drawn for a person-year, built before the first element is sent: the browser
    then renders it at once, not element by element while the figures and tables are made."""

    members: pd.DataFrame | None
    timeline: go.Figure | None
    waterfall: go.Figure | None
    claims: pd.DataFrame | None
    history: pd.DataFrame
    changes: pd.DataFrame | None


@dataclass
class Loaded:
    """A person-year's figures (``person_year`` row), page data and what is drawn from them."""

    row: dict | None
    page: data.PersonPage
    shown: Shown


def shortfall(claims: pd.DataFrame) -> Decimal:
    """What the assistance policy owed the person-year and was not paid (0 when none)."""
    if claims.empty:
        return Decimal(0)
    return max(sum(claims["entitled"]) - sum(claims["paid"]), Decimal(0))


def build(
    snapshot: str, person: data.Person, year: int, row: dict | None, page: data.PersonPage
) -> Shown:
    """The tables and charts of one person-year."""
    claims = page.claims
    return Shown(
        members=None if page.members is None else members_frame(snapshot, person, page.members),
        timeline=None if claims.empty else timeline_figure(snapshot, claims, year),
        waterfall=None if row is None else waterfall_figure(row, year, shortfall(page.assistance)),
        claims=None if claims.empty else claims_frame(snapshot, claims),
        history=history_frame(page.history),
        changes=None if page.changes.empty else changes_frame(page.changes),
    )


def load(snapshot: str, person: data.Person, year: int) -> Loaded:
    """Read the person-year (seven queries at once) and build its tables and charts."""
    row = data.person_year_row(snapshot, person.person_id, year, person.village_code)
    page = data.person_page(
        snapshot, person.person_id, year, person.village_code, person.household_id,
        person.category,
    )  # fmt: skip
    return Loaded(row=row, page=page, shown=build(snapshot, person, year, row, page))


def audit_look(snapshot: str, person: data.Person) -> None:
    """Log that this person was opened (once per look, never the full ID)."""
    token = data.person_token(snapshot, person.person_id)
    audit_once(
        auth.PERSON_VIEW, token, target=mask_id(person.person_id), detail=f"token {token}",
        filters={"region": person.village_code or "", "household": person.household_id},
    )  # fmt: skip


def draw(snapshot: str, year: int, loaded: Loaded) -> None:
    """Members, the two charts, the claims, the rules fired and the flag history."""
    shown, page = loaded.shown, loaded.page
    if shown.members is not None:
        st.subheader(t("person.members", year=year))
        st.table(shown.members, hide_index=True)  # a few rows; wraps rather than scrolls
    # Static plots (no hover, zoom or mode bar): the waterfall's bars carry their amounts and the
    # claims table below has each claim's details; interactive ones cost the browser 0.1-0.25 s
    # more per person opened (measured in Chromium at 1M people).
    # One chart above the other: side by side, a 1024-pixel window overlapped their axis labels
    if shown.timeline is None:
        st.info(t("person.no_claims", year=year))
    else:
        st.plotly_chart(shown.timeline, config=STATIC_PLOT)
    if shown.waterfall is not None:
        st.plotly_chart(shown.waterfall, config=STATIC_PLOT)
    if shown.claims is not None:
        st.expander(t("person.claims")).dataframe(shown.claims, hide_index=True)
    rules_fired(page.flags, year, page.watch)
    assistance_section(snapshot, page.assistance, year)
    # Short tables as plain tables: a data grid each cost the browser ~50 ms more per person
    st.subheader(t("person.history"))
    st.table(shown.history, hide_index=True)
    st.subheader(t("person.changes"))
    if shown.changes is None:
        st.caption(t("person.changes.none"))
    else:
        st.table(shown.changes, hide_index=True)
    followup_section(page)


def assistance_section(snapshot: str, claims: pd.DataFrame, year: int) -> None:
    """Medical assistance replayed claim by claim against the policy: what was owed, what was
    paid, and the difference (owed and not paid: 应救未救 / 救助不足)."""
    st.subheader(t("person.assistance", year=year))
    if data.national_build(snapshot) is not None:  # the replay is each province's
        st.caption(t("person.assistance.national"))
        return
    if claims.empty:
        st.caption(t("person.assistance.none", year=year))
        return
    entitled, paid = sum(claims["entitled"]), sum(claims["paid"])
    cells = ui.metric_cells(3)
    cells[0].metric(t("assist.entitled"), ui.yuan(entitled))
    cells[1].metric(t("assist.paid"), ui.yuan(paid))
    short = entitled - paid
    label = "assist.shortfall" if short >= 0 else "assist.overpaid"
    cells[2].metric(t(label), ui.yuan(abs(short)), help=t("assist.help"))
    shown = pd.DataFrame(
        {
            t("col.when"): [str(v) for v in claims["settle_date"]],
            t("col.visit_type"): [
                code_label(snapshot, "visit_type", v) for v in claims["visit_type"]
            ],
            t("col.category"): [code_label(snapshot, "category", c) for c in claims["category"]],
            t("assist.remainder"): [ui.yuan(v) for v in claims["remainder"]],
            t("assist.deductible"): [ui.yuan(v) for v in claims["deductible_used"]],
            t("assist.ratio"): [f"{float(v) * 100:.0f}%" for v in claims["ratio"]],
            t("assist.entitled"): [ui.yuan(v) for v in claims["entitled"]],
            t("assist.paid"): [ui.yuan(v) for v in claims["paid"]],
            t("assist.difference"): [ui.yuan(e - p) for e, p in zip(claims["entitled"],
                                                                     claims["paid"], strict=True)],
        }
    )  # fmt: skip
    st.expander(t("assist.claims", n=len(claims))).table(shown, hide_index=True)


def followup_section(page: data.PersonPage) -> None:
    """Exports that listed the person and the visits' outcomes, assistance and notes."""
    st.subheader(t("person.followup"))
    frame = page.followup
    if frame.empty:
        st.caption(t("person.followup.none"))
        return
    lang = language()
    policy = data.push_policy()

    def event(kind: str, ref: object, department: object, superseded: bool) -> str:
        where = policy.department_label(str(department), lang) if department else ""
        text = {
            "exported": t("event.exported") + (f" {ref}" if ref else ""),
            "outcome": t("event.outcome"),
            "pushed": t("event.pushed", department=where) + (f" {ref}" if ref else ""),
            "decision": t("event.decision", department=where),
        }[kind]
        return text + (t("event.corrected") if superseded else "")

    def what(kind: str, code: object) -> str:
        if ui.missing(code) or not code:
            return ""
        if kind == "decision":
            return labels.label(labels.DECISIONS, str(code), lang)
        if kind == "pushed":
            return policy.warning_label(str(code), lang)
        return labels.label(labels.OUTCOMES, str(code), lang)

    shown = pd.DataFrame(
        {
            t("col.when"): [str(v) if not ui.missing(v) else "—" for v in frame["day"]],
            t("col.event"): [
                event(k, e, d, s)
                for k, e, d, s in zip(
                    frame["kind"],
                    frame["export_id"],
                    frame["department"],
                    frame["superseded"],
                    strict=True,
                )
            ],  # fmt: skip
            t("col.outcome"): [
                what(k, o) for k, o in zip(frame["kind"], frame["outcome"], strict=True)
            ],
            t("col.assistance"): [
                ui.yuan(v) if not ui.missing(v) else "" for v in frame["assistance"]
            ],
            t("col.notes"): [n if not ui.missing(n) else "" for n in frame["notes"]],
        }
    )
    st.table(shown, hide_index=True)


def show(snapshot: str, person: data.Person, year: int) -> None:
    """The person in the drill-down: the drill-down's year, no page switch (the fast path)."""
    audit_look(snapshot, person)
    loaded = load(snapshot, person, year)
    st.subheader(t("person.title"))
    header(snapshot, person, year, loaded, back=False)
    draw(snapshot, year, loaded)


def page() -> None:
    """The person page for the person the URL names (a link): read and build, then draw."""
    snapshot = snapshot_or_stop()
    person = url_person(snapshot)
    if person is None:
        st.title(t("person.title"))
        data_as_of(snapshot)
        st.info(t("person.none") if "person" not in st.query_params else t("person.not_found"))
        return
    audit_look(snapshot, person)
    years = data.person_years(snapshot, person.person_id, person.village_code)
    year = chosen_year(years) if years else None
    loaded = load(snapshot, person, year) if year is not None else None
    st.title(t("person.title"))
    data_as_of(snapshot)
    if year is not None:
        year_picker(years, year)
    header(snapshot, person, year or 0, loaded, back=True)
    if loaded is not None:
        draw(snapshot, year, loaded)
