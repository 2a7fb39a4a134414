"""Controls the overview and the watch-list share: region and filter pickers.

Their option labels are translated, and a selectbox remembers its choice by label; so each
language gets its own widget (key suffixed with the language) and the choice itself is kept
under the plain key, which survives a language switch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from dashboard import data
from dashboard.i18n import language, t


def translated_selectbox(
    label: str,
    options: Sequence[Any],
    format_func: Callable[[Any], str],
    key: str,
    container: Any = st,
) -> Any:
    """A selectbox whose labels depend on the language; the choice survives a switch."""
    stored = st.session_state.get(key)
    index = list(options).index(stored) if stored in options else 0
    labels = {option: format_func(option) for option in options}  # fixed now, not at call time
    value = container.selectbox(
        label, options, index=index, format_func=labels.__getitem__, key=f"{key}.{language()}"
    )
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
