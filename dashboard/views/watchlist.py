"""Watch-list: the people the rules flag, filtered, with masked IDs, follow-up status, and the
caseworkers' file (Excel or CSV, the ``oopwatch export`` writer) to download."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.i18n import LABELS, language, t
from dashboard.ui import choice, data_as_of, region_selector, snapshot_or_stop


def rule_label(rule: str) -> str:
    """A rule id's label in the current language (the id itself for a rule we have no label of)."""
    return t(f"rule.{rule}") if f"rule.{rule}" in LABELS else rule


def rules_text(rules: str | None) -> str:
    """``oop_line;projected`` -> labels joined by a Chinese or English list separator."""
    sep = "、" if language() == "zh" else "; "
    return sep.join(rule_label(r) for r in (rules or "").split(";") if r)


URL_FILTERS = ("status", "stage", "region")  # a link may preset them (?status=new: overview)


def preset_from_url() -> None:
    """A link such as the overview's "new this week" (``?status=new``) presets its filters once
    and leaves the URL, so that changing them afterwards is not undone on the next click."""
    for name in URL_FILTERS:
        value = st.query_params.get(name)
        if value is not None:
            st.session_state[f"wl.{name}"] = value
            del st.query_params[name]


def filters(snapshot: str) -> dict[str, object] | None:
    """The filter controls; None when the watch-list has no year at all."""
    years = data.watch_years(snapshot)
    if not years:
        return None
    preset_from_url()
    top = st.columns(3)
    year = top[0].selectbox(t("wl.year"), years, key="wl.year")
    region = region_selector(snapshot, key="wl.region", container=top[1])
    categories = data.category_labels(snapshot, language())
    listed = data.watch_categories(snapshot, year)  # only categories someone on the list has
    category = choice(t("wl.category"), listed, "wl.category", categories.get, container=top[2])
    row = st.columns(4)
    rule = choice(t("wl.rule"), data.watch_rules(snapshot), "wl.rule", rule_label, row[0])
    severity = choice(
        t("wl.severity"), list(data.SEVERITIES), "wl.severity", lambda s: t(f"sev.{s}"), row[1]
    )
    status = choice(
        t("wl.status"), ["new", "continuing"], "wl.status", lambda s: t(f"status.{s}"), row[2]
    )
    stage = choice(t("wl.stage"), list(data.STAGE_FILTERS), "wl.stage", stage_label, row[3])
    return {
        "year": year, "region": region, "rule": rule, "severity": severity,
        "status": status, "category": category, "stage": stage,
    }  # fmt: skip


def stage_label(stage: str) -> str:
    """A follow-up stage (or ``waiting``: no outcome FOLLOW_UP_DAYS days after export)."""
    return t(f"stage.{stage}", days=data.FOLLOW_UP_DAYS)


def place(township: str | None, village: str | None) -> str:
    """Township and village together: many villages share a name (高家村 ×4 in one county)."""
    parts = [p for p in (township, village) if p and not ui.missing(p)]
    return " ".join(parts) or "—"


def threshold_text(threshold: object, compared: object, oop: object) -> str:
    """The threshold, and when it is the household's (household_burden) the household's OOP it
    is compared with: ``¥3,956.00（户 ¥4,000.01）``."""
    if ui.missing(threshold):
        return ""
    if ui.missing(compared) or compared == oop:
        return ui.yuan(threshold)
    return t("wl.household_line", line=ui.yuan(threshold), oop=ui.yuan(compared))


def shown_table(frame: pd.DataFrame, snapshot: str) -> pd.DataFrame:
    """The rows as shown: labels in the current language, money as ¥ text."""
    lang = language()
    categories = data.category_labels(snapshot, lang)
    return pd.DataFrame(
        {
            t("wcol.status"): [t(f"status.{s}") for s in frame["status"]],
            t("wcol.person"): frame["person"],
            t("wcol.name"): frame["name"],
            t("wcol.village"): [
                place(a, b) for a, b in zip(frame["township"], frame["village"], strict=True)
            ],
            t("wcol.category"): [categories.get(c, c) for c in frame["category"]],
            t("wcol.oop"): [ui.yuan(v) for v in frame["oop"]],
            t("wcol.threshold"): [
                threshold_text(*v)
                for v in zip(frame["threshold"], frame["compared_oop"], frame["oop"], strict=True)
            ],
            t("wcol.rules"): [rules_text(r) for r in frame["rules"]],
            t("wcol.severity"): [t(f"sev.{s}") for s in frame["severity"]],
            t("wcol.stage"): [stage_label(s) for s in frame["stage"]],
        }
    )


