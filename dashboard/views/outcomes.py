"""成效 / Outcomes: who actually fell back. The people first flagged in a year and what became of
them within 12 months (entered monitoring or dibao, risk eliminated, a poorer category on the
roster, over the line again a later year), by assisted or not and by days from flag to visit."""

from __future__ import annotations

import datetime as dt
import hashlib

import plotly.graph_objects as go
import streamlit as st

from dashboard import data, ui
from dashboard.i18n import language, t
from dashboard.ui import region_selector
from pipeline import labels
from pipeline.cases import tracking

OUTCOMES = ("included", "eliminated", "moved_down", "over_later")


def chart(frame) -> None:  # noqa: ANN001
    """Each outcome's share per group, side by side."""
    lang = language()
    groups = [labels.label(labels.COHORT_GROUPS, g, lang) for g in frame["group"]]
    fig = go.Figure()
    for key in OUTCOMES:
        shares = [
            round(float(n) * 100 / float(p), 1) if p else 0.0
            for n, p in zip(frame[key], frame["people"], strict=True)
        ]
        fig.add_bar(name=labels.label(labels.COHORT_COLUMNS, key, lang), x=groups, y=shares)
    fig.update_layout(
        barmode="group", height=360, yaxis_title="%",
        margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h"},
    )  # fmt: skip
    st.plotly_chart(fig, key="outcomes.chart")


def main() -> None:
    """Render the page."""
    started = ui.case_page_start("outcomes.title")
    if started is None:
        return
    snapshot, years = started
    top = st.columns(2)
    ordered = sorted(years)  # the year before the latest: its cohort has had time
    default = ordered[-2] if len(ordered) > 1 else ordered[-1]
    year = top[0].selectbox(
        t("outcomes.year"), years, index=years.index(default), key="outcomes.year"
    )
    region = region_selector(snapshot, key="outcomes.region", container=top[1])
    as_of = dt.date.today()
    frame = data.cohort_outcomes(snapshot, region, int(year), as_of)
    st.caption(t("outcomes.help"))
    if frame.empty or int(frame["people"].iloc[0]) == 0:
        st.info(t("outcomes.none", year=year))
        return
    everyone = frame.iloc[0]
    cells = st.columns(5)
    cells[0].metric(t("outcomes.cohort"), f"{int(everyone['people']):,}")
    for cell, key in zip(cells[1:], OUTCOMES, strict=True):
        n, people = int(everyone[key]), int(everyone["people"])
        cell.metric(labels.label(labels.COHORT_COLUMNS, key, language()), f"{n:,}",
                    f"{n * 100 / people:.1f}%", delta_color="off", delta_arrow="off")  # fmt: skip
    chart(frame)
    st.dataframe(tracking.outcome_table(frame, language()), hide_index=True, key="outcomes.table")
    content = tracking.outcomes_xlsx(frame, int(year), region, as_of, language())
    name = f"outcomes_{year}_{region or 'all'}.xlsx"
    if st.download_button(t("outcomes.download"), content, file_name=name,
                          key="outcomes.download"):  # fmt: skip
        data.record_download(
            data.db_path(),
            data.access().user,
            name,
            {"year": int(year), "region": region},
            len(frame),
            hashlib.sha256(content).hexdigest(),
        )


main()
