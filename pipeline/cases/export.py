"""Caseworker watch-lists: the latest rule run's list as an Excel workbook (or CSV) to fill in.

Three layers, so the dashboard can reuse the first two on its read-only snapshot:

- :func:`fetch` runs the SQL of ``pipeline/sql/export/`` (DuckDB filters, names, counts) and
  returns an :class:`ExportData`: the rows in list order and the cover's facts. It only reads
  (a temp table of the connection holds the rows while it counts).
- :func:`xlsx_bytes` and :func:`csv_bytes` turn that into a file's bytes.
- :func:`export` is the CLI's: it opens the store read-write, fetches, writes the file atomically,
  logs it (``exports``, ``export_rows``) and publishes a snapshot.

Every row carries a case key ``{year}-{first 16 hex of sha256(person_id)}``: it does not depend on
masking, and returns (``pipeline.returns``) match rows by it alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import hashlib
import io
import json
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa
import xlsxwriter

from pipeline import labels, schema, store
from pipeline.access import activity, assignments
from pipeline.labels import label
from pipeline.models import build_case_marts, open_current

REGION_LEVELS = {2: 1, 4: 2, 6: 3, 9: 4, 12: 5}  # code length -> division level
SPLITS = ("county", "township")
FORMATS = ("xlsx", "csv")
CSV_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
SHEET_BAD_CHARS = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60
ASSIST_COLUMNS = ("assist_entitled", "assist_paid", "assist_shortfall")


class ExportRefused(schema.MaskedError):
    """An export that cannot be made as asked; the message says why and what to do."""


class ListRow(NamedTuple):
    """One person-year of an export (columns of ``sql/export/rows.sql``)."""

    case_key: str
    person_id: str
    shown_id: str
    name: str | None
    household_id: str | None
    village_code: str | None
    village_name: str | None
    category: str | None
    oop: Decimal
    threshold: Decimal | None
    severity: str
    rules: str
    explain_zh: str | None
    explain_en: str | None
    status: str
    first_flagged: dt.date | None
    weeks_on_list: int | None
    last_hospital: str | None
    last_diagnosis: str | None
    county_code: str | None
    county_name: str | None
    township_code: str | None
    township_name: str | None
    householder: str | None
    phone: str | None
    assist_entitled: Decimal | None
    assist_paid: Decimal | None
    assist_shortfall: Decimal | None


@dataclass
class ExportData:
    """An export's rows (list order) and the facts its cover shows."""

    export_id: str
    made_at: dt.datetime
    made_by: str
    year: int
    region: str
    region_name: str | None
    filters: dict[str, list[str]]
    full_ids: bool
    run_id: int | None
    fingerprint: str | None
    data_as_of: dt.datetime | None
    claims_as_of: dt.date | None
    by_severity: list[tuple[str, int]]
    by_rule: list[tuple[str, int]]
    previous_export_id: str | None
    previous_made_at: dt.datetime | None
    new_since_previous: int
    rows: list[ListRow] = field(default_factory=list)
    assignees: dict[str, str] = field(default_factory=dict)  # person_id -> account following


@dataclass
class ExportResult:
    """What ``oopwatch export`` wrote, for printing and tests."""

    file: Path
    export_id: str
    rows: int
    by_severity: list[tuple[str, int]]
    full_ids: bool
    sha256: str
    seconds: float
    new_since_previous: int
    previous_export_id: str | None


# ---------------------------------------------------------------- fetch


def require_data(con: duckdb.DuckDBPyConnection, year: int, region: str) -> None:
    """Refuse a region that is no division, or a region and year with no data at all (an empty
    file would read as 'nobody needs a visit')."""
    if (
        region
        and not con.execute(
            "SELECT count(*) FROM region_names WHERE code = ? AND level = ?",
            [region, REGION_LEVELS[len(region)]],
        ).fetchall()[0][0]
    ):
        raise ExportRefused(f"region {region} is not a division this store knows")
    people = con.execute(
        """SELECT count(*) FROM person_year
           WHERE year = ? AND starts_with(coalesce(village_code, ''), ?)""",
        [int(year), region],
    ).fetchall()[0][0]
    if not people:
        where = f"region {region}" if region else "any region"
        raise ExportRefused(f"no data for {where} in {year}: no one to list, no file written")


