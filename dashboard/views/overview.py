"""Overview: headline figures of a year and the same by province."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import data, fmt
from dashboard.common import data_as_of, snapshot_or_stop
from dashboard.i18n import t


def year_selector(snapshot: str) -> int | None:
    """A year picker; defaults to the latest year with claims."""
    options = data.years(snapshot)
    if not options:
        return None
    default = data.default_year(snapshot)
    index = options.index(default) if default in options else 0
    return st.selectbox(t("overview.year"), options, index=index, key="overview.year")


def metrics(totals: data.Totals, line: str) -> None:
    """The four headline numbers."""
    cols = st.columns(4)
    cols[0].metric(t("overview.people"), fmt.count(totals.people))
    cols[1].metric(t("overview.claims"), fmt.count(totals.claims))
    cols[2].metric(t("overview.oop"), fmt.yuan(totals.oop))
    cols[3].metric(
        t("overview.over_line", line=line),
        fmt.count(totals.over_line),
        help=t("overview.over_line.help", line=line),
    )


def province_table(frame: pd.DataFrame, line: str) -> None:
    """Per province figures, names not codes, money as exact ¥ text."""
    shown = pd.DataFrame(
        {
            t("col.province"): frame["province"].fillna(t("region.unplaced")),
            t("col.people"): frame["people"],
            t("col.claims"): frame["claims"],
            t("col.oop"): [fmt.yuan(v) for v in frame["oop"]],
            t("col.over_line", line=line): frame["over_line"],
        }
    )
    counts = [t("col.people"), t("col.claims"), t("col.over_line", line=line)]
    config = {name: st.column_config.NumberColumn(format="localized") for name in counts}
    config[t("col.oop")] = st.column_config.TextColumn(alignment="right")
    st.dataframe(shown, hide_index=True, column_config=config)


def province_chart(frame: pd.DataFrame, line: str) -> None:
    """Bar chart of people over the line by province."""
    names = frame["province"].fillna(t("region.unplaced"))
    chart = pd.DataFrame({"province": names, "over_line": frame["over_line"]})
    fig = px.bar(
        chart,
        x="province",
        y="over_line",
        labels={"province": t("col.province"), "over_line": t("col.over_line", line=line)},
        title=t("overview.chart", line=line),
    )
    fig.update_layout(margin={"t": 48, "b": 8, "l": 8, "r": 8}, height=360)
    if chart["over_line"].max() <= 10:
        fig.update_yaxes(dtick=1)  # counts of people: no fractional ticks
    st.plotly_chart(fig)


def main() -> None:
    """Render the page."""
    st.title(t("overview.title"))
    snapshot = snapshot_or_stop()
    data_as_of(snapshot)
    year = year_selector(snapshot)
    if year is None:
        st.info(t("overview.no_data"))
        return
    line = fmt.line(data.OOP_LINE)
    metrics(data.overview_totals(snapshot, year), line)
    frame = data.overview_by_province(snapshot, year)
    if frame.empty:
        st.info(t("overview.no_year_data", year=year))
        return
    st.subheader(t("overview.by_province"))
    province_table(frame, line)
    province_chart(frame, line)


main()