# Widths that fit the table in a laptop's window, per language (English words are longer).
# The rules' long explanations and the weeks on the list are on each person's page and in the
# downloads, not here.
WIDTHS = {  # pixels, wide enough for the longest usual text of each column
    "zh": {
        "wcol.status": 50, "wcol.person": 150, "wcol.name": 65, "wcol.village": 150,
        "wcol.category": 115, "wcol.oop": 100, "wcol.threshold": 230, "wcol.rules": 230,
        "wcol.severity": 65, "wcol.stage": 110,
    },
    "en": {
        "wcol.status": 90, "wcol.person": 150, "wcol.name": 65, "wcol.village": 160,
        "wcol.category": 120, "wcol.oop": 100, "wcol.threshold": 250, "wcol.rules": 320,
        "wcol.severity": 70, "wcol.stage": 130,
    },
}  # fmt: skip
MONEY = ("wcol.oop", "wcol.threshold")


PINNED = ("wcol.status", "wcol.name")  # stay in view while a narrow window scrolls the table


def column_widths() -> dict[str, object]:
    """Column configs of the table: widths wide enough for their text (a narrow window scrolls
    the table sideways, the status and name pinned, rather than cut a label), money
    right-aligned."""
    return {
        t(key): st.column_config.TextColumn(
            width=width, alignment="right" if key in MONEY else None, pinned=key in PINNED
        )
        for key, width in WIDTHS[language()].items()
    }


OPEN = "wl.open"  # session state: the drill-down place a clicked row asked for


def clicked(key: str) -> int | None:
    """The row a click chose in the table ``key``: a selected row or any cell of it."""
    state = st.session_state.get(key)
    if not state:
        return None
    selection = state["selection"]
    if selection.get("rows"):
        return int(selection["rows"][0])
    cells = selection.get("cells") or []
    return int(cells[0][0]) if cells else None


def on_row(key: str, places: list[dict[str, str]]) -> None:
    """Callback of a table: the place of the clicked row, opened when the page runs."""
    row = clicked(key)
    if row is not None:
        st.session_state[OPEN] = places[row]


def open_clicked() -> None:
    """Go to the drill-down at the place a clicked row asked for (person or household)."""
    target = st.session_state.pop(OPEN, None)
    if target:
        st.switch_page("views/drilldown.py", query_params=target)


def person_places(frame: pd.DataFrame, year: int) -> list[dict[str, str]]:
    """Where each listed person opens: their page inside the drill-down (by link token)."""
    return [
        {"year": str(year), "region": v or "", "household": h or "", "person": p or ""}
        for v, h, p in zip(
            frame["village_code"], frame["household_id"], frame["token"], strict=True
        )  # fmt: skip
    ]


def people_view(snapshot: str, chosen: dict[str, object]) -> int | None:
    """One row per listed person (new first); a click on a row or cell opens the person."""
    frame, total = data.watchlist_page(snapshot, **chosen)
    if frame.empty:
        return None
    st.markdown(t("wl.count", total=ui.count(total), shown=ui.count(len(frame))))
    if total > len(frame):
        st.warning(t("wl.limited", shown=ui.count(len(frame))))
    table = shown_table(frame, snapshot)
    key = f"wl.table.{language()}"
    places = person_places(frame, int(chosen["year"]))
    opens = data.access().sees_names  # viewers get figures, no way to a person
    if opens:
        st.caption(t("wl.hint"))
    st.dataframe(
        table, hide_index=True, column_config=column_widths(),
        height=600 if len(table) > 16 else "auto", key=key,
        on_select=(lambda: on_row(key, places)) if opens else "ignore",
        selection_mode=["single-row", "single-cell"],
    )  # fmt: skip
    return total