def check_region(region: str | None) -> str:
    """The region prefix ('' nationwide); refuses anything but 2, 4, 6, 9 or 12 digits."""
    region = (region or "").strip()
    digits = region.isascii() and region.isdigit()
    if region and (not digits or len(region) not in REGION_LEVELS):
        raise ExportRefused(
            f"region {region!r} is not a division code: give 2 (province), 4 (city), 6 (county), "
            "9 (township) or 12 (village) digits"
        )
    return region


def filter_list(name: str, values: Iterable[str] | None, allowed: Sequence[str] | None) -> list:
    """A filter's values, checked against the allowed codes; empty means no filter."""
    out = [v.strip() for v in values or [] if v and v.strip()]
    if allowed is not None:
        unknown = [v for v in out if v not in allowed]
        if unknown:
            raise ExportRefused(
                f"unknown {name} {', '.join(unknown)}: use one of {', '.join(allowed)}"
            )
    return out


def new_export_id(now: dt.datetime) -> str:
    """A unique, sortable, readable export id: ``X20261103-101500-3f9a``."""
    return f"X{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def fetch(
    con: duckdb.DuckDBPyConnection,
    year: int,
    region: str | None = None,
    rules: Iterable[str] | None = None,
    severities: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    full_ids: bool = False,
    made_by: str | None = None,
    by_household: bool = False,
) -> ExportData:
    """The watch-list rows of ``year`` (latest rule run) under the filters, and the cover's facts.

    Reads only (works on a read-only snapshot). Filters: ``region`` a village-code prefix of 2/4/
    6/9/12 digits; the others lists of codes (rule ids, high/medium/low, new/continuing, category
    codes), empty or None for all. ``by_household``: members of a household together (one visit
    each), the household of the most urgent member first.
    """
    region = check_region(region)
    filters = {
        "rules": filter_list("rule", rules, None),
        "severities": filter_list("severity", severities, list(labels.SEVERITIES)),
        "statuses": filter_list("status", statuses, list(labels.STATUSES)),
        "categories": filter_list("category", categories, list(labels.CATEGORIES)),
    }
    con.execute(
        store.sql("export/export_list.sql"),
        [int(year), region, *[v or None for v in filters.values()], bool(full_ids)],
    )
    order = "export/rows_by_household.sql" if by_household else "export/rows.sql"
    rows = [ListRow(*r) for r in con.execute(store.sql(order)).fetchall()]
    counts = con.execute(store.sql("export/counts.sql")).fetchall()
    facts = con.execute(
        store.sql("export/facts.sql"), [region, REGION_LEVELS.get(len(region), 0)]
    ).fetchall()[0]
    previous = _previous(con, int(year), region)
    con.execute("DROP TABLE IF EXISTS temp.export_list")
    now = dt.datetime.now()  # to the microsecond: the case history orders events by it
    order = list(labels.SEVERITIES)
    by_severity = {k: n for kind, k, n in counts if kind == "severity"}
    return ExportData(
        export_id=new_export_id(now),
        made_at=now,
        made_by=made_by or getpass.getuser(),
        year=int(year),
        region=region,
        region_name=facts[4],
        filters={"region": region, **filters},
        full_ids=bool(full_ids),
        run_id=facts[0],
        fingerprint=facts[1],
        data_as_of=facts[3],
        claims_as_of=facts[2],
        by_severity=[(s, int(by_severity.get(s, 0))) for s in order]
        + [(s, int(n)) for s, n in by_severity.items() if s not in order],
        by_rule=[(k, int(n)) for kind, k, n in counts if kind == "rule"],
        previous_export_id=previous[0],
        previous_made_at=previous[1],
        new_since_previous=int(previous[2]) if previous[2] is not None else len(rows),
        rows=rows,
    )


