"""Visit outcomes back in: read filled-in export workbooks (or their CSV) into ``case_events``.

A returned file may have been sorted, filtered, had rows deleted or been re-saved in WPS, so
nothing relies on styles or row positions: each list sheet's header row is found by its case-key
header (zh or en), columns by their headers, and rows matched to people by the case key alone.
Python only turns cells into text; the SQL of ``pipeline/sql/returns/`` parses, matches, checks
and counts every row at once. Every filled-in row is loaded or rejected with its reason, sheet
and row number (as Excel shows it).
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import hashlib
import html
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from python_calamine import CalamineWorkbook

from pipeline import labels, schema, store
from pipeline.access import activity
from pipeline.ingest import read
from pipeline.models import build_case_marts, open_current

HEADER_SEARCH_ROWS = 30
CSV_ESCAPED = re.compile(r"^'(?=[=+\-@\t\r])")
STAGE_SCHEMA = pa.schema(
    [
        ("sheet_no", pa.int32()),
        ("sheet", pa.string()),
        ("row", pa.int64()),
        ("case_key", pa.string()),
        ("visit_raw", pa.string()),
        ("outcome_raw", pa.string()),
        ("amount_raw", pa.string()),
        ("notes", pa.string()),
        ("raw", pa.string()),
        ("filled", pa.bool_()),
        ("formula_cell", pa.string()),  # a formula without a saved value (Excel ref), or None
        ("assignee", pa.string()),  # 负责人: who follows the case (an account), or None
    ]
)
# A cell holding a formula and no saved value (a workbook written by a program, never opened
# and saved in Excel or WPS): calamine reads it as empty. Found in the sheet's XML (an empty
# cell before it, <c r="F2" t="s"/>, is no cell's opening tag).
_FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]+)([0-9]+)"[^>]*(?<!/)>(?:(?!</c>).)*?<f[ >/](?:(?!</c>).)*?</c>', re.S
)


class ReturnRefused(schema.MaskedError):
    """A file that cannot be read as a returned watch-list; the message names it and why."""


@dataclass
class ReturnedFile:
    """One file as read: its rows (cells as text) and what identifies it."""

    path: Path
    sha256: str
    fmt: str
    export_id: str | None
    rows: list[dict[str, object]] = field(default_factory=list)


@dataclass
class FileResult:
    """What one returned file did to the store."""

    file: str
    sha256: str
    export_id: str | None = None
    return_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_unfilled: int = 0
    rows_unchanged: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)
    already_returned: str | None = None  # when, if the same content was returned before
    # a case key on several loaded rows with different values: (key, rows; the last stands)
    conflicts: list[tuple[str, list[int]]] = field(default_factory=list)
    # 负责人 cells: (person_id, year, case key, village, assignee) of each case, then after the
    # store's commit: how many cases changed hands, and the cells that could not be taken
    assignees: list[tuple[str, int, str, str | None, str]] = field(default_factory=list)
    assigned: int = 0
    assign_problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- cells


def cell_text(value: object) -> str | None:
    """A cell as text (None when blank): dates ISO, whole numbers without .0, amounts exact."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return _float_text(value)
    text = str(value).strip().strip("\u3000").strip()
    if not text:
        return None
    return CSV_ESCAPED.sub("", text)


