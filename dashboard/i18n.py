"""The dashboard's language: ``t(key)`` picks the session's language from the one label
catalogue (``pipeline/labels.py``, shared with the exports, returns and the CLI), the sidebar's
switch, and the language kept in the URL."""

from __future__ import annotations

import streamlit as st

from pipeline.labels import LABELS

LANGUAGES: dict[str, str] = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"
LANG_KEY = "lang"
URL_LANG = "lang"  # the query parameter naming the language


def language() -> str:
    """The language of this session (``zh`` unless switched)."""
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **values: object) -> str:
    """The label ``key`` in the session's language, with ``{name}`` fields filled in."""
    entry = LABELS[key]
    text = entry.get(language()) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def language_switch() -> None:
    """A sidebar control that switches the session's language, kept in the URL as ``?lang=en``.

    A pasted link opens in its language; Chinese, the default, leaves the URL without ``lang``.
    """
    if LANG_KEY not in st.session_state and st.query_params.get(URL_LANG) in LANGUAGES:
        st.session_state[LANG_KEY] = st.query_params[URL_LANG]
    # Re-assigned on every run: Streamlit drops a widget's state when a run ends without the widget
    # (st.switch_page from a page's body), and the language must survive page switches.
    st.session_state[LANG_KEY] = language()
    st.sidebar.radio(
        LABELS["app.language"]["zh"],
        options=list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key=LANG_KEY,
        horizontal=True,
    )
    keep_language_in_url()


def keep_language_in_url() -> None:
    """Write the session's language into the URL (or drop it for the default), if it differs."""
    lang = language()
    if lang == DEFAULT_LANGUAGE:
        if URL_LANG in st.query_params:
            del st.query_params[URL_LANG]
    elif st.query_params.get(URL_LANG) != lang:
        st.query_params[URL_LANG] = lang