def _previous(con: duckdb.DuckDBPyConnection, year: int, region: str) -> tuple:
    """(previous export id, when, people new since) — (None, None, None) on an older snapshot."""
    has_log = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'export_rows' AND NOT temporary"
    ).fetchall()[0][0]
    if not has_log:
        return (None, None, None)
    return con.execute(store.sql("export/new_since.sql"), [year, region]).fetchall()[0]


# ---------------------------------------------------------------- cells


def text_width(value: object) -> int:
    """Display width of a cell's text: CJK (wide and full-width) characters count as 2."""
    text = "" if value is None else str(value)
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def rule_labels(rules: str | None, lang: str) -> str:
    """'oop_line;projected' as labels in ``lang``, joined by 、 or ', '."""
    parts = [label(labels.RULES, r, lang) for r in (rules or "").split(";") if r]
    return ("、" if lang == "zh" else ", ").join(parts)


def _region_text(data: ExportData, lang: str) -> str:
    if not data.region:
        return label(labels.COVER, "all_regions", lang)
    return f"{data.region_name or data.region}（{data.region}）"


def list_columns(data: ExportData, lang: str) -> list[tuple[str, str]]:
    """(key, header) of every list column in order, follow-up columns last; a phone column
    only when the roster gave someone on the list a phone number; the medical-assistance
    replay's owed / paid / short only when someone on the list was paid short
    (assistance_shortfall, the medical-assistance section's list)."""
    shown = set(labels.LIST_COLUMNS)
    if not any(row.phone for row in data.rows):
        shown.discard("phone")
    if not any("assistance_shortfall" in row.rules.split(";") for row in data.rows):
        shown -= set(ASSIST_COLUMNS)
    return [
        (key, labels.header(key, lang, data.full_ids))
        for key in labels.LIST_COLUMNS
        if key in shown
    ]


def row_values(row: ListRow, lang: str, assignee: str | None = None) -> dict[str, object]:
    """The list cells of one row, keyed like ``labels.LIST_COLUMNS`` (follow-ups blank)."""
    return {
        "case_key": row.case_key,
        "id": row.shown_id,
        "name": row.name,
        "householder": row.householder,
        "phone": row.phone,
        "household_id": row.household_id,
        "township": row.township_name,
        "village": row.village_name,
        "category": label(labels.CATEGORIES, row.category, lang),
        "oop": row.oop,
        "threshold": row.threshold,
        "severity": label(labels.SEVERITIES, row.severity, lang),
        "rules": rule_labels(row.rules, lang),
        "explain": row.explain_zh if lang == "zh" else row.explain_en,
        "assist_entitled": row.assist_entitled,
        "assist_paid": row.assist_paid,
        "assist_shortfall": row.assist_shortfall,
        "status": label(labels.STATUSES, row.status, lang),
        "first_flagged": row.first_flagged,
        "weeks_on_list": row.weeks_on_list,
        "last_hospital": row.last_hospital,
        "last_diagnosis": labels.diagnosis_text(row.last_diagnosis, lang) or None,
        "assignee": assignee,
        "visit_date": None,
        "outcome": None,
        "assistance": None,
        "notes": None,
    }


def check_lang(lang: str) -> str:
    if lang not in labels.LANGS:
        raise ExportRefused(f"unknown language {lang!r}: use zh or en")
    return lang


# ---------------------------------------------------------------- CSV


