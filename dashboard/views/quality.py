"""Imports and data quality: every import, why rows were rejected, what is still unplaced."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.i18n import language, t
from dashboard.ui import data_as_of, reason_text, snapshot_or_stop
from pipeline import labels

QUIET_SHARE = 0.5
QUIET_WEEKS = 52


def _count_config(*names: str) -> dict[str, object]:
    """Localized number columns."""
    return {name: st.column_config.NumberColumn(format="localized") for name in names}


ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "gb18030": "GB18030"}


def encoding_label(code: object) -> str:
    """A file's encoding as people know it (``utf-8-sig`` is Python's name for UTF-8 with a
    BOM); none for a workbook."""
    return "—" if ui.missing(code) or not code else ENCODINGS.get(str(code), str(code).upper())


def imports_section(snapshot: str) -> None:
    """Every imported file with rows read, loaded and rejected."""
    st.subheader(t("q.imports"))
    frame = data.imports_table(snapshot)
    shown = pd.DataFrame(
        {
            t("qcol.import_id"): frame["import_id"],
            t("qcol.file"): frame["file"],
            t("qcol.kind"): [ui.keyed_label("ingest.kind", k) for k in frame["kind"]],
            t("qcol.format"): [
                str(v).upper() if not ui.missing(v) else "—" for v in frame["format"]
            ],
            t("qcol.encoding"): [encoding_label(v) for v in frame["encoding"]],
            t("q.rows_read"): frame["rows_read"],
            t("q.rows_loaded"): frame["rows_loaded"],
            t("q.rows_rejected"): frame["rows_rejected"],
            t("qcol.imported_at"): [ui.when(v) for v in frame["imported_at"]],
            t("qcol.sha256"): [str(v)[:12] for v in frame["sha256"]],
        }
    )
    config = _count_config(t("q.rows_read"), t("q.rows_loaded"), t("q.rows_rejected"))
    st.dataframe(shown, hide_index=True, column_config=config, key="q.imports")


def rejects_section(snapshot: str) -> None:
    """Reject reasons with counts, and a few masked examples of each."""
    st.subheader(t("q.rejects"))
    reasons = data.reject_reasons(snapshot)
    if reasons.empty:
        st.info(t("q.rejects_none"))
        return
    shown = pd.DataFrame(
        {
            t("qcol.reason"): reasons["reason"].map(reason_text),  # words, not the code
            t("qcol.rows"): reasons["rows"],
            t("qcol.files"): reasons["files"],
        }
    )
    st.dataframe(shown, hide_index=True, column_config=_count_config(t("qcol.rows")))
    who = data.access()
    if not (who.is_admin and who.national):  # the rows carry no region: national admins only
        return
    examples = data.reject_examples(snapshot)
    with st.expander(t("q.examples")):
        st.dataframe(
            pd.DataFrame(
                {
                    t("qcol.reason"): examples["reason"].map(reason_text),
                    t("qcol.file"): examples["file"],
                    t("qcol.line"): examples["line"],
                    t("qcol.raw"): examples["raw"],
                    t("qcol.detail"): examples["detail"],
                }
            ),
            hide_index=True,
        )


def unmatched_section(snapshot: str) -> None:
    """Claims whose person no roster or enrolment names yet."""
    st.subheader(t("q.unmatched"))
    frame, claims, oop = data.unmatched_claims(snapshot)
    if not claims:
        st.info(t("q.unmatched_none"))
        return
    cols = ui.metric_cells(2)
    cols[0].metric(t("q.unmatched_claims"), ui.count(claims))
    cols[1].metric(t("q.unmatched_oop"), ui.yuan(oop))
    shown = pd.DataFrame(
        {
            t("qcol.person"): frame["person"],
            t("qcol.claims"): frame["claims"],
            t("qcol.oop"): [ui.yuan(v) for v in frame["oop"]],
            t("qcol.first"): frame["first"],
            t("qcol.last"): frame["last"],
        }
    )
    st.dataframe(shown, hide_index=True)


def unknown_section(snapshot: str) -> None:
    """Division codes that the bundled names lack."""
    st.subheader(t("q.unknown"))
    frame = data.unknown_divisions(snapshot)
    if frame.empty:
        st.info(t("q.unknown_none"))
        return
    shown = pd.DataFrame(
        {
            t("qcol.level"): [t(f"level.{v}") for v in frame["level"]],
            t("qcol.code"): frame["code"],
            t("qcol.households"): frame["households"],
            t("qcol.people"): frame["people"],
        }
    )
    st.dataframe(shown, hide_index=True)


def quiet_section(snapshot: str) -> None:
    """County weeks with far fewer claims than usual."""
    st.subheader(t("q.quiet"))
    st.caption(t("q.quiet_help", weeks=QUIET_WEEKS, share=int(QUIET_SHARE * 100)))
    frame = data.quiet_weeks(snapshot, QUIET_SHARE, QUIET_WEEKS)
    if frame.empty:
        st.info(t("q.quiet_none"))
        return
    shown = pd.DataFrame(
        {
            t("qcol.county"): [
                f"{n} ({c})" for n, c in zip(frame["name"], frame["county"], strict=True)
            ],
            t("qcol.week"): frame["week"],
            t("qcol.claims"): frame["claims"],
            t("qcol.median"): frame["median"],
        }
    )
    st.dataframe(shown, hide_index=True)


def unusual_section(snapshot: str) -> None:
    """County weeks unlike the county's own history (claims, OOP, assistance share)."""
    st.subheader(t("q.unusual"))
    st.caption(t("q.unusual_help"))
    frame = data.unusual_weeks(snapshot)
    if frame.empty:
        st.info(t("q.unusual_none"))
        return

    def shown_value(metric: str, value: float) -> str:
        if metric == "assistance_share":
            return f"{value:.1%}"
        return f"¥{value:,.0f}" if metric == "oop" else f"{value:,.0f}"  # (a statistic)

    metrics, values, medians = frame["metric"], frame["value"], frame["median"]
    shown = pd.DataFrame(
        {
            t("qcol.county"): [
                f"{n} ({c})" for n, c in zip(frame["name"], frame["county"], strict=True)
            ],
            t("qcol.week"): frame["week"],
            t("qcol.metric"): [t(f"metric.{m}") for m in metrics],
            t("qcol.value"): [shown_value(m, v) for m, v in zip(metrics, values, strict=True)],
            t("qcol.usual"): [shown_value(m, v) for m, v in zip(metrics, medians, strict=True)],
            t("qcol.z"): [f"{z:.2f}" if not ui.missing(z) else "—" for z in frame["z"]],
        }
    )
    st.dataframe(shown, hide_index=True)