def households_view(snapshot: str, chosen: dict[str, object]) -> int | None:
    """One row per household with listed members (one visit each); a click opens it."""
    frame, total = data.watchlist_households(snapshot, **chosen)
    if frame.empty:
        return None
    st.markdown(t("wl.count_households", total=ui.count(total), shown=ui.count(len(frame))))
    sep = "、" if language() == "zh" else ", "
    shown = pd.DataFrame(
        {
            t("wcol.new"): frame["new"],
            t("col.household"): frame["household_id"],
            t("wcol.members"): [sep.join(n or "—" for n in names) for names in frame["names"]],
            t("wcol.village"): [
                place(a, b) for a, b in zip(frame["township"], frame["village"], strict=True)
            ],
            t("wcol.listed"): frame["listed"],
            t("wcol.severity"): [t(f"sev.{s}") for s in frame["severity"]],
            t("wcol.listed_oop"): [ui.yuan(v) for v in frame["listed_oop"]],
            t("col.household_oop"): [ui.yuan(v) for v in frame["household_oop"]],
            t("wcol.stage"): [sep.join(stage_label(s) for s in sorted(v)) for v in frame["stages"]],
        }
    )
    key = f"wl.households.{language()}"
    year = str(chosen["year"])
    places = [
        {"year": year, "region": v or "", "household": h or ""}
        for v, h in zip(frame["village_code"], frame["household_id"], strict=True)
    ]
    opens = data.access().sees_names
    if opens:
        st.caption(t("wl.hint_households"))
    right = st.column_config.TextColumn(alignment="right", width=110)
    config = {
        t("wcol.listed_oop"): right, t("col.household_oop"): right,
        t("wcol.members"): st.column_config.TextColumn(width=300),  # up to 6 names whole
        t("wcol.village"): st.column_config.TextColumn(width=150),
        t("wcol.stage"): st.column_config.TextColumn(width=120),
        t("wcol.new"): st.column_config.NumberColumn(width=70, pinned=True),
        t("col.household"): st.column_config.TextColumn(width=120, pinned=True),
    }  # fmt: skip
    st.dataframe(
        shown, hide_index=True, height=600 if len(shown) > 16 else "auto", key=key,
        column_config=config,
        on_select=(lambda: on_row(key, places)) if opens else "ignore",
        selection_mode=["single-row", "single-cell"],
    )  # fmt: skip
    return total


def downloads(
    snapshot: str, chosen: dict[str, object], rows: int, by_household: bool = False
) -> None:
    """The caseworkers' file of every row the filters match, in Excel and CSV. Each is built
    when its button is clicked (a national list at 1M people takes seconds, a page view must
    not) and then written to the audit log (who, when, filters, rows, sha256). Viewers get no
    download (names); admins may also export full IDs, with a reason."""
    who = data.access()
    if not who.sees_names:
        st.caption(t("wl.viewer_note"))
        return
    lang = language()
    stem = f"watchlist_{chosen['year']}_{chosen['region'] or 'all'}"

    def build(kind: str) -> Callable[[], bytes]:
        def content() -> bytes:  # runs on the click, outside the script run: as ``who``
            with data.acting_as(who):
                return data.download_file(
                    snapshot, f"{stem}.{kind}", **chosen, lang=lang, kind=kind,
                    by_household=by_household,
                )  # fmt: skip

        return content

    buttons = st.container(horizontal=True)  # wraps when narrow: a label is never cut short
    for kind, label in (("xlsx", t("wl.download")), ("csv", t("wl.download_csv"))):
        buttons.download_button(
            label, data=build(kind), file_name=f"{stem}.{kind}", mime=MIME[kind],
            key=f"wl.download.{kind}", on_click="ignore", width="content",
        )  # fmt: skip
    st.caption(t("wl.download_help", rows=ui.count(rows)))
    if who.is_admin:
        full_id_export(snapshot, chosen, stem)


MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
FULL_ID_FILE = "wl.full_ids.file"  # session state: the last full-ID file made (name, bytes)


def full_id_export(snapshot: str, chosen: dict[str, object], stem: str) -> None:
    """Admins: the same list with full resident IDs, made only with a reason (logged)."""
    with st.expander(t("wl.full_ids"), icon=":material/lock_open:"):
        st.caption(t("wl.full_ids_help"))
        with st.form("wl.full_ids.form", clear_on_submit=True):
            reason = st.text_input(t("wl.full_ids_reason"), key="wl.full_ids.reason")
            kind = st.radio(
                t("wl.full_ids_kind"), ["xlsx", "csv"], horizontal=True, key="wl.full_ids.kind"
            )
            made = st.form_submit_button(t("wl.full_ids_make"))
        if made:
            if len(" ".join(reason.split())) < data.MIN_REASON:
                st.error(t("wl.full_ids_reason_short", n=data.MIN_REASON))
            else:
                name = f"{stem}_full_ids.{kind}"
                content, count = data.full_id_file(
                    snapshot, reason, name, **chosen, lang=language(), kind=kind
                )
                st.session_state[FULL_ID_FILE] = (dict(chosen), name, kind, content, count)
        ready = st.session_state.get(FULL_ID_FILE)
        if ready and ready[0] == chosen:  # made for the filters shown, not earlier ones
            _, name, kind, content, count = ready
            st.success(t("wl.full_ids_ready", rows=ui.count(count)))
            st.download_button(
                t("wl.full_ids_download"), data=content, file_name=name, mime=MIME[kind],
                key="wl.full_ids.download", on_click=forget_full_id_file,
            )  # fmt: skip


def forget_full_id_file() -> None:
    """Once downloaded, the full-ID file leaves the session's memory."""
    st.session_state.pop(FULL_ID_FILE, None)


def waiting_section(snapshot: str, year: int, region: str) -> None:
    """People exported more than two weeks ago whose visit outcome has not come back."""
    frame = data.waiting_cases(snapshot, year, region)
    days = data.FOLLOW_UP_DAYS
    if frame.empty:
        st.caption(t("wl.waiting_none", days=days))
        return
    with st.expander(t("wl.waiting", days=days, n=ui.count(len(frame)))):
        shown = pd.DataFrame(
            {
                t("wcol.person"): frame["person"],
                t("wcol.name"): frame["name"],
                t("wcol.village"): frame["village"],
                t("wcol.severity"): [t(f"sev.{s}") if s else "" for s in frame["severity"]],
                t("wcol.exported_at"): [ui.when(v) for v in frame["exported_at"]],
                t("wcol.export_id"): frame["export_id"],
                t("wcol.days"): frame["days"],
            }
        )
        st.dataframe(shown, hide_index=True)


def main() -> None:
    """Render the page."""
    open_clicked()  # a row clicked in the previous run: go there
    st.title(t("wl.title"))
    snapshot = snapshot_or_stop()
    data_as_of(snapshot)
    chosen = filters(snapshot)
    if chosen is None:
        st.info(t("wl.none"))
        return
    by = st.segmented_control(
        t("wl.by"), ["person", "household"], default="person", key="wl.by",
        format_func=lambda v: t(f"wl.by.{v}"), required=True,
    )  # fmt: skip
    view = households_view if by == "household" else people_view
    total = view(snapshot, {**chosen, "today": dt.date.today()})
    if total is None:
        st.info(t("wl.empty"))
        return
    listed = {k: v for k, v in chosen.items() if k != "stage"}  # the file: every stage
    if chosen["stage"]:
        st.caption(t("wl.download_all_stages"))
    # the file's people: the table's count, unless it counted households or one stage only
    same = by == "person" and not chosen["stage"]
    rows = total if same else data.watchlist_page(snapshot, **listed)[1]
    downloads(snapshot, listed, rows, by_household=by == "household")
    waiting_section(snapshot, chosen["year"], chosen["region"])


main()
