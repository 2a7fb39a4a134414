"""Overview: headline figures of a year and region, the watch-list's movement, by province."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, ui
from dashboard.i18n import LABELS, language, t
from dashboard.ui import chart_text, data_as_of, region_selector, snapshot_or_stop
from pipeline import labels

SEVERITY_COLORS = {"high": "#d62728", "medium": "#ff7f0e", "low": "#bcbd22"}


def year_selector(snapshot: str) -> int | None:
    """A year picker; defaults to the latest year with claims."""
    options = data.years(snapshot)
    if not options:
        return None
    default = data.default_year(snapshot)
    index = options.index(default) if default in options else 0
    return st.selectbox(t("overview.year"), options, index=index, key="overview.year")


def metrics(totals: data.Totals | data.RegionFigures, line: str) -> None:
    """The four headline numbers."""
    cols = ui.metric_cells(4)
    cols[0].metric(t("overview.people"), ui.count(totals.people), help=t("overview.people.help"))
    cols[1].metric(t("overview.claims"), ui.count(totals.claims))
    cols[2].metric(t("overview.oop"), ui.yuan(totals.oop))
    cols[3].metric(
        t("overview.over_line", line=line),
        ui.count(totals.over_line),
        help=t("overview.over_line.help", line=line),
    )


def province_table(frame: pd.DataFrame, line: str, label: str | None = None) -> None:
    """Per province (or division) figures, names not codes, money as exact ¥ text."""
    shown = pd.DataFrame(
        {
            label or t("col.province"): frame["province"].fillna(t("region.unplaced")),
            t("col.people"): frame["people"],
            t("col.claims"): frame["claims"],
            t("col.oop"): [ui.yuan(v) for v in frame["oop"]],
            t("col.over_line", line=line): frame["over_line"],
        }
    )
    counts = [t("col.people"), t("col.claims"), t("col.over_line", line=line)]
    config = {name: st.column_config.NumberColumn(format="localized") for name in counts}
    config[t("col.oop")] = st.column_config.TextColumn(alignment="right")
    st.dataframe(shown, hide_index=True, column_config=config)


def province_chart(
    frame: pd.DataFrame, line: str, label: str | None = None, title: str | None = None
) -> None:
    """Bar chart of people over the line by province (or division)."""
    names = [chart_text(n) for n in frame["province"].fillna(t("region.unplaced"))]
    chart = pd.DataFrame({"province": names, "over_line": frame["over_line"]})
    fig = px.bar(
        chart,
        x="province",
        y="over_line",
        labels={
            "province": label or t("col.province"),
            "over_line": t("col.over_line", line=line),
        },
        title=title or t("overview.chart", line=line),
    )
    fig.update_layout(margin={"t": 48, "b": 8, "l": 8, "r": 8}, height=360)
    if chart["over_line"].max() <= 10:
        fig.update_yaxes(dtick=1)  # counts of people: no fractional ticks
    st.plotly_chart(fig)


def percent(value: Decimal) -> str:
    """``Decimal('0.99365')`` -> ``99.37%``."""
    return f"{value * 100:.2f}%"


def watch_metrics(snapshot: str, year: int, region: str, figures: data.RegionFigures) -> None:
    """People monitored, participation against its target, the list and this week's movement."""
    entered, left = data.week_changes(snapshot, year, region)
    cols = ui.metric_cells(5)
    cols[0].metric(
        t("ov.roster_people"), ui.count(figures.roster_people), help=t("ov.roster_people.help")
    )
    rate = figures.participation
    if rate is None:
        cols[1].metric(t("ov.participation"), "—")
    else:
        # the target and the gap to it, grey and without an arrow: a red "↓ −0.64" read as a
        # drop since last week
        diff = (rate - data.PARTICIPATION_TARGET) * 100
        cols[1].metric(
            t("ov.participation"),
            percent(rate),
            delta=t("ov.participation.delta", target=percent(data.PARTICIPATION_TARGET)),
            delta_color="off",
            delta_arrow="off",
            help=t(
                "ov.participation.help",
                enrolled=ui.count(figures.enrolled_active),
                roster=ui.count(figures.roster_people),
                target=percent(data.PARTICIPATION_TARGET),
                diff=f"{abs(diff):.2f}",
                side=t("ov.participation.below" if diff < 0 else "ov.participation.above"),
            ),
        )
    cols[2].metric(t("ov.flagged"), ui.count(data.watch_flagged(snapshot, year, region)))
    cols[3].metric(t("ov.new_week"), ui.count(entered))
    cols[4].metric(t("ov.left_week"), ui.count(left))
    if entered:  # one click from the figure to the people: the watch-list, new ones only
        cols[3].page_link(
            "views/watchlist.py", label=t("ov.new_week.open"), icon=":material/arrow_forward:",
            query_params={"status": "new", "region": region},
        )  # fmt: skip