def exports_section(snapshot: str) -> None:
    """Who exported or downloaded which watch-list, when, with what filters (activity log), and
    the exports the store recorded for follow-up."""
    st.subheader(t("q.exports"))
    log = data.download_log(str(data.db_path()))
    if log.empty:
        st.info(t("q.exports_none"))
        return
    shown = pd.DataFrame(
        {
            t("qcol.when"): log["at"],
            t("qcol.user"): log["user"],
            t("qcol.source"): log["source"],
            t("qcol.action"): log["action"],
            t("qcol.file"): log["target"],
            t("qcol.filters"): log["filters"],
            t("qcol.rows"): log["rows"],
            t("qcol.full_ids"): log["full_ids"].astype(bool),
            t("qcol.sha256"): [str(v)[:12] if v else "" for v in log["sha256"]],
        }
    )
    st.dataframe(shown, hide_index=True, column_config=_count_config(t("qcol.rows")))


def returns_section(snapshot: str) -> None:
    """Returned visit-outcome files with rows read / loaded / rejected, and the rejected rows."""
    st.subheader(t("q.returns"))
    files, rejects = data.return_log(snapshot)
    if files.empty:
        st.info(t("q.returns_none"))
        return
    shown = pd.DataFrame(
        {
            t("qcol.import_id"): files["return_id"],
            t("qcol.file"): files["file"],
            t("qcol.when"): [ui.when(v) for v in files["returned_at"]],
            t("qcol.user"): files["os_user"],
            t("q.rows_read"): files["rows_read"],
            t("q.rows_loaded"): files["rows_loaded"],
            t("q.rows_rejected"): files["rows_rejected"],
            t("qcol.unfilled"): files["rows_unfilled"],
        }
    )
    st.dataframe(shown, hide_index=True)
    if not rejects.empty:
        with st.expander(t("q.return_rejects")):
            st.dataframe(
                pd.DataFrame(
                    {
                        t("qcol.file"): rejects["file"],
                        t("qcol.sheet"): rejects["sheet"],
                        t("qcol.row"): rejects["row"],
                        t("qcol.reason"): rejects["reason"],
                        t("qcol.detail"): rejects["detail"],
                        t("qcol.raw"): rejects["raw"],
                    }
                ),
                hide_index=True,
            )


