"""Read one extract file into a DuckDB staging table of text columns with source line numbers.

Every format ends in the same shape: a temporary table ``line BIGINT, c0 … cN VARCHAR`` holding the
file's data rows in order (``line`` is the source line, header = line 1), plus a list of rows the
file-level parser could not split into columns (rejected as ``malformed_row``). Headers are mapped
to the contract's canonical names here; everything about values is validated later, in SQL.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline import schema

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
CHUNK = 16 * 1024 * 1024
SNIFF = 1024 * 1024

Progress = Callable[[int], None]


class ReadError(Exception):
    """A file that cannot be read at all; the message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass
class Source:
    """A file found for import, before it is read."""

    path: Path
    kind: str
    fmt: str
    size: int
    sha256: str = ""


@dataclass
class Staged:
    """A file read into a staging table."""

    source: Source
    table: str
    headers: list[str]
    mapping: dict[str, int]  # canonical name -> position
    extras: dict[str, int]  # extra header -> position
    encoding: str | None
    rows: int  # data rows placed in the staging table
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # (line, detail, raw)

    @property
    def rows_read(self) -> int:
        """Every data row of the file: staged ones and those the parser could not split."""
        return self.rows + len(self.malformed)


def format_of(path: Path) -> str:
    """Tell a file's format from its suffix."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise ReadError(
        path, f"unsupported file type {suffix or '(none)'}; expected CSV, XLSX or Parquet"
    )


def sha256_of(path: Path, progress: Progress | None = None) -> str:
    """sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


def detect_encoding(path: Path) -> str:
    """BOM → UTF-8 with BOM; strict UTF-8 on the first MB → UTF-8; strict GB18030 → GB18030."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" in head:
        raise ReadError(path, "binary content (NUL bytes): not a CSV text file")
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)("strict").decode(head, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ReadError(path, "unreadable bytes: neither UTF-8 nor GB18030/GBK text")


def transcode(path: Path, encoding: str, out_dir: str) -> Path:
    """Stream a file in ``encoding`` to a UTF-8 temporary file; any undecodable byte refuses it."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    fd, name = tempfile.mkstemp(suffix=".csv", dir=out_dir)
    offset = 0
    with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
        while True:
            chunk = src.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise ReadError(
                    path, f"unreadable bytes at byte {offset + exc.start} (not valid {encoding})"
                ) from None
            dst.write(text.encode("utf-8"))
            offset += len(chunk)
            if not chunk:
                break
    return Path(name)


def scan_lines(path: Path) -> tuple[int, list[int]]:
    """Count physical lines and find the empty ones (which CSV readers skip)."""
    newline_count = 0
    blanks: list[int] = []
    last = b""
    pattern = re.compile(rb"\n\r?(?=\n)")
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            buf = last + chunk
            base = newline_count - last.count(b"\n")
            pos_count, pos = base, 0
            for match in pattern.finditer(buf):
                if match.start() < len(last) - 1:
                    continue  # already seen in the previous chunk
                pos_count += buf.count(b"\n", pos, match.start() + 1)
                pos = match.start() + 1
                blanks.append(pos_count + 1)
            newline_count += chunk.count(b"\n")
            last = chunk[-2:]
    ends_open = bool(last) and not last.endswith(b"\n")
    return newline_count + (1 if ends_open else 0), sorted(set(blanks))


