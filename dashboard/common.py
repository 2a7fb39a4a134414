"""What every page shares: the snapshot to read, or a clear message when there is none; and
what a page shows instead of data the user may not see."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import streamlit as st

from dashboard import data
from dashboard.i18n import t
from pipeline.access import auth


def snapshot_or_stop() -> str:
    """The snapshot for this rerun; with none published yet, say how to import and stop."""
    try:
        return data.current()
    except data.NoSnapshot as exc:
        st.info(t("data.none", db=exc.db))
        st.stop()
        raise  # unreachable: st.stop() ends the run


def banners() -> None:
    """On every page: a damaged snapshot passed over, and a demo store's synthetic data."""
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


def data_as_of(snapshot: str) -> None:
    """A caption naming the last import's time."""
    last = data.last_import(snapshot)
    if last is not None:
        st.caption(t("data.as_of", when=f"{last.imported_at:%Y-%m-%d %H:%M}", n=last.import_id))


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
