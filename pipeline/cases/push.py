"""Lists for the departments that decide: ``oopwatch push --to civil|rural``.

Medical security does not decide who enters monitoring or dibao; civil affairs and agriculture
and rural affairs do, after a home check. A push sends them the watch-listed people whose OOP is
over their warning type's line (``rules/push.toml``: 返贫预警 for out-of-poverty and monitored
people over 50% of the reference rural income, 致贫预警 for others over 100%), as a workbook
whose answer columns (核查结果, 核查日期, 说明, 救助金额) the department fills in and sends back
(``oopwatch feedback``), or a CSV. Every push is logged (``pushes``, ``push_rows``) and audited
with its sha256; ``--since-last`` carries only who is new or changed since the previous push to
that department, region and year.

As the caseworkers' export, in layers: :func:`fetch` reads (the SQL of ``pipeline/sql/push/``
over the export's list), :func:`xlsx_bytes` / :func:`csv_bytes` make the file, :func:`push`
writes, logs and publishes.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import hashlib
import io
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa
import xlsxwriter

from pipeline import labels, store
from pipeline.access import activity
from pipeline.cases import export as exporting
from pipeline.labels import label
from pipeline.models import open_current
from pipeline.rules import RuleSet
from pipeline.rules.evaluation import prepare_standalone
from pipeline.rules.push_policy import DEPARTMENTS, PushPolicy

MONEY = {"oop", "line", "assistance_paid", "shortfall"}


class PushRefused(exporting.ExportRefused):
    """A push that cannot be made as asked; the message says why and what to do."""


class PushRow(NamedTuple):
    """One person-year of a push (columns of ``sql/push/rows.sql``)."""

    case_key: str
    person_id: str
    shown_id: str
    name: str | None
    household_id: str | None
    village_code: str | None
    village_name: str | None
    township_name: str | None
    category: str | None
    warning_type: str
    oop: Decimal
    line: Decimal
    rules: str
    explain_zh: str | None
    explain_en: str | None
    severity: str
    assistance_paid: Decimal | None
    shortfall: Decimal | None
    change: str


@dataclass
class PushData:
    """A push's rows (list order) and what its cover and log say."""

    push_id: str
    seq: int
    made_at: dt.datetime
    made_by: str
    department: str
    year: int
    region: str
    region_name: str | None
    categories: list[str]
    since_last: bool
    previous_id: str | None
    previous_made_at: dt.datetime | None
    full_ids: bool
    reason: str | None
    run_id: int | None
    data_as_of: dt.datetime | None
    left_out: list[tuple[str, int]]
    rows: list[PushRow] = field(default_factory=list)

    def by_warning(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.warning_type] = counts.get(row.warning_type, 0) + 1
        return counts


@dataclass
class PushResult:
    """What ``oopwatch push`` wrote, for printing and tests."""

    file: Path
    push_id: str
    seq: int
    rows: int
    by_warning: dict[str, int]
    left_out: list[tuple[str, int]]
    previous_id: str | None
    full_ids: bool
    sha256: str
    seconds: float


def check_department(department: str) -> str:
    if department not in DEPARTMENTS:
        raise PushRefused(f"unknown department {department!r}: use {' or '.join(DEPARTMENTS)}")
    return department


def _warnings_table(con: duckdb.DuckDBPyConnection, policy: PushPolicy) -> None:
    """The temp table push_warnings (type, categories, share) of the policy."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE push_warnings
           (type VARCHAR, label_zh VARCHAR, label_en VARCHAR, categories VARCHAR[],
            share DECIMAL(6,4))"""
    )
    con.executemany("INSERT INTO push_warnings VALUES (?, ?, ?, ?, ?)", policy.warning_rows())


