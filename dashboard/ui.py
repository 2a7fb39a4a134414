"""What every page shares: formatting (money, counts, dates, labels, safe text), the snapshot
to read or a clear message when there is none, the banners and refusals, and the widgets
(translated selectors, the region picker).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import streamlit as st

from dashboard import data
from dashboard.i18n import LABELS, language, t
from pipeline.access import auth

# ---------------------------------------------------------------- numbers and dates


def yuan(value: Decimal | int | None) -> str:
    """``Decimal('12345.6')`` -> ``¥12,345.60`` (exact; never through float)."""
    amount = Decimal(0) if value is None else Decimal(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def count(value: int | None) -> str:
    """An integer with thousands separators."""
    return f"{value or 0:,}"


def line(value: Decimal) -> str:
    """A monitoring line for labels: ``10,000`` (decimals only when it has them)."""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def when(value: dt.datetime | None) -> str:
    """A timestamp to the minute, or a dash."""
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


# ---------------------------------------------------------------- labels and safe text


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
    from pipeline import labels

    return labels.reason_label(code, language())


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


# -------------------------------------------------- the snapshot, banners and refusals


def snapshot_or_stop() -> str:
    """The snapshot for this rerun; with none published yet, say how to import and stop."""
    try:
        return data.current()
    except data.NoSnapshot as exc:
        st.info(t("data.none", db=exc.db))
        st.stop()
        raise  # unreachable: st.stop() ends the run


def case_page_start(title_key: str) -> tuple[str, list[int]] | None:
    """The top of the cases and outcomes pages: the title, the snapshot and its data date, and
    its years; None (said why) when there is no data or the snapshot predates case tracking."""
    st.title(t(title_key))
    snapshot = snapshot_or_stop()
    data_as_of(snapshot)
    years = data.years(snapshot)
    if not years:
        st.info(t("overview.no_data"))
        return None
    if not data.cases_ready(snapshot):
        st.info(t("cases.not_ready"))
        return None
    return snapshot, years


def banners() -> None:
    """On every page: a damaged snapshot passed over, a demo store's synthetic data, and which
    national build a national dashboard shows."""
    try:
        snapshot = data.current()
    except data.NoSnapshot:
        return
    problem = data.snapshot_problem()
    if problem:
        st.error(
            t("data.damaged", name=Path(snapshot).name, problem=problem), icon=":material/error:"
        )
    if data.is_demo(snapshot):
        st.warning(t("data.demo"), icon=":material/science:")
    build = data.national_build(snapshot)
    if build is not None:
        st.info(
            t(
                "data.national",
                engine=build.engine,
                when=f"{build.built_at:%Y-%m-%d %H:%M}",
                n=len(build.provinces),
                provinces=", ".join(build.provinces),
            ),
            icon=":material/public:",
        )


def data_as_of(snapshot: str) -> None:
    """A caption naming the data's date (the latest settlement) and the last import's time:
    an import on 12-06 may bring data up to 11-29 only."""
    last = data.last_import(snapshot)
    if last is not None:
        day = f"{last.data_date:%Y-%m-%d}" if last.data_date else "—"
        when = f"{last.imported_at:%Y-%m-%d %H:%M}"
        st.caption(t("data.as_of", day=day, when=when, n=last.import_id))


def refuse(exc: data.AccessDenied) -> NoReturn:
    """Say why the user may not see this (and nothing else), log the attempt, end the run."""
    if isinstance(exc, data.OutOfScope):
        st.error(t("auth.out_of_scope"), icon=":material/block:")
    elif isinstance(exc, data.RoleDenied):
        st.error(t("auth.role_denied", role=t("role." + exc.needs)), icon=":material/block:")
    else:
        st.error(t("auth.not_signed_in"))
        st.stop()
    data.audit(auth.DENIED, target=exc.what[:100], detail=exc.reason)
    st.stop()
    raise AssertionError("unreachable: st.stop() ends the run")


@contextmanager
def allowed() -> Iterator[None]:
    """Run a block; if it asks for something outside the user's region or role, :func:`refuse`."""
    try:
        yield
    except data.AccessDenied as exc:
        refuse(exc)


# ---------------------------------------------------------------- widgets


def metric_cells(n: int) -> list[Any]:
    """``n`` cells for figures side by side, wrapping onto a new line when the window is too
    narrow for them: columns of a fixed share cut a figure short (``¥21,4…`` at 1024 px)."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width="content", gap="xxsmall") for _ in range(n)]


def translated_selectbox(
    label: str,
    options: Sequence[Any],
    format_func: Callable[[Any], str],
    key: str,
    container: Any = st,
    generation: int = 0,
) -> Any:
    """A selectbox whose labels depend on the language; the choice survives a switch.
    ``generation``: a new number makes a new widget that starts at the stored choice (when the
    page sets the choice itself: the browser keeps a widget's own value otherwise)."""
    stored = st.session_state.get(key)
    index = list(options).index(stored) if stored in options else 0
    labels = {option: format_func(option) for option in options}  # fixed now, not at call time
    widget = f"{key}.{language()}" + (f".{generation}" if generation else "")
    value = container.selectbox(
        label, options, index=index, format_func=labels.__getitem__, key=widget
    )
    st.session_state[key] = value
    return value


def translated_radio(
    label: str, options: Sequence[Any], format_func: Callable[[Any], str], key: str
) -> Any:
    """Horizontal radio buttons whose labels depend on the language; the choice survives a
    switch (as :func:`translated_selectbox`)."""
    stored = st.session_state.get(key)
    index = list(options).index(stored) if stored in options else 0
    labels = {option: format_func(option) for option in options}
    value = st.radio(
        label, options, index=index, format_func=labels.__getitem__, horizontal=True,
        key=f"{key}.{language()}",
    )  # fmt: skip
    st.session_state[key] = value
    return value


def region_options(snapshot: str) -> tuple[list[str], dict[str, str]]:
    """The regions the user may pick, their own region first (全国 for national users), and
    their names. ``data.regions`` returns only those within the user's region."""
    who = data.access()
    frame = data.regions(snapshot)
    paths = dict(zip(frame["code"], frame["path"], strict=True))
    if who.national:
        return ["", *frame["code"]], paths
    if who.scope not in paths:  # a township, or a region with nobody in it yet
        names = data.place_names(snapshot, who.scope)
        paths[who.scope] = " · ".join(names.get(c, c) for c in data.region_ancestors(who.scope)[1:])
    return [who.scope, *(c for c in frame["code"] if c != who.scope)], paths


def region_selector(snapshot: str, key: str, container: Any = st) -> str:
    """A region picker by division names; returns the code prefix ('' for all). It offers only
    the user's own region and those below it, and starts at the user's own region."""
    options, paths = region_options(snapshot)
    return translated_selectbox(
        t("region.label"),
        options,
        lambda code: paths.get(code, code) if code else t("region.all"),
        key,
        container,
    )


def choice(
    label: str,
    options: Sequence[str],
    key: str,
    fmt: Callable[[str], str] | None = None,
    container: Any = st,
) -> str | None:
    """A selectbox whose first option is 全部/All (returned as None)."""
    shown = fmt or (lambda v: v)
    value = translated_selectbox(
        label, ["", *options], lambda v: shown(v) if v else t("filter.all"), key, container
    )
    return value or None
