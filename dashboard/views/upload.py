"""Import extracts (admins): upload this week's files; ``oopwatch ingest`` imports them."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.i18n import t

RESULT_KEY = "upload.result"


def main() -> None:
    """Render the page."""
    st.title(t("upload.title"))
    st.caption(t("upload.caption"))
    files = st.file_uploader(
        t("upload.files"), type=["csv", "xlsx", "parquet"], accept_multiple_files=True,
        key="upload.files",
    )  # fmt: skip
    if st.button(t("upload.run"), type="primary", key="upload.run"):
        if not files:
            st.warning(t("upload.none"))
        else:
            with st.spinner(t("upload.running")):
                run = data.run_import([(f.name, f.getvalue()) for f in files])
            st.session_state[RESULT_KEY] = run
    run = st.session_state.get(RESULT_KEY)
    if run is not None:
        if run.code == 0:
            st.success(t("upload.ok"))
        else:
            st.error(t("upload.failed", code=run.code))
        st.code(run.output, language=None)


main()
