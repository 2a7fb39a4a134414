"""oopwatch dashboard: page setup, language switch, sign-in and navigation (``streamlit run``)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import streamlit as st  # noqa: E402

from dashboard import data  # noqa: E402
from dashboard.i18n import language_switch, t  # noqa: E402
from dashboard.search import sidebar_search  # noqa: E402
from dashboard.session import forget_look, gate  # noqa: E402
from dashboard.ui import allowed, banners  # noqa: E402
from pipeline.access import auth  # noqa: E402

HERE = Path(__file__).resolve().parent
# Pages live in views/, not pages/: a pages/ folder next to the main script switches Streamlit
# into its legacy multipage mode until st.navigation runs (AppTest re-enters it on every run and
# then skips this script, so the sidebar and the language would vanish after the first rerun).

st.set_page_config(page_title=t("app.title"), page_icon="🩺", layout="wide")
language_switch()
who = gate()  # the sign-in form, unless someone is signed in (or this is the open local demo)
pages = [
    st.Page(
        HERE / "views" / "overview.py",
        title=t("nav.overview"),
        icon=":material/dashboard:",
        default=True,
    ),
    st.Page(HERE / "views" / "watchlist.py", title=t("nav.watchlist"), icon=":material/flag:"),
    st.Page(HERE / "views" / "quality.py", title=t("nav.quality"), icon=":material/fact_check:"),
    st.Page(HERE / "views" / "drilldown.py", title=t("nav.drilldown"), icon=":material/map:"),
    st.Page(HERE / "views" / "person.py", title=t("nav.person"), icon=":material/person:"),
]
# A national dashboard (serve --warehouse) has no lab (the assistance replay is a province's),
# no upload (extracts go into a province's store; the warehouse brings them here) and no cases
# or outcomes (pushes, decisions and visits are each province's).
province = not data.is_national(str(data.db_path()))
if province:
    pages.append(st.Page(HERE / "views" / "cases.py", title=t("nav.cases"),
                         icon=":material/assignment:"))  # fmt: skip
    pages.append(st.Page(HERE / "views" / "outcomes.py", title=t("nav.outcomes"),
                         icon=":material/insights:"))  # fmt: skip
if province and (who.is_admin or len(who.scope) <= 2):  # the lab: admins, national, provincial
    pages.append(st.Page(HERE / "views" / "lab.py", title=t("nav.lab"), icon=":material/tune:"))
if who.is_admin:
    if province:
        pages.append(
            st.Page(HERE / "views" / "upload.py", title=t("nav.upload"), icon=":material/upload:")
        )
    audit = st.Page(HERE / "views" / "audit.py", title=t("nav.audit"), icon=":material/history:")
    pages.append(audit)
page = st.navigation(pages)
if page.url_path not in ("person", "drilldown"):  # (the drill-down forgets it when it shows none)
    forget_look(auth.PERSON_VIEW)  # the next person opened is a new look (audit)
banners()
data.keep_warm(str(data.db_path()))  # once per server: every new snapshot warmed as it appears
with allowed():  # a page that asks for data outside the user's region or role ends here
    sidebar_search()
    page.run()