def fetch(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    department: str,
    year: int,
    region: str | None = None,
    categories: list[str] | None = None,
    since_last: bool = False,
    full_ids: bool = False,
    reason: str | None = None,
    made_by: str | None = None,
    now: dt.datetime | None = None,
) -> PushData:
    """The rows of a push to ``department`` and what its cover says. Needs a connection that
    may write temp tables (the rules' income reference is compiled into it)."""
    check_department(department)
    region = exporting.check_region(region)
    cats = exporting.filter_list("category", categories, list(labels.CATEGORIES))
    prepare_standalone(con, ruleset)  # township_income: the reference income per place
    _warnings_table(con, ruleset.push)
    con.execute(
        store.sql("export/export_list.sql"),
        [int(year), region, None, None, None, cats or None, bool(full_ids)],
    )
    con.execute(store.sql("push/push_list.sql"), [department, region, int(year)])
    order = [w.type for w in ruleset.push.warnings]
    rows = [
        PushRow(*r) for r in con.execute(store.sql("push/rows.sql"), [since_last, order]).fetchall()
    ]
    left_out = [(r, int(n)) for r, n in con.execute(store.sql("push/left_out.sql"), [since_last])
                .fetchall()]  # fmt: skip
    facts = con.execute(
        store.sql("export/facts.sql"), [region, exporting.REGION_LEVELS.get(len(region), 0)]
    ).fetchall()[0]
    previous = con.execute(
        """SELECT push_id, made_at, (SELECT count(*) FROM pushes
                                     WHERE department = ? AND region = ? AND year = ?)
           FROM pushes WHERE department = ? AND region = ? AND year = ?
           ORDER BY made_at DESC, push_id DESC LIMIT 1""",
        [department, region, int(year)] * 2,
    ).fetchall()
    for table in ("export_list", "push_list", "push_warnings"):
        con.execute(f"DROP TABLE IF EXISTS temp.{table}")
    now = now or dt.datetime.now()
    return PushData(
        push_id=f"P{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}",
        seq=(int(previous[0][2]) if previous else 0) + 1,
        made_at=now,
        made_by=made_by or getpass.getuser(),
        department=department,
        year=int(year),
        region=region,
        region_name=facts[4],
        categories=cats,
        since_last=since_last,
        previous_id=previous[0][0] if previous else None,
        previous_made_at=previous[0][1] if previous else None,
        full_ids=bool(full_ids),
        reason=reason,
        run_id=facts[0],
        data_as_of=facts[3],
        left_out=left_out,
        rows=rows,
    )


# ---------------------------------------------------------------- the file


def columns(data: PushData, lang: str) -> list[tuple[str, str]]:
    """(key, header) of the push's columns; the shortfall only when someone was paid short."""
    keys = [
        k for k in labels.PUSH_COLUMNS if k != "shortfall" or any(r.shortfall for r in data.rows)
    ]
    out = []
    for key in keys:
        if key == "id":
            out.append((key, labels.header("id", lang, data.full_ids)))
        else:
            zh, en = labels.PUSH_COLUMNS[key]
            out.append((key, zh if lang == "zh" else en))
    return out


def row_values(data: PushData, n: int, row: PushRow, policy: PushPolicy, lang: str) -> dict:
    """The cells of one row, keyed like ``labels.PUSH_COLUMNS`` (answers blank)."""
    return {
        "push_id": data.push_id,
        "row_no": n,
        "warning": policy.warning_label(row.warning_type, lang),
        "case_key": row.case_key,
        "id": row.shown_id,
        "name": row.name,
        "household_id": row.household_id,
        "township": row.township_name,
        "village": row.village_name,
        "category": label(labels.CATEGORIES, row.category, lang),
        "oop": row.oop,
        "line": row.line,
        "rules": exporting.rule_labels(row.rules, lang),
        "explain": row.explain_zh if lang == "zh" else row.explain_en,
        "assistance_paid": row.assistance_paid,
        "shortfall": row.shortfall,
        "change": label(labels.PUSH_CHANGES, row.change, lang),
        "decision": None,
        "decided_on": None,
        "reason": None,
        "amount": None,
    }