def map_headers(path: Path, kind: str, headers: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Map headers to canonical names; refuse a file missing a required column."""
    known = schema.header_map(kind)
    mapping: dict[str, int] = {}
    extras: dict[str, int] = {}
    for pos, raw in enumerate(headers):
        header = (raw or "").replace("\ufeff", "").strip()
        canonical = known.get(header.lower()) or known.get(header)
        if canonical is None:
            extras[header or f"column_{pos + 1}"] = pos
        elif canonical in mapping:
            first = headers[mapping[canonical]].strip()
            raise ReadError(path, f"columns '{first}' and '{header}' both mean {canonical}")
        else:
            mapping[canonical] = pos
    missing = [c for c in schema.required(kind) if c not in mapping]
    if missing:
        zh = {c.name: c.zh for c in schema.COLUMNS[kind]}
        names = ", ".join(f"{c} ({zh[c]})" for c in missing)
        found = ", ".join(h.strip() for h in headers) or "(none)"
        raise ReadError(
            path, f"required column missing for a {kind} extract: {names}; headers found: {found}"
        )
    return mapping, extras


def read_file(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    table: str,
    tmp_dir: str,
) -> Staged:
    """Read one file of any supported format into staging table ``table``."""
    if source.size == 0:
        raise ReadError(source.path, "empty file")
    if source.fmt == "csv":
        return _read_csv(con, source, table, tmp_dir)
    if source.fmt == "xlsx":
        return _read_xlsx(con, source, table)
    return _read_parquet(con, source, table)


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _first_line(path: Path) -> str:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return fh.readline()


def _read_csv(con: duckdb.DuckDBPyConnection, source: Source, table: str, tmp_dir: str) -> Staged:
    path = source.path
    encoding = detect_encoding(path)
    utf8_path = path if encoding != "gb18030" else transcode(path, encoding, tmp_dir)
    try:
        return _read_csv_utf8(con, source, utf8_path, encoding, table, tmp_dir)
    except _EncodingMismatch:
        if encoding == "gb18030":
            raise ReadError(path, "unreadable bytes after transcoding from GB18030") from None
        # UTF-8 looked right on the first MB but is not valid further on: try GB18030 whole.
        utf8_path = transcode(path, "gb18030", tmp_dir)
        return _read_csv_utf8(con, source, utf8_path, "gb18030", table, tmp_dir)


class _EncodingMismatch(Exception):
    pass


def _read_csv_utf8(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    utf8_path: Path,
    encoding: str,
    table: str,
    tmp_dir: str,
) -> Staged:
    """Fast path: DuckDB's CSV reader; line numbers rebuilt from blank lines and rejects."""
    header_line = _first_line(utf8_path)
    delim = _sniff_delimiter(header_line)
    headers = next(csv.reader([header_line], delimiter=delim), [])
    mapping, extras = map_headers(source.path, source.kind, headers)
    ncol = len(headers)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(ncol)) + "}"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_raw AS
        SELECT row_number() OVER () - 1 AS i, *
        FROM read_csv(?, header = true, auto_detect = false, columns = {columns},
            delim = ?, quote = '"', escape = '"', store_rejects = true,
            rejects_table = '{table}_rej', rejects_scan = '{table}_scan',
            strict_mode = true, null_padding = false, max_line_size = 4000000)""",
        [str(utf8_path), delim],
    )
    rejects = con.execute(
        f"SELECT line, error_type, error_message, csv_line FROM {table}_rej ORDER BY line"
    ).fetchall()
    if any(r[1] == "INVALID ENCODING" for r in rejects):
        raise _EncodingMismatch
    rows = con.execute(f"SELECT count(*) FROM {table}_raw").fetchall()[0][0]
    physical, blanks = scan_lines(utf8_path)
    reject_lines = sorted({int(r[0]) for r in rejects})
    if 1 + rows + len(blanks) + len(reject_lines) != physical:
        # Quoted fields spanning lines or rejects swallowing several lines: only a
        # record-by-record reader knows where each row starts.
        return _read_csv_python(con, source, utf8_path, encoding, table, delim, mapping, extras)
    _number_lines(con, table, sorted(set(blanks) | set(reject_lines)), ncol)
    malformed = [
        (int(r[0]), f"{r[1].lower()}: {r[2]}", (r[3] or "").rstrip("\r\n")) for r in rejects
    ]
    return Staged(source, table, headers, mapping, extras, encoding, rows, malformed)


def _number_lines(con: duckdb.DuckDBPyConnection, table: str, used: list[int], ncol: int) -> None:
    """Give each staged row its source line: the n-th line after the header not otherwise used."""
    cols = ", ".join(f"c{i}" for i in range(ncol))
    if not used:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT i + 2 AS line, {cols} "
            f"FROM {table}_raw ORDER BY i"
        )
    else:
        # Before used line u_j (j = 1, 2, …) stand u_j - 1 - j data rows; a data row with index i
        # is pushed down by the number of used lines whose preceding row count is <= i.
        gaps = [(u - 1 - j, j) for j, u in enumerate(used, start=1)]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_gaps (g BIGINT, j BIGINT)")
        con.executemany(f"INSERT INTO {table}_gaps VALUES (?, ?)", gaps)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
            WITH g AS (SELECT g, max(j) AS j FROM {table}_gaps GROUP BY g),
            r AS (SELECT i, {cols} FROM {table}_raw)
            SELECT r.i + 2 + coalesce(g.j, 0) AS line, {cols}
            FROM r ASOF LEFT JOIN g ON r.i >= g.g ORDER BY r.i"""
        )
        con.execute(f"DROP TABLE {table}_gaps")
    con.execute(f"DROP TABLE {table}_raw")


def _arrow_to_table(
    con: duckdb.DuckDBPyConnection, table: str, lines: list[int], cols: list[list[str | None]]
) -> None:
    data = {"line": pa.array(lines, pa.int64())}
    for i, col in enumerate(cols):
        data[f"c{i}"] = pa.array(col, pa.string())
    arrow = pa.table(data)  # noqa: F841 - read by name below
    con.register(f"{table}_arrow", arrow)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
    con.unregister(f"{table}_arrow")


