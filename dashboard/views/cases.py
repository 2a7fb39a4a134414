"""Cases: every case followed to its outcome with the departments that decide. The pushes due,
what is overdue per region, the departmental funnel, every case (or mine, or the overdue ones)
and, for the chosen case, its timeline and who follows it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, ui
from dashboard.i18n import language, t
from dashboard.ui import region_selector
from pipeline import labels

VIEWS = ("all", "mine", "overdue")
SHOWN = 300  # rows of the case table (the most urgent first)
FLASH = "cases.flash"  # session key: what the last assignment did, said after the rerun
CLICKED = "cases.clicked"  # session key: the person of the row last clicked in the table
PICKS = "cases.picks"  # session key: how many clicks have set the picker (its widget's number)


def blank(value: object) -> bool:
    """None, NaN or NaT."""
    return value is None or bool(pd.isna(value))


def label_of(table: dict[str, tuple[str, str]], code: object) -> str:
    """A code's label in the session's language ('—' when there is none)."""
    if blank(code):
        return "—"
    return labels.label(table, str(code), language())


def department_label(code: object) -> str:
    if blank(code) or not code:
        return "—"
    return data.push_policy().department_label(str(code), language())


def step_detail(step: str, code: object) -> str:
    """What a timeline step's code means (a decision, an outcome, why the person left)."""
    if blank(code):
        return ""
    tables = {
        "decision": labels.DECISIONS,
        "visit": labels.OUTCOMES,
        "exported": labels.STATUSES,
    }
    if step in tables:
        return label_of(tables[step], code)
    if step == "pushed":
        return data.push_policy().warning_label(str(code), language())
    if step == "left_list":
        return ui.keyed_label("reason", str(code))
    return str(code)


def due_section(snapshot: str, region: str, year: int, today: dt.date) -> None:
    """Which pushes are due, per department and cadence."""
    st.subheader(t("cases.due"))
    frame = data.pushes_due(snapshot, region, year, today)
    joiner = "、" if language() == "zh" else ", "
    shown = pd.DataFrame(
        {
            t("cases.department"): [department_label(d) for d in frame["department"]],
            t("cases.categories"): [
                joiner.join(label_of(labels.CATEGORIES, c) for c in cats)
                for cats in frame["categories"]
            ],
            t("cases.every"): [t("cases.every_days", n=int(n)) for n in frame["every_days"]],
            t("cases.last_push"): [
                t("cases.never") if blank(v) else ui.when(v) for v in frame["last_pushed_at"]
            ],  # fmt: skip
            t("cases.next_due"): ["—" if blank(v) else str(v) for v in frame["next_due"]],
            t("cases.due_now"): [
                t("cases.due_yes") if d else t("cases.due_no") for d in frame["due"]
            ],  # fmt: skip
        }
    )
    st.dataframe(shown, hide_index=True, key="cases.due_table")
    st.caption(t("cases.due_help"))


def overdue_section(snapshot: str, region: str, year: int, today: dt.date) -> None:
    """Overdue decisions and visits counted per region."""
    frame = data.overdue_counts(snapshot, region, year, today)
    if frame.empty:
        return
    st.subheader(t("cases.overdue_by_region"))
    shown = pd.DataFrame(
        {
            t("region.label"): [ui.region_name(c, n) if c else "—"
                                for c, n in zip(frame["region"], frame["region_name"],
                                                strict=True)],
            t("cases.cases"): frame["cases"],
            t("cases.decision_overdue"): frame["decision_overdue"],
            t("cases.visit_overdue"): frame["visit_overdue"],
        }
    )  # fmt: skip
    st.dataframe(shown, hide_index=True, key="cases.overdue_table")
    policy = data.push_policy()
    st.caption(t("cases.overdue_help", days=policy.decision_working_days, visit=policy.visit_days))


FUNNEL_STEPS = ("flagged", "pushed", "verified", "included", "assisted")
DAY_COLUMNS = (
    "days_flag_to_push", "days_push_to_decision", "days_decision_to_inclusion",
    "days_to_assistance",
)  # fmt: skip


