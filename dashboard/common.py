"""What every page shares: the snapshot to read, or a clear message when there is none."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.i18n import t


def snapshot_or_stop() -> str:
    """The snapshot for this rerun; with none published yet, say how to import and stop."""
    try:
        return data.current()
    except data.NoSnapshot as exc:
        st.info(t("data.none", db=exc.db))
        st.stop()
        raise  # unreachable: st.stop() ends the run


def data_as_of(snapshot: str) -> None:
    """A caption naming the last import's time."""
    last = data.last_import(snapshot)
    if last is not None:
        st.caption(t("data.as_of", when=f"{last.imported_at:%Y-%m-%d %H:%M}", n=last.import_id))