def _layout(fig, height: int = 320) -> None:
    """Common chart layout: tight margins, legend on top."""
    fig.update_layout(
        margin={"t": 48, "b": 8, "l": 8, "r": 8},
        height=height,
        legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0, "title": None},
    )


def category_chart(snapshot: str, year: int, region: str) -> None:
    """Roster people by category."""
    frame = data.people_by_category(snapshot, year, region)
    if frame.empty:
        return
    labels = data.category_labels(snapshot, language())
    chart = pd.DataFrame(
        {"category": [labels.get(c, c) for c in frame["category"]], "people": frame["people"]}
    )
    fig = px.bar(
        chart, x="people", y="category", orientation="h", text="people",
        labels={"category": "", "people": t("ov.axis.people")}, title=t("ov.by_category"),
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    _layout(fig)
    st.plotly_chart(fig, key="ov.category")


def cost_chart(figures: data.RegionFigures) -> None:
    """Total cost split into what each payer paid and what was left to the person."""
    parts = [
        ("cost.basic", figures.basic_paid), ("cost.critical", figures.critical_paid),
        ("cost.assistance", figures.assistance_paid), ("cost.other", figures.other_paid),
        ("cost.oop", figures.oop),
    ]  # fmt: skip
    chart = pd.DataFrame(
        {
            "part": [t(k) for k, _ in parts],
            "amount": [float(v) for _, v in parts],  # plotting only; figures stay Decimal
            "text": [ui.yuan(v) for _, v in parts],
        }
    )
    fig = px.pie(
        chart, names="part", values="amount", hole=0.45,
        # the total on a line of its own: after the title it was cut off at 1024 px
        title=t("ov.cost_split") + "<br><sup>"
        + t("ov.total_cost", amount=ui.yuan(figures.total_cost)) + "</sup>",
        custom_data=["text"],
    )  # fmt: skip
    fig.update_traces(
        sort=False, textinfo="percent", textposition="inside",  # none spill over the title
        hovertemplate="%{label}: %{customdata[0]}<extra></extra>",
    )  # fmt: skip
    _layout(fig)
    fig.update_layout(margin={"t": 72}, uniformtext={"minsize": 9, "mode": "hide"})
    st.plotly_chart(fig, key="ov.cost")


def rule_chart(snapshot: str, year: int, region: str) -> None:
    """People on the watch-list per rule, stacked by severity."""
    frame = data.watch_by_rule(snapshot, year, region)
    if frame.empty:
        return
    chart = pd.DataFrame(
        {
            "rule": [t(f"rule.{r}") if f"rule.{r}" in LABELS else r for r in frame["rule"]],
            "severity": [t(f"sev.{s}") for s in frame["severity"]],
            "people": frame["people"],
        }
    )
    colors = {t(f"sev.{k}"): v for k, v in SEVERITY_COLORS.items()}
    order = [t(f"sev.{k}") for k in data.SEVERITIES]
    fig = px.bar(
        chart, x="people", y="rule", color="severity", orientation="h",
        color_discrete_map=colors, category_orders={"severity": order},
        labels={"rule": "", "people": t("ov.axis.people"), "severity": t("wl.severity")},
        title=t("ov.by_rule"),
    )  # fmt: skip
    fig.update_xaxes(title=None)  # the title says these are people; the legend sits below
    _layout(fig)
    st.plotly_chart(fig, key="ov.rules")


def trend_chart(snapshot: str, year: int, region: str) -> None:
    """The watch-list's size after each weekly evaluation."""
    frame = data.list_trend(snapshot, year, region)
    if frame.empty:
        return
    chart = pd.DataFrame({"as_of": pd.to_datetime(frame["as_of"]), "people": frame["people"]})
    fig = px.line(
        chart, x="as_of", y="people", markers=True, title=t("ov.trend"),
        labels={"as_of": t("ov.axis.as_of"), "people": t("ov.axis.people")},
    )  # fmt: skip
    fig.update_xaxes(tickformat="%Y-%m-%d", tickvals=chart["as_of"])
    fig.update_yaxes(rangemode="tozero")  # from zero: 320 → 321 is not a doubling
    _layout(fig)
    st.plotly_chart(fig, key="ov.trend")


def funnel_chart(snapshot: str, year: int, region: str) -> None:
    """Flagged → exported → visited → helped, and how many exports wait for an outcome."""
    counts = data.case_funnel(snapshot, year, region)
    if not counts["flagged"]:
        return
    stages = list(data.FUNNEL_STAGES)
    fig = go.Figure(
        go.Funnel(
            y=[t(f"funnel.{s}") for s in stages],
            x=[counts[s] for s in stages],
            textinfo="value+percent initial",
        )
    )
    fig.update_layout(title=t("ov.funnel"))
    _layout(fig)
    st.plotly_chart(fig, key="ov.funnel")
    empty = [t(f"funnel.{s}") for s in stages if not counts[s]]
    if empty:  # an empty stage is a gap in the chart: say what it means
        st.caption(t("ov.funnel_empty", stages="、".join(empty) if language() == "zh"
                     else ", ".join(empty)))  # fmt: skip
    other = {k: counts[k] for k in ("unreachable", "moved", "deceased")}
    if any(other.values()):  # outcomes that are no visit: said, never counted as visited
        st.caption(t("ov.funnel_other", **{k: ui.count(v) for k, v in other.items()}))
    days = data.FOLLOW_UP_DAYS
    st.metric(t("ov.funnel_waiting", days=days), ui.count(counts["waiting"]))


def pushes_due(snapshot: str, year: int, region: str) -> None:
    """The pushes to the departments that are due (rules/push.toml's cadences), with a link to
    the cases page; nothing on a national dashboard (pushes are each province's)."""
    if data.is_national(str(data.db_path())) or not data.cases_ready(snapshot):
        return
    frame = data.pushes_due(snapshot, region, year, dt.date.today())
    due = frame[frame["due"]]
    if due.empty:
        return
    lang = language()
    policy = data.push_policy()
    joiner = "、" if lang == "zh" else ", "
    parts = []
    for dept, cats, days, last in zip(
        due["department"], due["categories"], due["every_days"], due["last_pushed_at"], strict=True
    ):
        who = joiner.join(labels.label(labels.CATEGORIES, c, lang) for c in cats)
        since = t("ov.due_never") if pd.isna(last) else t("ov.due_since", day=f"{last:%Y-%m-%d}")
        parts.append(t("ov.due_item", department=policy.department_label(dept, lang),
                       categories=who, days=int(days), since=since))  # fmt: skip
    st.info(t("ov.due", items="；".join(parts) if lang == "zh" else "; ".join(parts)),
            icon=":material/send:")  # fmt: skip
    st.page_link("views/cases.py", label=t("ov.due_link"), icon=":material/assignment:")


def assistance(snapshot: str, year: int, region: str) -> None:
    """Medical assistance replayed against the policy: owed, paid, owed and not paid, and the
    people paid short (issue 18)."""
    figures = data.region_assistance(snapshot, year, region)
    if figures is None or not (figures.entitled or figures.paid):
        return
    st.subheader(t("ov.assistance"))
    cells = ui.metric_cells(4)
    cells[0].metric(t("assist.entitled"), ui.yuan(figures.entitled), help=t("assist.help"))
    cells[1].metric(t("assist.paid"), ui.yuan(figures.paid))
    cells[2].metric(t("assist.shortfall"), ui.yuan(figures.shortfall))
    cells[3].metric(t("ov.people_short"), ui.count(figures.people_short))
    if figures.overpaid:
        st.caption(t("ov.overpaid", amount=ui.yuan(figures.overpaid)))


def attention(snapshot: str, year: int, region: str) -> None:
    """For a county chief: per township, who is new this week, not visited yet, overdue and
    could not be reached; then who left the list this week and why."""
    frame = data.attention_by_township(snapshot, year, region, dt.date.today())
    if frame.empty:
        return
    st.subheader(t("ov.attention"))
    shown = pd.DataFrame(
        {
            t("ov.att.township"): [
                n or c for c, n in zip(frame["code"], frame["name"], strict=True)
            ],  # fmt: skip
            t("ov.att.flagged"): frame["flagged"],
            t("ov.att.new"): frame["new"],
            t("ov.att.not_visited"): frame["not_visited"],
            t("ov.att.overdue", days=data.FOLLOW_UP_DAYS): frame["overdue"],
            t("ov.att.unreachable"): frame["unreachable"],
        }
    )
    st.dataframe(shown, hide_index=True, height=min(420, 38 + 35 * len(shown)))
    st.page_link(
        "views/watchlist.py", label=t("ov.att.open_waiting"), icon=":material/arrow_forward:",
        query_params={"stage": "waiting", "region": region},
    )  # fmt: skip
    leavers = data.week_leavers(snapshot, year, region)
    if leavers.empty:
        return
    with st.expander(t("ov.left_list", n=ui.count(len(leavers)))):
        st.dataframe(
            pd.DataFrame(
                {
                    t("wcol.person"): leavers["person"],
                    t("wcol.name"): leavers["name"],
                    t("wcol.village"): [
                        " ".join(p for p in (a, b) if p and not ui.missing(p))
                        for a, b in zip(leavers["township"], leavers["village"], strict=True)
                    ],
                    t("ov.left_reason"): [ui.keyed_label("reason", r) for r in leavers["reason"]],
                    t("ov.oop_before"): [ui.yuan(v) for v in leavers["oop_before"]],
                    t("ov.oop_now"): [
                        ui.yuan(v) if not ui.missing(v) else "—" for v in leavers["oop_now"]
                    ],
                }
            ),
            hide_index=True,
        )


def stale_warning(snapshot: str) -> None:
    """Warn when the last import is older than the weekly cycle allows."""
    last = data.last_import(snapshot)
    if last is not None and dt.datetime.now() - last.imported_at > data.STALE_AFTER:
        st.warning(t("ov.stale", when=ui.when(last.imported_at), days=data.STALE_AFTER.days))


def main() -> None:
    """Render the page."""
    st.title(t("overview.title"))
    snapshot = snapshot_or_stop()
    data_as_of(snapshot)
    stale_warning(snapshot)
    top = st.columns(2)
    with top[0]:
        year = year_selector(snapshot)
    if year is None:
        st.info(t("overview.no_data"))
        return
    region = region_selector(snapshot, key="overview.region", container=top[1])
    line = ui.line(data.OOP_LINE)
    figures = data.region_figures(snapshot, year, region)
    metrics(figures, line)
    watch_metrics(snapshot, year, region, figures)
    left, right = st.columns(2)
    with left:
        category_chart(snapshot, year, region)
        rule_chart(snapshot, year, region)
    with right:
        if figures.total_cost:
            cost_chart(figures)
        trend_chart(snapshot, year, region)
        funnel_chart(snapshot, year, region)
    pushes_due(snapshot, year, region)
    assistance(snapshot, year, region)
    attention(snapshot, year, region)
    if data.access().national and not region:  # a region chosen narrows this too
        by_province(snapshot, year, line)
    else:
        breakdown(snapshot, year, region, line)


def by_province(snapshot: str, year: int, line: str) -> None:
    """A national user's table and chart by province."""
    frame = data.overview_by_province(snapshot, year)
    if frame.empty:
        st.info(t("overview.no_year_data", year=year))
        return
    st.subheader(t("overview.by_province"))
    province_table(frame, line)
    province_chart(frame, line)


def breakdown(snapshot: str, year: int, region: str, line: str) -> None:
    """A regional user's table and chart of the divisions below the region chosen."""
    frame = data.region_breakdown(snapshot, year, region)
    if frame.empty:
        return
    st.subheader(t("ov.breakdown"))
    names = [n or c for c, n in zip(frame["code"], frame["name"], strict=True)]
    frame = frame.assign(province=names)
    province_table(frame, line, t("col.name"))
    province_chart(frame, line, t("col.name"), t("ov.breakdown_chart", line=line))


main()