def funnel_section(snapshot: str, region: str, year: int) -> None:
    """flagged → pushed → verified → included → assisted, with the median days between."""
    frame = data.department_funnel(snapshot, region, year)
    st.subheader(t("cases.funnel"))
    if frame.empty:
        st.info(t("cases.funnel_none"))
        return
    totals = {step: int(frame[step].sum()) for step in FUNNEL_STEPS}
    fig = go.Figure(
        go.Funnel(
            y=[t(f"cases.step.{s}") for s in FUNNEL_STEPS],
            x=[totals[s] for s in FUNNEL_STEPS],
            textinfo="value+percent initial",
        )
    )
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    st.plotly_chart(fig, key="cases.funnel_chart")
    shown = pd.DataFrame(
        {
            t("region.label"): [ui.region_name(c, n) for c, n in
                                zip(frame["region"], frame["region_name"], strict=True)],
            **{t(f"cases.step.{s}"): frame[s] for s in FUNNEL_STEPS},
            **{t(f"cases.{c}"): ["—" if blank(v) else f"{float(v):g}" for v in frame[c]]
               for c in DAY_COLUMNS},
        }
    )  # fmt: skip
    st.dataframe(shown, hide_index=True, key="cases.funnel_table")
    st.caption(t("cases.funnel_help"))


def case_rows(snapshot: str, region: str, year: int, today: dt.date, view: str) -> pd.DataFrame:
    """The case table of the chosen view, with assignees."""
    frame = data.with_assignees(data.db_path(), data.case_table(snapshot, region, year, today))
    if view == "mine":
        frame = frame[frame["assignee"] == data.access().user]
    elif view == "overdue":
        frame = frame[frame["decision_overdue"] | frame["visit_overdue"]]
    return frame.reset_index(drop=True)


def shown_cases(frame: pd.DataFrame) -> pd.DataFrame:
    """The case table as people read it."""
    late = []
    for d, v in zip(frame["decision_overdue"], frame["visit_overdue"], strict=True):
        parts = ([t("cases.late_decision")] if d else []) + ([t("cases.late_visit")] if v else [])
        late.append("、".join(parts) if language() == "zh" else ", ".join(parts))
    return pd.DataFrame(
        {
            t("col.person_name"): frame["name"],
            t("cases.village"): frame["village_name"],
            t("col.category"): [label_of(labels.CATEGORIES, c) for c in frame["category"]],
            t("cases.oop"): ["—" if blank(v) else ui.yuan(v) for v in frame["oop"]],
            t("cases.stage"): [label_of(labels.STAGES, s) for s in frame["stage"]],
            t("cases.decision"): [label_of(labels.DECISIONS, d) for d in frame["decision"]],
            t("cases.decision_due"): [
                "—" if blank(v) else str(v) for v in frame["decision_due"]
            ],  # fmt: skip
            t("cases.overdue"): late,
            t("cases.assignee"): ["—" if blank(a) or not a else a for a in frame["assignee"]],
        }
    )


def case_list(snapshot: str, region: str, year: int, today: dt.date, view: str) -> None:
    """The table of cases and the choice of one."""
    frame = case_rows(snapshot, region, year, today, view)
    st.subheader(t(f"cases.view.{view}"))
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    if frame.empty:
        st.info(t(f"cases.none.{view}"))
        return
    st.caption(t("cases.count", n=ui.count(len(frame)), shown=ui.count(min(len(frame), SHOWN))))
    top = frame.head(SHOWN)
    event = st.dataframe(
        shown_cases(top), hide_index=True, key="cases.table", on_select="rerun",
        selection_mode="single-row",
    )  # fmt: skip
    clicked_case(top, event.selection.rows if event is not None else [])
    shown = dict(zip(top["person_id"], zip(top["name"], top["village_name"], top["stage"],
                                           strict=True), strict=True))  # fmt: skip

    def case_label(person_id: str | None) -> str:
        if person_id is None:
            return t("cases.choose_none")
        name, village, stage = shown[person_id]
        return f"{name or '—'} · {village or '—'} · {label_of(labels.STAGES, stage)}"

    chosen = ui.translated_selectbox(
        t("cases.choose"),
        [None, *shown],
        case_label,
        key="cases.pick",
        generation=st.session_state.get(PICKS, 0),
    )  # (by person: the same case stays open when the view or the order changes)
    if chosen is not None:
        case_detail(snapshot, top[top["person_id"] == chosen].iloc[0])


def clicked_case(top: pd.DataFrame, rows: list[int]) -> None:
    """A row clicked in the table opens its case (the picker below shows it); the click is
    taken once, so choosing another case in the picker afterwards is not undone."""
    person = str(top["person_id"].iloc[rows[0]]) if rows and rows[0] < len(top) else None
    if person is None or st.session_state.get(CLICKED) == person:
        return
    st.session_state[CLICKED] = person
    st.session_state["cases.pick"] = person
    st.session_state[PICKS] = st.session_state.get(PICKS, 0) + 1  # a new picker, at it


