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


def region_selector(snapshot: str, key: str, container: Any = st) -> str:
    """A region picker by division names (全国 first); returns the code prefix ('' for all)."""
    frame = data.regions(snapshot)
    paths = dict(zip(frame["code"], frame["path"], strict=True))
    return translated_selectbox(
        t("region.label"),
        ["", *frame["code"]],
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