def csv_safe(value: object) -> str:
    """A cell as CSV text; text beginning with = + - @ tab or CR gets a leading ' (no formula)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(CSV_DANGEROUS) else text


def csv_bytes(data: ExportData, lang: str = "zh") -> bytes:
    """The list as CSV, UTF-8 with BOM: the workbook's list columns, follow-up columns blank."""
    check_lang(lang)
    columns = list_columns(data, lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([h for _k, h in columns])
    for row in data.rows:
        values = row_values(row, lang, data.assignees.get(row.person_id))
        writer.writerow([csv_safe(values[k]) for k, _h in columns])
    return buffer.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------- workbook


def sheet_names(names: Sequence[str], taken: Iterable[str] = ()) -> list[str]:
    """Valid, unique Excel sheet names: ≤ 31 characters, none of []:*?/\\, not ``taken``."""
    used = {t.casefold() for t in taken}
    out = []
    for raw in names:
        base = SHEET_BAD_CHARS.sub("_", str(raw or "")).strip().strip("'") or "Sheet"
        name, n = base[:31], 1
        while name.casefold() in used or name.casefold() == "history":
            n += 1
            suffix = f"~{n}"
            name = base[: 31 - len(suffix)] + suffix
        used.add(name.casefold())
        out.append(name)
    return out


def split_rows(data: ExportData, split: str | None, lang: str) -> list[tuple[str, list[ListRow]]]:
    """The list's sheets: one (name, rows) per county or township in list order, or one sheet."""
    if split is None:
        return [(label(labels.SHEETS, "list", lang), data.rows)]
    if split not in SPLITS:
        raise ExportRefused(f"unknown split {split!r}: use county or township")
    groups: dict[str | None, list[ListRow]] = {}
    names: dict[str | None, str] = {}
    for row in data.rows:
        code = row.county_code if split == "county" else row.township_code
        name = row.county_name if split == "county" else row.township_name
        groups.setdefault(code, []).append(row)
        names[code] = name or code or label(labels.SHEETS, "unknown_region", lang)
    codes = sorted(groups, key=lambda c: (c is None, c or ""))
    # Two divisions of the same name (two 城关镇 in different counties) carry their codes.
    counts: dict[str, int] = {}
    for code in codes:
        counts[names[code]] = counts.get(names[code], 0) + 1
    wanted = [f"{names[c]} {c}" if counts[names[c]] > 1 and c else names[c] for c in codes]
    taken = [label(labels.SHEETS, "cover", lang), labels.HIDDEN_SHEET]
    return list(zip(sheet_names(wanted, taken), [groups[c] for c in codes], strict=True))


class Formats:
    """The workbook's cell formats."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": "等线", "font_size": 11, "valign": "vcenter"}
        head = {**base, "bold": True, "border": 1, "text_wrap": True}
        self.header = book.add_format({**head, "bg_color": "#DDEBF7"})
        self.follow_header = book.add_format({**head, "bg_color": "#FFE699"})
        self.text = book.add_format(base)
        self.money = book.add_format({**base, "num_format": "¥#,##0.00"})
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd"})
        self.integer = book.add_format({**base, "num_format": "0"})
        fill = {**base, "bg_color": "#FFF2CC"}
        self.follow = book.add_format(fill)
        self.follow_date = book.add_format({**fill, "num_format": "yyyy-mm-dd"})
        self.follow_money = book.add_format({**fill, "num_format": "¥#,##0.00"})
        self.title = book.add_format({**base, "bold": True, "font_size": 14})
        self.cover_key = book.add_format({**base, "bold": True})
        self.cover_warn = book.add_format({**base, "bold": True, "font_color": "#C00000"})
        self.wrap = book.add_format({**base, "text_wrap": True})


MONEY_KEYS = {"oop", "threshold"}
DATE_KEYS = {"first_flagged"}
INT_KEYS = {"weeks_on_list"}


def _write_list(
    book: xlsxwriter.Workbook, fmt: Formats, name: str, rows: list[ListRow], data: ExportData,
    lang: str,
) -> None:  # fmt: skip
    """One list sheet: header, rows, widths, frozen panes, autofilter, the outcome drop-down."""
    sheet = book.add_worksheet(name)
    columns = list_columns(data, lang)
    widths = [text_width(h) for _k, h in columns]
    for col, (key, head) in enumerate(columns):
        style = fmt.follow_header if key in labels.FILLABLE else fmt.header
        sheet.write_string(0, col, head, style)
    for r, row in enumerate(rows, start=1):
        values = row_values(row, lang, data.assignees.get(row.person_id))
        for col, (key, _h) in enumerate(columns):
            value = values[key]
            if value is None or key in labels.FOLLOW_UP:
                continue
            if key in MONEY_KEYS:
                sheet.write_number(r, col, float(value), fmt.money)
                shown = f"¥{value:,.2f}"
            elif key in DATE_KEYS:
                sheet.write_datetime(r, col, value, fmt.date)
                shown = "2026-01-01"
            elif key in INT_KEYS:
                sheet.write_number(r, col, int(value), fmt.integer)
                shown = str(value)
            else:
                shown = str(value)
                sheet.write_string(r, col, shown, fmt.text)
            if len(shown) * 2 > widths[col]:  # else it cannot be wider than the column
                widths[col] = max(widths[col], text_width(shown[:MAX_WIDTH]))
    keys = [k for k, _h in columns]
    follow_formats = {"visit_date": fmt.follow_date, "assistance": fmt.follow_money}
    for col, key in enumerate(keys):
        width = min(max(widths[col], 8) + 2, MAX_WIDTH)
        if key in labels.FILLABLE:
            width = max(width, 14 if key != "notes" else 24)
            sheet.set_column(col, col, width, follow_formats.get(key, fmt.follow))
        else:
            sheet.set_column(col, col, width)
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, keys.index("name") + 1)
    # Printed for the visit: A4 landscape, every column on one page wide, the header row on
    # every page, and the sheet's name and page numbers in the footer.
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.set_footer("&L&A&R&P / &N")
    sheet.autofilter(0, 0, len(rows), len(columns) - 1)
    if rows:
        _validations(sheet, keys, len(rows), lang)


def _validations(sheet: object, keys: list[str], n: int, lang: str) -> None:
    """Drop-down of the outcome labels; amounts at least 0 (a warning only)."""
    outcome = keys.index("outcome")
    choices = [label(labels.OUTCOMES, code, lang) for code in labels.OUTCOMES]
    title = labels.LIST_COLUMNS["outcome"][0 if lang == "zh" else 1]
    message = "请从下拉列表选择" if lang == "zh" else "Choose from the list"
    sheet.data_validation(
        1, outcome, n, outcome,
        {"validate": "list", "source": choices, "input_title": title, "input_message": message,
         "error_title": title, "error_message": message, "error_type": "stop"},
    )  # fmt: skip
    amount = keys.index("assistance")
    warn = "金额应为不小于0的数字" if lang == "zh" else "An amount of 0 or more"
    sheet.data_validation(
        1, amount, n, amount,
        {"validate": "decimal", "criteria": ">=", "value": 0, "error_type": "warning",
         "error_message": warn},
    )  # fmt: skip


def _cover_rows(
    data: ExportData, lang: str, sheets: list[tuple[str, list[ListRow]]]
) -> list[tuple[str, object]]:
    """(label, value) lines of the cover; value None makes a section heading."""
    c = labels.COVER
    filters = [
        f"{label(labels.LIST_COLUMNS, k, lang)}: {', '.join(v)}"
        for k, v in (
            ("rules", data.filters.get("rules")),
            ("severity", data.filters.get("severities")),
            ("status", data.filters.get("statuses")),
            ("category", data.filters.get("categories")),
        )
        if v
    ]
    if data.previous_export_id:
        new_since = data.new_since_previous
        previous = f"{data.previous_export_id}（{data.previous_made_at:%Y-%m-%d %H:%M}）"
    else:
        new_since = data.new_since_previous
        previous = label(c, "first_export", lang)
    lines: list[tuple[str, object]] = [
        (label(c, "region", lang), _region_text(data, lang)),
        (label(c, "year", lang), data.year),
        (label(c, "rows", lang), len(data.rows)),
        (label(c, "filters", lang), "; ".join(filters) or label(c, "all", lang)),
        (label(c, "ids", lang), label(c, "ids_full" if data.full_ids else "ids_masked", lang)),
        (label(c, "new_since", lang), new_since),
        (label(c, "previous", lang), previous),
        (label(c, "fingerprint", lang), data.fingerprint or ""),
        (label(c, "run", lang), data.run_id if data.run_id is not None else ""),
        (label(c, "data_as_of", lang), data.data_as_of),
        (label(c, "claims_as_of", lang), data.claims_as_of),
        (label(c, "made_at", lang), data.made_at),
        (label(c, "made_by", lang), data.made_by),
        (label(c, "export_id", lang), data.export_id),
        ("", ""),
        (label(c, "by_severity", lang), None),
    ]
    lines += [(label(labels.SEVERITIES, s, lang), n) for s, n in data.by_severity]
    lines += [("", ""), (label(c, "by_rule", lang), None)]
    lines += [(label(labels.RULES, r, lang), n) for r, n in data.by_rule]
    if len(sheets) > 1 or (sheets and sheets[0][0] != label(labels.SHEETS, "list", lang)):
        lines += [("", ""), (label(c, "sheets", lang), None)]
        lines += [(name, len(rows)) for name, rows in sheets]
    return lines


def _write_cover(
    book: xlsxwriter.Workbook, fmt: Formats, data: ExportData, lang: str,
    sheets: list[tuple[str, list[ListRow]]],
) -> None:  # fmt: skip
    sheet = book.add_worksheet(label(labels.SHEETS, "cover", lang))
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 64)
    sheet.write_string(0, 0, label(labels.COVER, "title", lang), fmt.title)
    ids_label = label(labels.COVER, "ids", lang)
    for r, (key, value) in enumerate(_cover_rows(data, lang, sheets), start=2):
        if value is None:
            sheet.write_string(r, 0, key, fmt.cover_key)
            continue
        sheet.write_string(r, 0, key, fmt.cover_key if key else fmt.text)
        if isinstance(value, dt.datetime):
            sheet.write_string(r, 1, f"{value:%Y-%m-%d %H:%M:%S}", fmt.text)
        elif isinstance(value, dt.date):
            sheet.write_datetime(r, 1, value, fmt.date)
        elif isinstance(value, int):
            sheet.write_number(r, 1, value, fmt.integer)
        else:
            warn = key == ids_label and data.full_ids
            sheet.write_string(r, 1, str(value), fmt.cover_warn if warn else fmt.text)
    last = r + 2
    sheet.merge_range(last, 0, last, 1, label(labels.COVER, "how", lang), fmt.wrap)
    sheet.set_row(last, 60)
    sheet.activate()


def machine_facts(data: ExportData, lang: str, split: str | None) -> list[tuple[str, str]]:
    """The hidden sheet's key/value pairs (what returns read back)."""
    return [
        ("format_version", labels.FORMAT_VERSION),
        ("export_id", data.export_id),
        ("year", str(data.year)),
        ("region", data.region),
        ("lang", lang),
        ("split", split or ""),
        ("full_ids", "true" if data.full_ids else "false"),
        ("rows", str(len(data.rows))),
        ("run_id", "" if data.run_id is None else str(data.run_id)),
        ("rules_fingerprint", data.fingerprint or ""),
        ("made_at", data.made_at.isoformat()),
        ("data_as_of", data.data_as_of.isoformat() if data.data_as_of else ""),
        ("filters", json.dumps(data.filters, ensure_ascii=False, sort_keys=True)),
    ]


def xlsx_bytes(data: ExportData, lang: str = "zh", split: str | None = None) -> bytes:
    """The workbook: cover, the list (one sheet per county/township with ``split``), hidden facts.

    Strings are never turned into formulas or links: a name like ``=HYPERLINK(…)`` stays text.
    """
    check_lang(lang)
    sheets = split_rows(data, split, lang)
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    book = xlsxwriter.Workbook(buffer, options)
    book.set_properties(
        {"title": label(labels.COVER, "title", lang), "author": data.made_by,
         "comments": f"oopwatch export {data.export_id}"}
    )  # fmt: skip
    fmt = Formats(book)
    _write_cover(book, fmt, data, lang, sheets)
    for name, rows in sheets:
        _write_list(book, fmt, name, rows, data, lang)
    hidden = book.add_worksheet(labels.HIDDEN_SHEET)
    for r, (key, value) in enumerate(machine_facts(data, lang, split)):
        hidden.write_string(r, 0, key)
        if value:
            hidden.write_string(r, 1, value)
    hidden.hide()
    book.close()
    return buffer.getvalue()


# ---------------------------------------------------------------- the CLI's export


def assignees_for(db: Path, year: int) -> dict[str, str]:
    """person_id -> the account following their case of ``year`` (the activity file's
    assignments), for the list's 负责人 column."""
    return {
        a.person_id: a.assignee
        for a in assignments.current_assignments(db)
        if a.year == int(year) and a.assignee
    }


def file_format(out: Path) -> str:
    """xlsx or csv, by the file name's suffix."""
    suffix = out.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ExportRefused(f"{out}: the file name must end in .xlsx or .csv")
    return suffix


def write_atomically(out: Path, content: bytes) -> None:
    """Write ``content`` to a temp file beside ``out``, then rename it over ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        with open(tmp, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def log_export(
    con: duckdb.DuckDBPyConnection, data: ExportData, *, file: Path, sha256: str, lang: str,
    split: str | None, fmt: str,
) -> None:  # fmt: skip
    """Record the export and who was on it (``exports``, ``export_rows``)."""
    rows = pa.table(
        {
            "case_key": [r.case_key for r in data.rows],
            "person_id": [r.person_id for r in data.rows],
            "village_code": [r.village_code for r in data.rows],
            "rules": [r.rules for r in data.rows],
            "severity": [r.severity for r in data.rows],
            "status": [r.status for r in data.rows],
            "oop": pa.array([r.oop for r in data.rows], type=pa.decimal128(14, 2)),
        }
    )
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "INSERT INTO exports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            data.export_id, data.made_at, data.made_by, data.year, data.region, lang,
            json.dumps(data.filters, ensure_ascii=False, sort_keys=True), split, fmt,
            len(data.rows), str(file), sha256, data.full_ids, data.run_id,
        ],
    )  # fmt: skip
    con.register("_export_rows", rows)
    con.execute(
        """INSERT INTO export_rows
           SELECT ?, case_key, person_id, ?, village_code, rules, severity, status, oop, NULL
           FROM _export_rows""",
        [data.export_id, data.year],
    )
    con.unregister("_export_rows")
    con.execute("COMMIT")


def export(
    db: Path,
    year: int,
    out: Path,
    region: str | None = None,
    lang: str = "zh",
    full_ids: bool = False,
    split: str | None = None,
    force: bool = False,
    rules: Iterable[str] | None = None,
    severities: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    by_household: bool = False,
) -> ExportResult:
    """Write the watch-list file, log it in the store, publish a snapshot (``oopwatch export``)."""
    started = time.perf_counter()
    fmt = file_format(out)
    check_lang(lang)
    check_region(region)
    if split is not None and (split not in SPLITS or fmt == "csv"):
        raise ExportRefused("--split needs an .xlsx file and is county or township")
    if out.exists() and not force:
        raise ExportRefused(f"{out} exists already: add --force to overwrite it")
    con = open_current(db)
    try:
        require_data(con, year, region)
        data = fetch(
            con, year, region, rules, severities, statuses, categories, full_ids,
            by_household=by_household,
        )  # fmt: skip
        data.assignees = assignees_for(db, year)
        content = xlsx_bytes(data, lang, split) if fmt == "xlsx" else csv_bytes(data, lang)
        write_atomically(out, content)
        sha = hashlib.sha256(content).hexdigest()
        log_export(con, data, file=out.absolute(), sha256=sha, lang=lang, split=split, fmt=fmt)
        build_case_marts(con)
    except BaseException:
        con.close()
        raise
    store.close_and_publish(con, db)
    activity.record(
        db, user=data.made_by, source="cli", action="export", target=str(out.absolute()),
        filters={**data.filters, "year": data.year, "lang": lang, "split": split},
        rows=len(data.rows), full_ids=data.full_ids, sha256=sha, detail=data.export_id,
    )  # fmt: skip
    return ExportResult(
        file=out,
        export_id=data.export_id,
        rows=len(data.rows),
        by_severity=data.by_severity,
        full_ids=data.full_ids,
        sha256=sha,
        seconds=time.perf_counter() - started,
        new_since_previous=data.new_since_previous,
        previous_export_id=data.previous_export_id,
    )
