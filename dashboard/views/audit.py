"""Audit log (admins): sign-ins, person pages opened, downloads, exports, imports, account
changes; filtered by user, action and date. A regional admin sees their region's accounts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.i18n import t
from dashboard.ui import choice
from pipeline.access import auth

DEFAULT_DAYS = 30


def filters(db: str) -> tuple[str | None, str | None, dt.date, dt.date]:
    """User, action and the first and last day to show."""
    top = st.columns(4)
    user = choice(t("audit.user"), data.audit_users(db), "audit.user", container=top[0])
    action = choice(t("audit.action"), list(auth.ACTIONS), "audit.action", container=top[1])
    today = dt.date.today()
    start = top[2].date_input(
        t("audit.from"), value=today - dt.timedelta(days=DEFAULT_DAYS), key="audit.from"
    )
    end = top[3].date_input(t("audit.to"), value=today, key="audit.to")
    return user, action, start, end


def main() -> None:
    """Render the page."""
    st.title(t("audit.title"))
    st.caption(t("audit.caption"))
    db = str(data.db_path())
    user, action, start, end = filters(db)
    log = data.audit_log(
        db, since=start.isoformat(), until=(end + dt.timedelta(days=1)).isoformat(),
        user=user, action=action,
    )  # fmt: skip
    if log.empty:
        st.info(t("audit.none"))
        return
    st.caption(t("audit.count", n=ui.count(len(log))))
    shown = pd.DataFrame(
        {
            t("qcol.when"): log["at"],
            t("audit.user"): log["user"],
            t("qcol.source"): log["source"],
            t("audit.action"): log["action"],
            t("acol.target"): log["target"],
            t("qcol.filters"): log["filters"],
            t("qcol.rows"): log["rows"],
            t("qcol.full_ids"): log["full_ids"].astype(bool),
            t("acol.detail"): log["detail"],
        }
    )
    st.dataframe(shown, hide_index=True, key="audit.table")


main()
