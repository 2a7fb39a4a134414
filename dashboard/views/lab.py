"""政策模拟 / Policy lab (admins, national and provincial users): edit a province's monitoring
line, income shares and medical-assistance ratios and caps; see the people flagged and the
assistance owed now and under the edits side by side; download the edits as rules files."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, ui
from dashboard.i18n import language, t
from pipeline.labels import LABELS
from pipeline.rules import whatif


def province(snapshot: str) -> str | None:
    """The province the lab works on: a provincial user's own, else the one picked."""
    scope = data.access().scope
    if scope:
        return scope[:2]
    regions = data.regions(snapshot)
    provinces = regions[regions["level"] == 1]
    names = dict(zip(provinces["code"], provinces["name"], strict=True))
    if not names:
        return None
    return st.selectbox(
        t("lab.region"), list(names), format_func=lambda c: names.get(c, c), key="lab.region"
    )


def editors(params: whatif.Parameters, labels: dict[str, str]) -> tuple:
    """The editable parameters, as the hashable tuples data.policy_whatif takes."""
    left, right = st.columns(2)
    line = left.number_input(
        t("lab.line"), min_value=0.0, step=500.0, format="%.2f", key="lab.line",
        value=float(params.line) if params.line is not None else 0.0,
    )  # fmt: skip
    shares = left.data_editor(
        pd.DataFrame({
            t("lab.col.category"): [labels.get(c, c) for c in params.shares],
            t("lab.col.share"): [float(v) for v in params.shares.values()],
        }),  # fmt: skip
        disabled=[t("lab.col.category")], hide_index=True, key="lab.shares",
    )  # fmt: skip
    caps = left.data_editor(
        pd.DataFrame({
            t("lab.col.cap"): list(params.caps),
            t("lab.col.amount"): [float(v) for v in params.caps.values()],
        }),  # fmt: skip
        disabled=[t("lab.col.cap")], hide_index=True, key="lab.caps",
    )  # fmt: skip
    right.caption(t("lab.ratios"))
    keys = list(params.ratios)
    ratios = right.data_editor(
        pd.DataFrame({
            t("lab.col.category"): [labels.get(c, c) for c, _ in keys],
            t("lab.col.group"): [t(f"lab.group.{g}") if f"lab.group.{g}" in LABELS else g
                                 for _, g in keys],  # fmt: skip
            t("lab.col.ratio"): [float(params.ratios[k]) for k in keys],
        }),  # fmt: skip
        disabled=[t("lab.col.category"), t("lab.col.group")], hide_index=True, key="lab.ratios",
    )  # fmt: skip
    return (
        f"{line:.2f}" if params.line is not None else None,
        tuple(zip(params.shares, (f"{v:.4f}" for v in shares[t("lab.col.share")]), strict=True)),
        tuple(
            (c, g, f"{r:.4f}", params.cap_names.get((c, g)))
            for (c, g), r in zip(keys, ratios[t("lab.col.ratio")], strict=True)
        ),
        tuple(zip(params.caps, (f"{v:.2f}" for v in caps[t("lab.col.amount")]), strict=True)),
    )


def results(result: whatif.WhatIf, files: dict[str, str], labels: dict[str, str]) -> None:
    """The two states side by side, a chart by category, the tables and the downloads."""
    tot = result.totals
    figures = [
        (t("lab.pair", a=t("lab.flagged"), b=t("lab.now")), ui.count(tot["now"])),
        (t("lab.pair", a=t("lab.flagged"), b=t("lab.alt")), ui.count(tot["alt"])),
        (t("lab.entering"), ui.count(tot["entering"])),
        (t("lab.leaving"), ui.count(tot["leaving"])),
        (t("lab.pair", a=t("lab.owed"), b=t("lab.now")), ui.yuan(tot["owed_now"])),
        (t("lab.pair", a=t("lab.owed"), b=t("lab.alt")), ui.yuan(tot["owed_alt"])),
        (t("lab.paid"), ui.yuan(tot["paid"])),
        (t("lab.pair", a=t("lab.cost"), b=t("lab.alt")), ui.yuan(tot["cost"])),
    ]  # fmt: skip
    for cell, (label, value) in zip(ui.metric_cells(len(figures)), figures, strict=True):
        cell.metric(label, value)
    cats = [labels.get(c, c) for c, *_ in result.by_category]
    chart = go.Figure([
        go.Bar(name=t("lab.now"), x=cats, y=[r[1] for r in result.by_category]),
        go.Bar(name=t("lab.alt"), x=cats, y=[r[2] for r in result.by_category]),
    ])  # fmt: skip
    chart.update_layout(barmode="group", title=t("lab.by_category"), height=340,
                        margin={"t": 40, "b": 10}, yaxis_title=t("lab.flagged"))  # fmt: skip
    st.plotly_chart(chart, width="stretch")
    st.caption(t("lab.by_rule"))
    st.dataframe(
        pd.DataFrame(
            [(ui.keyed_label("rule", r), now, alt) for r, now, alt in result.by_rule],
            columns=[t("lab.col.rule"), t("lab.now"), t("lab.alt")],
        ),
        hide_index=True,
    )
    st.caption(t("lab.by_region"))
    st.dataframe(
        pd.DataFrame(
            [
                (name, now, alt, ui.yuan(on), ui.yuan(oa), ui.yuan(paid))
                for _code, name, now, alt, _e, _l, on, oa, paid in result.by_region
            ],  # fmt: skip
            columns=[
                "",
                t("lab.now"),
                t("lab.alt"),
                t("lab.pair", a=t("lab.owed"), b=t("lab.now")),
                t("lab.pair", a=t("lab.owed"), b=t("lab.alt")),
                t("lab.paid"),
            ],  # fmt: skip
        ),
        hide_index=True,
    )
    for (path, text), key in zip(files.items(), ("lab.download_rules", "lab.download_policy"),
                                 strict=True):  # fmt: skip
        st.download_button(
            t(key), text.encode("utf-8"), file_name=path.rsplit("/", 1)[-1],
            mime="application/toml", key=f"{key}.button",
            help=t("lab.download_help", path=f"rules/{path}"),
        )  # fmt: skip


def main() -> None:
    """Render the page."""
    st.title(t("lab.title"))
    st.caption(t("lab.caption"))
    snapshot = data.current()
    years = data.years(snapshot)
    newest_first = sorted(years, reverse=True)
    year = st.selectbox(t("lab.year"), newest_first, key="lab.year") if years else None
    region = province(snapshot)
    if not region or year is None:
        st.info(t("lab.pick_province"))
        return
    labels = data.category_labels(snapshot, language())
    params = data.policy_parameters(region, year)
    # A form: edits run only when the button is pressed (a province's what-if takes seconds),
    # and the page opens on the parameters in force (nobody enters or leaves).
    with st.form("lab.form", border=False):
        edited = editors(params, labels)
        st.form_submit_button(t("lab.run"), type="primary")
    with st.spinner(t("lab.running")):
        result, files = data.policy_whatif(snapshot, region, year, *edited)
    results(result, files, labels)


main()