def csv_bytes(data: PushData, policy: PushPolicy, lang: str = "zh") -> bytes:
    """The push as CSV, UTF-8 with BOM (what Excel and WPS open as Chinese text)."""
    cols = columns(data, lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([h for _k, h in cols])
    for n, row in enumerate(data.rows, start=1):
        values = row_values(data, n, row, policy, lang)
        writer.writerow([exporting.csv_safe(values[k]) for k, _h in cols])
    return buffer.getvalue().encode("utf-8-sig")


def machine_facts(data: PushData, lang: str) -> list[tuple[str, str]]:
    """The hidden sheet's key/value pairs (what feedback reads back)."""
    return [
        ("format_version", labels.FORMAT_VERSION),
        ("kind", "push"),
        ("push_id", data.push_id),
        ("department", data.department),
        ("year", str(data.year)),
        ("region", data.region),
        ("lang", lang),
        ("rows", str(len(data.rows))),
        ("made_at", data.made_at.isoformat()),
    ]


def _cover(data: PushData, policy: PushPolicy, lang: str) -> list[tuple[str, object]]:
    """(label, value) lines of the cover (labels.PUSH_COVER)."""

    def say(key: str, **values: object) -> str:
        return label(labels.PUSH_COVER, key, lang).format(**values)

    region = (
        f"{data.region_name or data.region}（{data.region}）"
        if data.region
        else label(labels.COVER, "all_regions", lang)
    )
    ids = "ids_full" if data.full_ids else "ids_masked"
    lines: list[tuple[str, object]] = [
        (say("to"), policy.department_label(data.department, lang)),
        (say("region"), region),
        (say("year"), data.year),
        (say("push_id"), data.push_id),
        (say("seq"), data.seq),
        (say("rows"), len(data.rows)),
        (say("scope"), say("since_last" if data.since_last else "everyone")),
        (say("previous"), data.previous_id or say("first")),
        (label(labels.COVER, "ids", lang), label(labels.COVER, ids, lang)),
        (label(labels.COVER, "data_as_of", lang), data.data_as_of),
        (label(labels.COVER, "made_at", lang), data.made_at),
        (label(labels.COVER, "made_by", lang), data.made_by),
    ]
    counts = data.by_warning()
    joiner = "、" if lang == "zh" else ", "
    for w in policy.warnings:
        cats = joiner.join(label(labels.CATEGORIES, c, lang) for c in w.categories)
        share = f"{(w.share * 100).normalize():f}%"
        text = say("warning", n=counts.get(w.type, 0), categories=cats, share=share)
        lines.append((w.label_zh if lang == "zh" else w.label_en, text))
    for reason, n in data.left_out:
        lines.append((say("left_out", why=label(labels.PUSH_LEFT_OUT, reason, lang)), n))
    return lines


def xlsx_bytes(data: PushData, policy: PushPolicy, lang: str = "zh") -> bytes:
    """The workbook: a cover, the list with the answer columns to fill in (decision from a
    drop-down), and a hidden sheet naming the push. Strings never become formulas."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
         "strings_to_numbers": False},
    )  # fmt: skip
    fmt = exporting.Formats(book)
    cover = book.add_worksheet("封面" if lang == "zh" else "Cover")
    cover.set_column(0, 0, 34)
    cover.set_column(1, 1, 70)
    title = label(labels.PUSH_COVER, "title", lang).format(
        department=policy.department_label(data.department, lang)
    )
    cover.write_string(0, 0, title, fmt.title)
    for r, (key, value) in enumerate(_cover(data, policy, lang), start=2):
        cover.write_string(r, 0, key, fmt.cover_key)
        if isinstance(value, dt.datetime):
            cover.write_string(r, 1, f"{value:%Y-%m-%d %H:%M:%S}", fmt.text)
        elif isinstance(value, int):
            cover.write_number(r, 1, value, fmt.integer)
        else:
            cover.write_string(r, 1, "" if value is None else str(value), fmt.text)
    how = label(labels.PUSH_COVER, "how", lang)
    cover.merge_range(r + 2, 0, r + 2, 1, how, fmt.wrap)
    cover.set_row(r + 2, 48)
    cover.activate()
    sheet = book.add_worksheet("推送名单" if lang == "zh" else "Pushed")
    cols = columns(data, lang)
    widths = [exporting.text_width(h) for _k, h in cols]
    for c, (key, head) in enumerate(cols):
        sheet.write_string(
            0, c, head, fmt.follow_header if key in labels.PUSH_ANSWER else fmt.header
        )
    for r, row in enumerate(data.rows, start=1):
        values = row_values(data, r, row, policy, lang)
        for c, (key, _h) in enumerate(cols):
            value = values[key]
            if value is None:
                continue
            if key in MONEY:
                sheet.write_number(r, c, float(value), fmt.money)
                shown = f"¥{value:,.2f}"
            elif isinstance(value, int):
                sheet.write_number(r, c, value, fmt.integer)
                shown = str(value)
            else:
                shown = str(value)
                sheet.write_string(r, c, shown, fmt.text)
            widths[c] = max(widths[c], exporting.text_width(shown[: exporting.MAX_WIDTH]))
    answer_formats = {"decided_on": fmt.follow_date, "amount": fmt.follow_money}
    for c, (key, _h) in enumerate(cols):
        width = min(max(widths[c], 8) + 2, exporting.MAX_WIDTH)
        if key in labels.PUSH_ANSWER:
            sheet.set_column(c, c, max(width, 16), answer_formats.get(key, fmt.follow))
        else:
            sheet.set_column(c, c, width)
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, [k for k, _h in cols].index("name") + 1)
    sheet.autofilter(0, 0, len(data.rows), len(cols) - 1)
    if data.rows:
        c = [k for k, _h in cols].index("decision")
        choices = [label(labels.DECISIONS, code, lang) for code in labels.DECISIONS]
        sheet.data_validation(1, c, len(data.rows), c, {"validate": "list", "source": choices})
    hidden = book.add_worksheet(labels.HIDDEN_SHEET)
    for r, (key, value) in enumerate(machine_facts(data, lang)):
        hidden.write_string(r, 0, key)
        if value:
            hidden.write_string(r, 1, value)
    hidden.hide()
    book.close()
    return buffer.getvalue()


# ---------------------------------------------------------------- the CLI's push


def log_push(con: duckdb.DuckDBPyConnection, data: PushData, *, file: Path, sha256: str,
             lang: str, fmt: str) -> None:  # fmt: skip
    """Record the push and who was on it (``pushes``, ``push_rows``), in one transaction."""
    rows = pa.table(
        {
            "row_no": pa.array(range(1, len(data.rows) + 1), type=pa.int32()),
            **{
                name: [getattr(r, name) for r in data.rows]
                for name in ("case_key", "person_id", "village_code", "category", "warning_type",
                             "rules", "severity", "change")
            },
            **{
                name: pa.array([getattr(r, name) for r in data.rows], type=pa.decimal128(14, 2))
                for name in ("oop", "line", "assistance_paid", "shortfall")
            },
        }
    )  # fmt: skip
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "INSERT INTO pushes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            data.push_id, data.seq, data.made_at, data.made_by, data.department, data.year,
            data.region, data.categories, data.since_last, data.previous_id, lang, fmt,
            len(data.rows), str(file), sha256, data.full_ids, data.reason, data.run_id,
        ],
    )  # fmt: skip
    con.register("_push_rows", rows)
    con.execute(
        """INSERT INTO push_rows
           SELECT ?, row_no, case_key, person_id, ?, village_code, category, warning_type, oop,
                  line, rules, severity, assistance_paid, shortfall, change
           FROM _push_rows""",
        [data.push_id, data.year],
    )
    con.unregister("_push_rows")
    con.execute("COMMIT")


def push(
    db: Path,
    ruleset: RuleSet,
    department: str,
    year: int | None,
    out: Path,
    region: str | None = None,
    lang: str = "zh",
    since_last: bool = False,
    full_ids: bool = False,
    reason: str | None = None,
    categories: list[str] | None = None,
    force: bool = False,
    now: dt.datetime | None = None,
) -> PushResult:
    """Write the department's list, log it, publish a snapshot, audit it (``oopwatch push``).
    ``now``: when the push is recorded as made (the demo dates its pushes by the data)."""
    started = time.perf_counter()
    check_department(department)
    fmt = exporting.file_format(out)
    exporting.check_lang(lang)
    region = exporting.check_region(region)
    if full_ids and not (reason or "").strip():
        raise PushRefused(
            "--full-ids needs --reason: the data-sharing agreement that allows full IDs"
        )
    if out.exists() and not force:
        raise PushRefused(f"{out} exists already: add --force to overwrite it")
    con = open_current(db)
    try:
        if store.is_national(con):
            raise PushRefused(
                f"{db} is a national dashboard's store: push from a province's store, where the "
                "departments' answers come back"
            )
        if year is None:  # the latest year with claims
            year = con.execute("SELECT max(year) FROM mart_person_year").fetchall()[0][0]
            if year is None:
                raise PushRefused("the store has no claims yet: nothing to push")
        exporting.require_data(con, year, region)
        data = fetch(
            con, ruleset, department, year, region, categories, since_last, full_ids,
            (reason or "").strip() or None, now=now,
        )  # fmt: skip
        policy = ruleset.push
        content = xlsx_bytes(data, policy, lang) if fmt == "xlsx" else csv_bytes(data, policy, lang)
        exporting.write_atomically(out, content)
        sha = hashlib.sha256(content).hexdigest()
        log_push(con, data, file=out.absolute(), sha256=sha, lang=lang, fmt=fmt)
    except BaseException:
        con.close()
        raise
    store.close_and_publish(con, db)
    activity.record(
        db, user=data.made_by, source="cli", action="push", target=str(out.absolute()),
        filters={"department": department, "region": region, "year": data.year,
                 "categories": data.categories, "since_last": since_last, "lang": lang},
        rows=len(data.rows), full_ids=data.full_ids, sha256=sha,
        detail=f"{data.push_id} #{data.seq} to {department}"
        + (f"; full IDs: {data.reason}" if data.full_ids else ""),
    )  # fmt: skip
    return PushResult(
        file=out, push_id=data.push_id, seq=data.seq, rows=len(data.rows),
        by_warning=data.by_warning(), left_out=data.left_out, previous_id=data.previous_id,
        full_ids=data.full_ids, sha256=sha, seconds=time.perf_counter() - started,
    )  # fmt: skip