def provinces_section(snapshot: str) -> None:
    """A national dashboard's provinces: when each last published, from which imports."""
    st.subheader(t("q.provinces"))
    st.caption(t("q.provinces_help"))
    frame = data.province_publishes(snapshot)
    if frame.empty:
        st.info(t("q.provinces_none"))
        return
    shown = pd.DataFrame(
        {
            t("qcol.province"): [
                f"{n} ({c})" if not ui.missing(n) else c
                for n, c in zip(frame["name"], frame["province"], strict=True)
            ],
            t("qcol.published_at"): [ui.when(v) for v in frame["published_at"]],
            t("qcol.imports"): frame["imports"],
            t("qcol.last_import"): frame["last_import"],
            t("qcol.people"): frame["people"],
            t("qcol.listed"): frame["listed"],
        }
    )
    config = _count_config(t("qcol.people"), t("qcol.listed"))
    st.dataframe(shown, hide_index=True, column_config=config)


def category_section(snapshot: str) -> None:
    """Departments' decisions the roster has not followed in time (a data-quality item)."""
    days = data.push_policy().roster_days
    frame = data.category_disagreements(snapshot, days)
    st.subheader(t("q.category"))
    st.caption(t("q.category_help", days=days))
    if frame.empty:
        st.info(t("q.category_none", days=days))
        return
    lang = language()
    policy = data.push_policy()
    shown = pd.DataFrame(
        {
            t("col.person_name"): frame["name"],
            t("cases.village"): [n or v or "—" for n, v in
                                 zip(frame["village_name"], frame["village_code"], strict=True)],
            t("col.category"): [labels.label(labels.CATEGORIES, c, lang) if c else "—"
                                for c in frame["roster_category"]],
            t("cases.decision"): [labels.label(labels.DECISIONS, d, lang)
                                  for d in frame["decision"]],
            t("cases.department"): [policy.department_label(d, lang) for d in frame["department"]],
            t("cases.day"): [str(d) for d in frame["decided_on"]],
            t("q.category_days"): frame["days"],
        }
    )  # fmt: skip
    st.dataframe(shown, hide_index=True, key="q.category_table")


def main() -> None:
    """Render the page: imports for everyone (a national dashboard: the provinces' publishes);
    the figures of the user's region; what names people (reject examples, unmatched claims, the
    export and return logs) for admins only."""
    st.title(t("q.title"))
    snapshot = snapshot_or_stop()
    data_as_of(snapshot)
    who = data.access()
    national = data.national_build(snapshot) is not None
    if national:  # imports, rejects, quiet weeks and returns are each province's
        provinces_section(snapshot)
    else:
        imports_section(snapshot)
        rejects_section(snapshot)
    if who.is_admin and who.national:
        unmatched_section(snapshot)
    unknown_section(snapshot)
    if not national:
        quiet_section(snapshot)
        unusual_section(snapshot)
        category_section(snapshot)
    if who.is_admin:
        if not who.national:
            st.caption(t("q.national_only"))
        exports_section(snapshot)
        if not national:
            returns_section(snapshot)
    else:
        st.caption(t("q.admin_only"))


main()
