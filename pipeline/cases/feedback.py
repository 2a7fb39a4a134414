"""The departments' decisions back in: ``oopwatch feedback FILE...`` into ``decisions``.

A file is a pushed workbook (or CSV) filled in, or the department's own extract with the columns
of the feedback table in CONTRACT.md v1.1 (English or Chinese headers, codes or labels). As
returns: the header row is found by its headers, rows are matched to people by case key or
resident ID, Python only turns cells into text, and the SQL of ``pipeline/sql/feedback/``
parses, matches, checks and counts every row at once. Every row with an answer is loaded or
rejected with its reason, sheet and row; a file read before changes nothing; a later decision
for the same person, year and department supersedes the earlier one, which stays.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline import labels, store
from pipeline.access import activity
from pipeline.cases.returns import (
    ReturnRefused,
    cell_text,
    formula_cells,
    header_row,
    masked_row,
    sheets_of,
)
from pipeline.models import open_current
from pipeline.rules.push_policy import DEPARTMENTS

ANSWERS = ("decision", "decided_on", "reason", "amount", "department")
STAGE_SCHEMA = pa.schema(
    [
        ("sheet_no", pa.int32()),
        ("sheet", pa.string()),
        ("row", pa.int64()),
        ("person_raw", pa.string()),
        ("case_key", pa.string()),
        ("decision_raw", pa.string()),
        ("date_raw", pa.string()),
        ("department_raw", pa.string()),
        ("reason", pa.string()),
        ("amount_raw", pa.string()),
        ("raw", pa.string()),
        ("filled", pa.bool_()),
        ("formula_cell", pa.string()),
    ]
)


class FeedbackRefused(ReturnRefused):
    """A file that cannot be read as a department's answers; the message names it and why."""


@dataclass
class AnswerFile:
    """One file as read: its rows (cells as text) and what its hidden sheet says."""

    path: Path
    sha256: str
    fmt: str
    push_id: str | None
    department: str | None
    rows: list[dict[str, object]] = field(default_factory=list)


@dataclass
class FeedbackResult:
    """What one answer file did to the store."""

    file: str
    sha256: str
    push_id: str | None = None
    department: str | None = None
    feedback_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_unfilled: int = 0
    rows_unchanged: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)
    already_read: str | None = None
    decisions: list[tuple[str, int]] = field(default_factory=list)  # loaded, per decision code


def header_keys() -> dict[str, str]:
    """Every accepted header of the feedback table (normalised) -> its column key."""
    return {
        labels.normalise_header(text): key
        for key, texts in labels.FEEDBACK_COLUMNS.items()
        for text in texts
    }


def _header(rows: list[list]) -> tuple[int, dict[str, int]] | None:
    """(row index, column of each known header) of the row holding a person and a decision
    header."""
    return header_row(
        rows,
        header_keys(),
        lambda keys: "decision" in keys and bool({"person_id", "case_key"} & keys),
    )


def _sheet_rows(
    sheet_no: int, sheet: str, rows: list[list], formulas: dict[int, str]
) -> list[dict[str, object]] | None:
    """The staged rows of one sheet (None: no feedback header, e.g. the cover)."""
    found = _header(rows)
    if found is None:
        return None
    start, columns = found
    key_col = columns.get("case_key", -1)
    out = []
    for index in range(start + 1, len(rows)):
        texts = [cell_text(c) for c in rows[index]]

        def cell(key: str, texts: list = texts) -> str | None:
            col = columns.get(key)
            return texts[col] if col is not None and col < len(texts) else None

        formula = formulas.get(index + 1)
        person, key = cell("person_id"), cell("case_key")
        filled = any(cell(k) is not None for k in ANSWERS if k != "department") or bool(formula)
        if person is None and key is None and not filled:
            continue  # a blank or separator row
        out.append(
            {
                "sheet_no": sheet_no, "sheet": sheet, "row": index + 1,
                "person_raw": person, "case_key": key.lower() if key else None,
                "decision_raw": cell("decision"), "date_raw": cell("decided_on"),
                "department_raw": cell("department"), "reason": cell("reason"),
                "amount_raw": cell("amount"), "raw": masked_row(texts, key_col),
                "filled": filled, "formula_cell": formula,
            }
        )  # fmt: skip
    return out