def _float_text(value: float) -> str:
    """A number as Excel stores it, as text: 1234.5 → '1234.50', 20261103.0 → '20261103'.

    A float within 1e-9 of a whole number of cents is that (1234.5600000000001 → '1234.56');
    anything else keeps all its digits (1.234 → '1.234', rejected later as > 2 decimals).
    """
    if value != value or value in (float("inf"), float("-inf")):
        return repr(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    cents = round(value, 2)
    if abs(value - cents) < 1e-9:
        return f"{cents:.2f}"
    return repr(value)


# ---------------------------------------------------------------- reading


def formula_cells(content: bytes) -> dict[str, dict[int, str]]:
    """Per sheet name, the rows (1-based) holding a formula with no saved value, and the first
    such cell's reference. Empty for anything but an .xlsx."""
    try:
        book = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return {}
    with book:
        names = _sheet_files(book)
        found: dict[str, dict[int, str]] = {}
        for name, member in names.items():
            xml = book.read(member)
            if b"<f" not in xml:
                continue
            for cell in _FORMULA_CELL.finditer(xml):
                if b"<v>" in cell.group(0) and b"<v></v>" not in cell.group(0):
                    continue
                row = int(cell.group(2))
                found.setdefault(name, {}).setdefault(row, (cell.group(1) + cell.group(2)).decode())
        return found


def _sheet_files(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML member, from the workbook and its relationships."""
    try:
        workbook = book.read("xl/workbook.xml").decode("utf-8")
        rels = book.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    except KeyError:
        return {}
    targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets |= {
        k: v for v, k in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)
    }
    sheets = {}
    for tag in re.findall(r"<sheet\b[^>]*>", workbook):
        name = re.search(r'name="([^"]*)"', tag)
        rid = re.search(r'r:id="([^"]*)"', tag)
        if name and rid and rid.group(1) in targets:
            target = targets[rid.group(1)].lstrip("/")
            member = target if target.startswith("xl/") else f"xl/{target}"
            sheets[html.unescape(name.group(1))] = member
    return sheets


def sheets_of(path: Path, content: bytes) -> tuple[str, list[tuple[str, list[list]]], dict]:
    """(format, [(sheet, rows)], hidden facts) of a workbook or CSV."""
    if path.suffix.lower() in (".csv", ".txt"):
        return "csv", [(path.name, _csv_rows(path, content))], {}
    try:
        read.check_xlsx(path, content)
    except read.ReadError as exc:
        raise ReturnRefused(str(exc)) from None
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises its own error types for any unreadable file
        raise ReturnRefused(
            f"{path}: not a workbook (.xlsx/.xls/.ods) or .csv file that can be read ({exc})"
        ) from None
    sheets, facts = [], {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if name == labels.HIDDEN_SHEET:
            facts = {cell_text(r[0]): cell_text(r[1]) for r in rows if len(r) >= 2 and r[0]}
        else:
            sheets.append((name, rows))
    return path.suffix.lower().lstrip(".") or "xlsx", sheets, facts


def _csv_rows(path: Path, content: bytes) -> list[list]:
    """A CSV's rows: UTF-8 (with or without BOM), else GB18030 (what WPS may save)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return list(csv.reader(io.StringIO(text, newline="")))
    raise ReturnRefused(f"{path}: the CSV is neither UTF-8 nor GB18030 text")


def header_row(
    rows: list[list], known: dict[str, str], found: Callable[[set[str]], bool]
) -> tuple[int, dict[str, int]] | None:
    """(row index, column of each known header) of the first of the top rows whose headers
    (``known``: normalised header -> key) satisfy ``found``; None when no row does."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = known.get(labels.normalise_header(cell)) if isinstance(cell, str) else None
            if key and key not in columns:
                columns[key] = col
        if found(set(columns)):
            return index, columns
    return None


def _header(rows: list[list]) -> tuple[int, dict[str, int]] | None:
    """(row index, column of each known header) of the row holding the case-key header."""
    return header_row(rows, labels.header_keys(), lambda keys: "case_key" in keys)


def _sheet_rows(
    path: Path, sheet_no: int, sheet: str, rows: list[list], formulas: dict[int, str] | None = None
) -> list[dict[str, object]] | None:
    """The staged rows of one list sheet (None: not a list sheet, e.g. the cover).
    ``formulas``: rows holding a formula without a saved value (rejected, never dropped)."""
    formulas = formulas or {}
    found = _header(rows)
    if found is None:
        return None
    start, columns = found
    if "outcome" not in columns:
        raise ReturnRefused(
            f"{path}: sheet {sheet!r} has a {'/'.join(labels.LIST_COLUMNS['case_key'])} header "
            f"but no {'/'.join(labels.LIST_COLUMNS['outcome'])} column"
        )
    out = []
    for index in range(start + 1, len(rows)):
        row = rows[index]
        texts = [cell_text(c) for c in row]

        def cell(key: str, texts: list = texts) -> str | None:
            col = columns.get(key)
            return texts[col] if col is not None and col < len(texts) else None

        follow = {k: cell(k) for k in labels.FOLLOW_UP}
        key = cell("case_key")
        formula = formulas.get(index + 1)
        filled = any(v is not None for v in follow.values()) or formula is not None
        if key is None and not filled:
            continue  # a blank or separator row: not a row of the list
        out.append(
            {
                "sheet_no": sheet_no,
                "sheet": sheet,
                "row": index + 1,
                "case_key": key.lower() if key else None,
                "visit_raw": follow["visit_date"],
                "outcome_raw": follow["outcome"],
                "amount_raw": follow["assistance"],
                "notes": follow["notes"],
                "raw": masked_row(texts, columns["case_key"]),
                "filled": filled,
                "formula_cell": formula,
                "assignee": cell("assignee"),
            }
        )
    return out


def masked_row(texts: list[str | None], key_col: int) -> str:
    """A row's cells as one text, resident IDs masked (the case key is not one)."""
    cells = [
        (t or "") if i == key_col else schema.mask_text(t or "") or "" for i, t in enumerate(texts)
    ]
    return " | ".join(cells).rstrip(" |")


def read_returned(path: Path) -> ReturnedFile:
    """Read one returned file; refuses (ReturnRefused) one that is not a returned watch-list."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ReturnRefused(f"{path}: cannot be read ({exc.strerror or exc})") from None
    fmt, sheets, facts = sheets_of(path, content)
    formulas = formula_cells(content) if fmt != "csv" else {}
    rows: list[dict[str, object]] = []
    lists = 0
    case_key = "/".join(labels.LIST_COLUMNS["case_key"])
    for sheet_no, (name, cells) in enumerate(sheets):
        staged = _sheet_rows(path, sheet_no, name, cells, formulas.get(name))
        if staged is None:
            continue
        lists += 1
        rows += staged
    if not lists:
        raise ReturnRefused(
            f"{path}: no sheet has a {case_key} header row — is it a watch-list made by "
            "`oopwatch export`?"
        )
    export_id = facts.get("export_id") or None
    return ReturnedFile(path, hashlib.sha256(content).hexdigest(), fmt, export_id, rows)


# ---------------------------------------------------------------- loading


def _outcome_params() -> list[list[str]]:
    codes = list(labels.OUTCOMES)
    return [
        codes,
        [labels.OUTCOMES[c][0] for c in codes],
        [labels.OUTCOMES[c][1].lower() for c in codes],
    ]


def already_returned(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple | None:
    """(return_id, returned_at) of an earlier return of the same content, else None."""
    rows = con.execute(
        "SELECT return_id, returned_at FROM return_files WHERE sha256 = ? ORDER BY return_id",
        [sha256],
    ).fetchall()
    return rows[0] if rows else None


def load_file(
    con: duckdb.DuckDBPyConnection,
    returned: ReturnedFile,
    today: dt.date | None = None,
    os_user: str | None = None,
) -> FileResult:
    """Validate and load one read file inside the caller's transaction; log it in return_files."""
    result = FileResult(str(returned.path), returned.sha256, returned.export_id)
    earlier = already_returned(con, returned.sha256)
    if earlier is not None:
        result.return_id = earlier[0]
        result.already_returned = f"{earlier[1]:%Y-%m-%d %H:%M} (return {earlier[0]})"
        return result
    return_id = con.execute("SELECT coalesce(max(return_id), 0) + 1 FROM return_files").fetchall()
    return_id = int(return_id[0][0])
    now = dt.datetime.now()  # to the microsecond: the case history orders events by it
    stage = pa.Table.from_pylist(returned.rows, schema=STAGE_SCHEMA)
    con.register("_return_stage", stage)
    try:
        con.execute(
            store.sql("returns/return_checked.sql"), [today or dt.date.today(), *_outcome_params()]
        )
        file = str(returned.path.absolute())
        con.execute(store.sql("returns/events.sql"), [return_id, returned.export_id, file, now])
        con.execute(store.sql("returns/supersede.sql"), [return_id])
        con.execute(store.sql("returns/rejects.sql"), [return_id, file])
        counts = con.execute(store.sql("returns/counts.sql"), [return_id]).fetchall()[0]
        reasons = con.execute(store.sql("returns/reasons.sql")).fetchall()
        result.conflicts = [
            (key, list(rows)) for key, rows in con.execute(store.sql("returns/conflicts.sql"))
            .fetchall()
        ]  # fmt: skip
    finally:
        con.unregister("_return_stage")
    read, loaded, rejected, unfilled, added = (int(v) for v in counts)
    con.execute(
        "INSERT INTO return_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            return_id, file, returned.sha256, now, os_user or getpass.getuser(),
            returned.export_id, returned.fmt, read, loaded, rejected, unfilled, loaded - added,
        ],
    )  # fmt: skip
    con.execute("DROP TABLE IF EXISTS temp.return_checked")
    result.return_id = return_id
    result.rows_read, result.rows_loaded, result.rows_rejected = read, loaded, rejected
    result.rows_unfilled, result.rows_unchanged = unfilled, loaded - added
    result.reasons = [(r, int(n)) for r, n in reasons]
    result.assignees = _assignee_cells(con, returned, result.assign_problems)
    return result


def _assignee_cells(
    con: duckdb.DuckDBPyConnection, returned: ReturnedFile, problems: list[str]
) -> list[tuple[str, int, str, str | None, str]]:
    """The 负责人 cells of a file as (person_id, year, current case key, village, assignee),
    the last cell of a case standing; a case key no one has is a problem, said."""
    cells = {}
    for row in returned.rows:
        key, who = row.get("case_key"), row.get("assignee")
        if key and who:
            cells[key] = (who, f"{row['sheet']} row {row['row']}")
    if not cells:
        return []
    found = dict(
        ((k, (p, v)) for k, p, v in con.execute(
            """SELECT k.token, k.person_id, pe.village_code
               FROM person_keys AS k LEFT JOIN people AS pe USING (person_id)
               WHERE list_contains(?, k.token)""",
            [[key[5:] for key in cells]],
        ).fetchall())
    )  # fmt: skip
    out = []
    for key, (who, where) in cells.items():
        person = found.get(key[5:])
        if person is None or not key[:4].isdigit():
            problems.append(f"{where}: 负责人 {who}: no person has case key {key}")
            continue
        out.append((person[0], int(key[:4]), key, person[1], who))
    return out


def _assign(db: Path, result: FileResult, user: str) -> None:
    """Give each case of the file's 负责人 cells to that account (source returns); an account
    that cannot follow it (unknown, disabled, a viewer, another region) is a problem, said."""
    from pipeline.access import assignments

    by_assignee: dict[str, list[tuple[str, int, str, str | None]]] = {}
    for pid, year, key, village, who in result.assignees:
        try:
            assignments.check_assignee(db, who, village)
        except assignments.AssignRefused as exc:
            result.assign_problems.append(f"case {key}: 负责人 {who}: {exc}")
            continue
        by_assignee.setdefault(who, []).append((pid, year, key, village))
    for who, cases in by_assignee.items():
        result.assigned += assignments.assign(db, cases, who, by=user, source="returns")


def returns(db: Path, paths: list[Path], today: dt.date | None = None) -> list[FileResult]:
    """Read every file (refusing all if one cannot be read), load them in one transaction,
    publish a snapshot (``oopwatch returns``)."""
    read = [read_returned(p) for p in paths]
    con = open_current(db)
    try:
        con.execute("BEGIN TRANSACTION")
        results = [load_file(con, f, today) for f in read]
        build_case_marts(con)
        con.execute("COMMIT")
    except BaseException:
        con.close()
        raise
    store.close_and_publish(con, db)
    for r in results:
        if r.assignees:
            _assign(db, r, getpass.getuser())
        activity.record(
            db, user=getpass.getuser(), source="cli", action="returns", target=str(r.file),
            rows=r.rows_read, detail=(
                f"loaded {r.rows_loaded}, rejected {r.rows_rejected}, unfilled {r.rows_unfilled}"
                if not r.already_returned else f"already returned {r.already_returned}"
            ),
        )  # fmt: skip
    return results


def funnel(
    con: duckdb.DuckDBPyConnection,
    year: int,
    region: str = "",
    as_of: dt.date | None = None,
    days: int = 14,
) -> dict[str, int]:
    """A region's follow-up funnel (``sql/export/funnel.sql``): flagged, exported, visited,
    helped, on_list, and waiting (exported more than ``days`` days before ``as_of``, no outcome)."""
    cursor = con.execute(
        store.sql("export/funnel.sql"), [int(year), region or "", as_of or dt.date.today(), days]
    )
    names = [d[0] for d in cursor.description]
    row = cursor.fetchall()[0]
    return {n: int(v) for n, v in zip(names, row, strict=True)}