def case_detail(snapshot: str, row: pd.Series) -> None:
    """One case: its timeline, who follows it, and assigning it."""
    person_id, year = str(row["person_id"]), int(row["year"])
    token = data.person_token(snapshot, person_id)
    st.subheader(t("cases.timeline", name=row["name"] or "—", year=year))
    st.page_link(
        "views/drilldown.py",
        label=t("cases.open_person"),
        query_params={"year": str(year), "region": row["village_code"] or "",
                      "person": token},
    )  # fmt: skip
    steps = data.case_timeline(snapshot, person_id, year)
    shown = pd.DataFrame(
        {
            t("cases.day"): [str(d) for d in steps["day"]],
            t("cases.step"): [t(f"cases.step_kind.{s}") for s in steps["step"]],
            t("cases.department"): [department_label(d) for d in steps["department"]],
            t("cases.detail"): [step_detail(s, c) + (t("cases.superseded") if sup else "")
                                for s, c, sup in zip(steps["step"], steps["code"],
                                                     steps["superseded"], strict=True)],
            t("cases.amount"): ["" if blank(v) else ui.yuan(v)
                                for v in steps["amount"]],
            t("cases.notes"): [
                (ui.rule_list(n) if s in ("pushed", "exported") else n) if isinstance(n, str)
                else "" for s, n in zip(steps["step"], steps["notes"], strict=True)
            ],
        }
    )  # fmt: skip
    st.dataframe(shown, hide_index=True, key="cases.timeline_table")
    assign_form(snapshot, row, f"{year}-{token}")


def assign_form(snapshot: str, row: pd.Series, case_key: str) -> None:
    """Who follows the case, and (caseworkers and admins) assigning it."""
    db = data.db_path()
    person_id, year = str(row["person_id"]), int(row["year"])
    history = data.assignment_history(snapshot, db, person_id, year)
    current = history["assignee"].iloc[-1] if len(history) else None
    st.markdown(t("cases.assigned_to", who=current or t("cases.nobody")))
    who = data.access()
    if not who.at_least("caseworker"):
        return
    village = row["village_code"] or ""
    people = data.caseworkers(db, village)
    # an admin assigns anyone who may follow it; a caseworker takes a case or gives it up
    options = ["", *people] if who.is_admin else ["", who.user]
    if f"cases.assign.{case_key}" not in st.session_state:  # start at the current assignee
        st.session_state[f"cases.assign.{case_key}"] = current if current in options else ""
    choice = ui.translated_selectbox(
        t("cases.assign_to"), options, lambda v: v or t("cases.nobody"),
        key=f"cases.assign.{case_key}",
    )  # fmt: skip
    if st.button(t("cases.assign"), key=f"cases.assign_button.{case_key}"):
        changed = data.assign(db, who.user, [(person_id, year, case_key, village)], choice or None)
        st.session_state[FLASH] = t("cases.assigned", n=changed, who=choice or t("cases.nobody"))
        st.rerun()  # the table above shows the new assignee
    if len(history):
        frame = pd.DataFrame(
            {
                t("cases.when"): [str(a).replace("T", " ")[:16] for a in history["at"]],
                t("cases.assignee"): [a or t("cases.nobody") for a in history["assignee"]],
                t("cases.by"): history["by"],
            }
        )
        st.dataframe(frame, hide_index=True, key="cases.assign_history")


def main() -> None:
    """Render the page."""
    started = ui.case_page_start("cases.title")
    if started is None:
        return
    snapshot, years = started
    top = st.columns(3)
    default = data.default_year(snapshot)
    year = top[0].selectbox(
        t("overview.year"), years, index=years.index(default) if default in years else 0,
        key="cases.year",
    )  # fmt: skip
    region = region_selector(snapshot, key="cases.region", container=top[1])
    with top[2]:
        view = ui.translated_radio(
            t("cases.view"), VIEWS, lambda v: t(f"cases.view.{v}"), key="cases.view"
        )
    today = dt.date.today()
    case_list(snapshot, region, int(year), today, view)
    due_section(snapshot, region, int(year), today)
    overdue_section(snapshot, region, int(year), today)
    funnel_section(snapshot, region, int(year))  # (full width: ten columns, none cut off)


main()