def read_answers(path: Path) -> AnswerFile:
    """Read one answer file; refuses (FeedbackRefused) one with no feedback header row."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise FeedbackRefused(f"{path}: cannot be read ({exc.strerror or exc})") from None
    fmt, sheets, facts = sheets_of(path, content)
    formulas = formula_cells(content) if fmt != "csv" else {}
    rows: list[dict[str, object]] = []
    found = 0
    for sheet_no, (name, cells) in enumerate(sheets):
        staged = _sheet_rows(sheet_no, name, cells, formulas.get(name, {}))
        if staged is not None:
            found += 1
            rows += staged
    if not found:
        raise FeedbackRefused(
            f"{path}: no sheet has a header row with 核查结果/decision and 身份证号/person_id or "
            "案件编号/case_key (the feedback table of CONTRACT.md v1.1)"
        )
    department = facts.get("department") if facts.get("kind") == "push" else None
    push_id = facts.get("push_id") if facts.get("kind") == "push" else None
    return AnswerFile(path, hashlib.sha256(content).hexdigest(), fmt, push_id, department, rows)


def _params() -> list[list[str]]:
    codes = list(labels.DECISIONS)
    names, name_codes = [], []
    for code, texts in labels.DEPARTMENT_NAMES.items():
        for text in texts:
            names.append(text.lower())
            name_codes.append(code)
    return [
        codes,
        [labels.DECISIONS[c][0] for c in codes],
        [labels.DECISIONS[c][1].lower() for c in codes],
        names,
        name_codes,
    ]


def load_file(
    con: duckdb.DuckDBPyConnection,
    answers: AnswerFile,
    department: str | None = None,
    today: dt.date | None = None,
    os_user: str | None = None,
) -> FeedbackResult:
    """Validate and load one read file inside the caller's transaction; log it."""
    dept = answers.department or department
    result = FeedbackResult(str(answers.path), answers.sha256, answers.push_id, dept)
    earlier = con.execute(
        "SELECT feedback_id, read_at FROM feedback_files WHERE sha256 = ? ORDER BY feedback_id",
        [answers.sha256],
    ).fetchall()
    if earlier:
        result.feedback_id = earlier[0][0]
        result.already_read = f"{earlier[0][1]:%Y-%m-%d %H:%M} (feedback {earlier[0][0]})"
        return result
    feedback_id = int(
        con.execute("SELECT coalesce(max(feedback_id), 0) + 1 FROM feedback_files").fetchall()[0][0]
    )
    now = dt.datetime.now()
    file = str(answers.path.absolute())
    con.register("_feedback_stage", pa.Table.from_pylist(answers.rows, schema=STAGE_SCHEMA))
    try:
        con.execute(
            store.sql("feedback/feedback_checked.sql"),
            [today or dt.date.today(), dept, answers.push_id, *_params()],
        )
        con.execute(store.sql("feedback/insert.sql"), [feedback_id, file, now])
        con.execute(store.sql("feedback/supersede.sql"), [feedback_id])
        con.execute(store.sql("feedback/rejects.sql"), [feedback_id, file])
        counts = con.execute(store.sql("feedback/counts.sql"), [feedback_id]).fetchall()[0]
        reasons = con.execute(store.sql("feedback/reasons.sql")).fetchall()
        decided = con.execute(
            """SELECT decision, count(*) FROM feedback_checked WHERE reason_code IS NULL
               GROUP BY decision ORDER BY count(*) DESC, decision"""
        ).fetchall()
    finally:
        con.unregister("_feedback_stage")
    read, loaded, rejected, unfilled, added = (int(v) for v in counts)
    con.execute(
        "INSERT INTO feedback_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            feedback_id, file, answers.sha256, now, os_user or getpass.getuser(), answers.push_id,
            dept, answers.fmt, read, loaded, rejected, unfilled, loaded - added,
        ],
    )  # fmt: skip
    con.execute("DROP TABLE IF EXISTS temp.feedback_checked")
    result.feedback_id = feedback_id
    result.rows_read, result.rows_loaded, result.rows_rejected = read, loaded, rejected
    result.rows_unfilled, result.rows_unchanged = unfilled, loaded - added
    result.reasons = [(r, int(n)) for r, n in reasons]
    result.decisions = [(d, int(n)) for d, n in decided]
    return result


def feedback(
    db: Path,
    paths: list[Path],
    department: str | None = None,
    today: dt.date | None = None,
) -> list[FeedbackResult]:
    """Read every file (refusing all if one cannot be read), load them in one transaction,
    publish a snapshot, audit each (``oopwatch feedback``). ``department``: for files that do
    not say (a department's own extract without a 反馈部门 column)."""
    if department is not None and department not in DEPARTMENTS:
        raise FeedbackRefused(f"unknown department {department!r}: use civil or rural")
    read = [read_answers(p) for p in paths]
    con = open_current(db)
    try:
        if store.is_national(con):
            raise FeedbackRefused(
                f"{db} is a national dashboard's store: read the departments' answers into a "
                "province's store, where its pushes are"
            )
        con.execute("BEGIN TRANSACTION")
        results = [load_file(con, f, department, today) for f in read]
        con.execute("COMMIT")
    except BaseException:
        con.close()
        raise
    store.close_and_publish(con, db)
    for r in results:
        activity.record(
            db, user=getpass.getuser(), source="cli", action="feedback", target=r.file,
            rows=r.rows_read, sha256=r.sha256, detail=(
                f"loaded {r.rows_loaded}, rejected {r.rows_rejected}, unfilled {r.rows_unfilled}"
                if not r.already_read else f"already read {r.already_read}"
            ),
        )  # fmt: skip
    return results