def _read_csv_python(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    utf8_path: Path,
    encoding: str,
    table: str,
    delim: str,
    mapping: dict[str, int],
    extras: dict[str, int],
) -> Staged:
    """Exact path for files with multi-line fields: Python's csv module, line by record."""
    con.execute(f"DROP TABLE IF EXISTS {table}_raw")
    with open(utf8_path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delim)
        headers = next(reader)
        ncol = len(headers)
        lines: list[int] = []
        cols: list[list[str | None]] = [[] for _ in range(ncol)]
        malformed: list[tuple[int, str, str]] = []
        start = reader.line_num + 1
        try:
            for record in reader:
                if not record:
                    start = reader.line_num + 1
                    continue
                if len(record) != ncol:
                    detail = f"expected {ncol} columns, found {len(record)}"
                    malformed.append((start, detail, delim.join(record)))
                else:
                    lines.append(start)
                    for i, value in enumerate(record):
                        cols[i].append(value if value != "" else None)
                start = reader.line_num + 1
        except csv.Error as exc:
            malformed.append((start, f"unquoted value: {exc}", ""))
    _arrow_to_table(con, table, lines, cols)
    return Staged(source, table, headers, mapping, extras, encoding, len(lines), malformed)


def _cell_text(value: object) -> str | None:
    """An XLSX cell as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() != "" else None


def _read_xlsx(con: duckdb.DuckDBPyConnection, source: Source, table: str) -> Staged:
    """First sheet via python-calamine; the header is the first row naming a known column."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(source.path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several types for a broken workbook
        raise ReadError(source.path, f"not a readable Excel workbook ({exc})") from None
    known = schema.header_map(source.kind)
    header_at = 0
    for i, row in enumerate(rows[:20]):
        cells = [str(c).strip() for c in row if c not in (None, "")]
        if any(c.lower() in known or c in known for c in cells):
            header_at = i
            break
    if not rows:
        raise ReadError(source.path, "the first sheet is empty")
    headers = [str(c) if c is not None else "" for c in rows[header_at]]
    while headers and headers[-1].strip() == "":
        headers.pop()
    mapping, extras = map_headers(source.path, source.kind, headers)
    ncol = len(headers)
    lines: list[int] = []
    cols: list[list[str | None]] = [[] for _ in range(ncol)]
    malformed: list[tuple[int, str, str]] = []
    for idx in range(header_at + 1, len(rows)):
        cells = [_cell_text(v) for v in rows[idx]]
        if all(c is None for c in cells):
            continue
        if any(c is not None for c in cells[ncol:]):
            raw = ",".join(c or "" for c in cells)
            malformed.append((idx + 1, f"values beyond the {ncol} headed columns", raw))
            continue
        cells += [None] * (ncol - len(cells))
        lines.append(idx + 1)
        for i in range(ncol):
            cols[i].append(cells[i])
    _arrow_to_table(con, table, lines, cols)
    return Staged(source, table, headers, mapping, extras, None, len(lines), malformed)


def _read_parquet(con: duckdb.DuckDBPyConnection, source: Source, table: str) -> Staged:
    """Parquet via DuckDB; each column as text, dates as YYYY-MM-DD; line = row number + 1."""
    try:
        described = con.execute(
            "DESCRIBE SELECT * FROM read_parquet(?)", [str(source.path)]
        ).fetchall()
    except duckdb.Error as exc:
        raise ReadError(source.path, f"not a readable Parquet file ({exc})") from None
    headers = [r[0] for r in described]
    mapping, extras = map_headers(source.path, source.kind, headers)
    exprs = []
    for i, (name, typ, *_rest) in enumerate(described):
        quoted = '"' + name.replace('"', '""') + '"'
        if typ.startswith("TIMESTAMP") or typ == "DATE":
            exprs.append(f"strftime(CAST({quoted} AS DATE), '%Y-%m-%d') AS c{i}")
        else:
            exprs.append(f"NULLIF(CAST({quoted} AS VARCHAR), '') AS c{i}")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT file_row_number + 2 AS line, {", ".join(exprs)}
        FROM read_parquet(?, file_row_number = true) ORDER BY file_row_number""",
        [str(source.path)],
    )
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return Staged(source, table, headers, mapping, extras, None, rows)


__all__ = [
    "ReadError",
    "Source",
    "Staged",
    "detect_encoding",
    "format_of",
    "map_headers",
    "read_file",
    "scan_lines",
    "sha256_of",
]
