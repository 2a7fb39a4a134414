"""Read one extract file and validate it in one pass: file → staging view → typed clean table.

Every format ends in the same shape. A staging view ``stage`` gives the file's data rows in order
with the original text columns ``c0 … cN``, the contract's columns trimmed, and ``extra`` (unknown
columns as JSON); the kind's clean SQL turns it into the temporary table ``clean_<file_id>`` in a
single scan; the view ``clean_lines_<file_id>`` adds each row's source line (header = line 1).
Rows the CSV parser could not split into columns come back as ``malformed`` (line, detail, raw).
For CSV, DuckDB's parallel reader does the work; line numbers come from the row order plus the
blank and rejected lines found on the way; a file where those do not add up (quoted fields over
several lines) is read again record by record by Python's csv module, which knows every line.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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


class ReadError(schema.MaskedError):
    """A file that cannot be read at all; the message names the file and the problem (resident
    IDs in it masked)."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = schema.mask_text(problem)


@dataclass
class Source:
    """A file found for import, before it is read."""

    path: Path
    kind: str
    fmt: str
    size: int
    sha256: str = ""
    physical_lines: int | None = None  # CSV: newline count (+1 for an unterminated last line)
    has_nul: bool = False  # CSV: a NUL byte somewhere (its lines are rejected)


@dataclass
class Staged:
    """A file read and validated into ``clean_<file_id>`` (lines in ``clean_lines_<file_id>``)."""

    source: Source
    file_id: int
    headers: list[str]
    mapping: dict[str, int]  # canonical name -> position
    extras: dict[str, int]  # extra header -> position
    encoding: str | None
    rows: int  # data rows in the clean table
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # (line, detail, raw)
    text: Path | None = None  # CSV: the file as UTF-8 (a transcoded copy for GB18030)
    # CSV lines not in the file's encoding (or holding NUL bytes): (line, detail, raw)
    undecodable: list[tuple[int, str, str]] = field(default_factory=list)
    home: str = "temp"  # the database holding clean_<file_id> (see read_file)

    @property
    def rows_read(self) -> int:
        """Every data row of the file: those validated and those that could not be split or
        decoded."""
        return self.rows + len(self.malformed) + len(self.undecodable)

    @property
    def clean(self) -> str:
        """The view of the file's typed rows with their source lines."""
        return f"clean_lines_{self.file_id}"


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


def fingerprint(source: Source, progress: Progress | None = None) -> None:
    """One pass over the bytes: sha256 and, for CSV, the number of physical lines.

    A newline byte never occurs inside a UTF-8 or GB18030 multi-byte character, so the count
    holds for either encoding. (Finding empty lines costs 3x more; it is done only for a file
    whose rows and lines do not add up: see scan_lines.)
    """
    digest = hashlib.sha256()
    count_lines = source.fmt == "csv"
    newlines = 0
    last = b""
    # sha256 runs beside the counting, in a thread (hashlib lets go of the GIL): 1.2-1.9 s -> 1.0 s
    # for a 1 GB file, the hash and the count each taking about half of it.
    with ThreadPoolExecutor(1) as hasher, open(source.path, "rb") as fh:
        hashing = None
        while chunk := fh.read(CHUNK):
            if hashing is not None:
                hashing.result()
            hashing = hasher.submit(digest.update, chunk)
            if count_lines:
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
                source.has_nul = source.has_nul or b"\x00" in chunk
            if progress:
                progress(len(chunk))
        if hashing is not None:
            hashing.result()
    source.sha256 = digest.hexdigest()
    if count_lines:
        source.physical_lines = newlines + (1 if last and last != b"\n" else 0)


def _blank_lines(chunk: bytes, tail: bytes, newlines: int, blanks: list[int]) -> tuple[int, bytes]:
    """Add the empty lines of ``chunk`` (line = newlines before it + 1); return the new count."""
    buf = tail + chunk
    offset = len(tail)
    found = []
    for pattern in (b"\n\n", b"\n\r\n"):
        start = 0
        while (pos := buf.find(pattern, start)) != -1:
            start = pos + 1
            if pos + len(pattern) > offset:  # not wholly inside the previous chunk's tail
                found.append(pos)
    counted, at = newlines - tail.count(b"\n"), 0
    for pos in sorted(found):
        counted += buf.count(b"\n", at, pos + 1)
        at = pos + 1
        blanks.append(counted + 1)
    return newlines + chunk.count(b"\n"), buf[-2:]


def sha256_of(path: Path) -> str:
    """sha256 of a file's bytes."""
    source = Source(path, "", "", 0)
    fingerprint(source)
    return source.sha256


def detect_encoding(path: Path) -> str:
    """The file's encoding, judged on its first MB: a BOM → UTF-8 with BOM; text that is all
    UTF-8 → UTF-8; otherwise the encoding most of its non-ASCII lines are in (UTF-8 or
    GB18030). Lines in the other encoding are rejected on their own (``clean_copy``)."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" in head:
        raise ReadError(path, "binary content (NUL bytes): not a CSV text file")
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    lines = head.split(b"\n")
    if len(lines) > 1:
        lines.pop()  # cut off at SNIFF bytes
    utf8 = gb = 0
    for line in lines:
        if not line.isascii():
            if _decodes(line, "utf-8"):
                utf8 += 1
            elif _decodes(line, "gb18030"):
                gb += 1
    if utf8 == gb == 0:
        raise ReadError(path, "unreadable bytes: neither UTF-8 nor GB18030/GBK text")
    return "utf-8" if utf8 > gb else "gb18030"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GB18030"}
# Two CJK characters in UTF-8 in a row (lead byte E3-E9, two bytes 80-BF, twice): where a
# GB18030 file may hold a line written in UTF-8 (which GB18030 would decode, as mojibake).
# Found by translating the bytes to classes and a plain find (GB/s; a regex was 20x slower).
# Rare in GB18030 text; each hit's line is checked.
_CJK_CLASSES = bytes(
    ord("L") if 0xE3 <= b <= 0xE9 else ord("c") if 0x80 <= b <= 0xBF else ord(".")
    for b in range(256)
)
_CJK_PAIR = b"LccLcc"


def _utf8_cjk_pairs(block: bytes) -> Iterator[int]:
    """Positions in ``block`` where two UTF-8 CJK characters in a row may start."""
    classes = block.translate(_CJK_CLASSES)
    pos = classes.find(_CJK_PAIR)
    while pos != -1:
        yield pos
        pos = classes.find(_CJK_PAIR, pos + 1)


def clean_copy(path: Path, encoding: str, out_dir: str) -> tuple[Path, list[tuple[int, str, str]]]:
    """The file as UTF-8 in ``out_dir``, and the lines left out of it: (line, detail, raw).

    A line that does not decode in the file's encoding, a line written in UTF-8 inside a
    GB18030 file, and a line holding a NUL byte are written as empty lines (so every other
    line keeps its number) and rejected, never loaded as mojibake. Whole lines are decoded at
    once, a chunk at a time; only the lines in question are looked at one by one.
    """
    fd, name = tempfile.mkstemp(suffix=".csv", dir=out_dir)
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    bad: list[tuple[int, str, str]] = []
    line = 1
    tail = b""
    with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
        while True:
            chunk = src.read(CHUNK)
            buf = tail + chunk
            cut = buf.rfind(b"\n") + 1 if chunk else len(buf)
            block, tail = buf[:cut], buf[cut:]
            if line == 1 and block.startswith(codecs.BOM_UTF8):
                block = block[len(codecs.BOM_UTF8) :]
            dst.write(_clean_block(block, codec, line, bad))
            line += block.count(b"\n")
            if not chunk:
                break
    return Path(name), bad


def _clean_block(block: bytes, codec: str, first_line: int, bad: list) -> bytes:
    """A block of whole lines as UTF-8, its bad lines emptied and added to ``bad``."""
    marks: dict[int, tuple[int, str]] = {}  # start of a bad line -> (its end, why)
    pos = block.find(b"\x00")
    while pos != -1:
        start, end = _line_bounds(block, pos)
        marks[start] = (end, "a NUL byte: not text")
        pos = block.find(b"\x00", end)
    if codec == "gb18030":
        for hit in _utf8_cjk_pairs(block):
            start, end = _line_bounds(block, hit)
            if start not in marks and _decodes(block[start:end], "utf-8"):
                marks[start] = (end, "UTF-8 text in a GB18030 file")
    starts = sorted(marks)
    out: list[bytes] = []
    pos = 0
    while True:
        at = bisect.bisect_left(starts, pos)
        stop = starts[at] if at < len(starts) else len(block)
        try:
            out.append(block[pos:stop].decode(codec).encode("utf-8"))
        except UnicodeDecodeError as exc:
            start, end = _line_bounds(block, pos + exc.start)
            marks[start] = (end, f"not {ENCODING_NAMES[codec]} text like the rest of the file")
            bisect.insort(starts, start)
            continue
        if stop == len(block):
            break
        pos = marks[stop][0]  # the line's own bytes are left out; its newline stays
    for start in starts:
        end, why = marks[start]
        bad.append((first_line + block.count(b"\n", 0, start), why, _raw_text(block[start:end])))
    return b"".join(out)


def _line_bounds(block: bytes, pos: int) -> tuple[int, int]:
    """Start and end (its newline, or the block's end) of the line holding byte ``pos``."""
    start = block.rfind(b"\n", 0, pos) + 1
    end = block.find(b"\n", pos)
    return start, len(block) if end == -1 else end


def _raw_text(line: bytes) -> str:
    """A rejected line as readable text: in whichever encoding it decodes in."""
    line = line.rstrip(b"\r").replace(b"\x00", b"\\0")
    for encoding in ("utf-8", "gb18030"):
        if _decodes(line, encoding):
            return line.decode(encoding)
    return line.decode("utf-8", errors="replace")


def transcode(path: Path, encoding: str, out_dir: str) -> Path:
    """The file as UTF-8 in ``out_dir`` (see ``clean_copy``; the lines it leaves out are lost
    here: for the bench's floor, which reads clean files)."""
    return clean_copy(path, encoding, out_dir)[0]


def scan_lines(path: Path) -> tuple[int, list[int]]:
    """Physical lines of a CSV and its empty ones (which CSV readers skip)."""
    newlines = 0
    blanks: list[int] = []
    tail = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            newlines, tail = _blank_lines(chunk, tail, newlines, blanks)
    open_end = bool(tail) and not tail.endswith(b"\n")
    return newlines + (1 if open_end else 0), blanks


def map_headers(path: Path, kind: str, headers: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Map headers to canonical names; refuse a file missing a required column."""
    known = schema.header_map(kind)
    mapping: dict[str, int] = {}
    extras: dict[str, int] = {}
    for pos, raw in enumerate(headers):
        header = (raw or "").replace("\ufeff", "").strip()
        canonical = known.get(header.lower()) or known.get(header)
        if canonical is None:
            name = header or f"column_{pos + 1}"
            if name in extras:  # the same extra header twice: both kept
                name = f"{name} (column {pos + 1})"
            extras[name] = pos
        elif canonical in mapping:
            first = headers[mapping[canonical]].strip()
            raise ReadError(path, f"columns '{first}' and '{header}' both mean {canonical}")
        else:
            mapping[canonical] = pos
    missing = [c for c in schema.required(kind) if c not in mapping]
    if missing:
        zh = {c.name: c.zh for c in schema.COLUMNS[kind]}
        names = ", ".join(f"{c} ({zh[c]})" for c in missing)
        found = ", ".join(_short(h.strip()) for h in headers[:12]) or "(none)"
        found += ", …" if len(headers) > 12 else ""
        raise ReadError(
            path, f"required column missing for a {kind} extract: {names}; headers found: {found}"
        )
    return mapping, extras


def read_file(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    file_id: int,
    clean_sql: str,
    tmp_dir: str,
    home: str = "temp",
) -> Staged:
    """Read one file of any supported format and run the kind's clean SQL over it.

    The typed rows go to ``<home>.clean_<file_id>``: a temporary table, or for an import too
    large for memory a table of an attached DuckDB file (``pipeline.flow``'s stage).
    """
    if source.size == 0:
        raise ReadError(source.path, "empty file")
    if source.fmt == "csv":
        staged = _read_csv(con, source, file_id, clean_sql, tmp_dir, home)
    elif source.fmt == "xlsx":
        staged = _read_xlsx(con, source, file_id, clean_sql, home)
    else:
        staged = _read_parquet(con, source, file_id, clean_sql, home)
    staged.home = home
    return staged


def _table(home: str) -> str:
    """``TEMP TABLE`` for the temporary database (DuckDB requires the word), else ``TABLE``."""
    return "TEMP TABLE" if home == "temp" else "TABLE"


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _run_clean(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    file_id: int,
    source_sql: str,
    ncol: int,
    mapping: dict[str, int],
    extras: dict[str, int],
    clean_sql: str,
    named: int | None = None,
    home: str = "temp",
) -> int:
    """Create the ``stage`` view over ``source_sql`` and materialise ``<home>.clean_<file_id>``.

    ``source_sql`` yields ``src_line`` (NULL when lines come from row order) and ``c0 … cN``.
    Columns from ``named`` on have no header (a comma at the end of every line): a row with a
    value there is malformed (``shape``), its values shifted, never loaded.
    Returns the number of rows in the clean table.
    """
    named = ncol if named is None else named
    parts = [f"{file_id} AS file_id", "src_line"] + [f"c{i}" for i in range(ncol)]
    for col in schema.COLUMNS[kind]:
        pos = mapping.get(col.name)
        if pos is None:
            parts.append(f"CAST(NULL AS VARCHAR) AS {col.name}")
        elif col.typed:
            parts.append(f"blank_as_null(c{pos}) AS {col.name}")
        else:
            parts.append(f"clean_text(c{pos}) AS {col.name}")
    if extras:
        pairs = ", ".join(f"{_quote(h)}, c{p}" for h, p in extras.items())
        parts.append(f"CAST(json_object({pairs}) AS JSON) AS extra")
    else:
        parts.append("CAST(NULL AS JSON) AS extra")
    beyond = " OR ".join(f"coalesce(c{i}, '') <> ''" for i in range(named, ncol))
    parts.append(
        f"CASE WHEN {beyond} THEN problem('malformed_row', 'a value beyond the header''s "
        f"{named} columns: the row''s values would be shifted') END AS shape"
        if beyond
        else "NULL AS shape"
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW stage AS SELECT {', '.join(parts)} FROM {source_sql}")
    raw = "concat_ws(',', " + ", ".join(f"csv_field(c{i})" for i in range(ncol)) + ")"
    checked = clean_sql.replace("__RAW__", raw)
    con.execute(f"CREATE OR REPLACE {_table(home)} {home}.clean_{file_id} AS {checked}")
    return con.execute(f"SELECT count(*) FROM {home}.clean_{file_id}").fetchall()[0][0]


def _lines_from_column(con: duckdb.DuckDBPyConnection, file_id: int, home: str) -> None:
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW clean_lines_{file_id} AS
        SELECT file_id, src_line AS line, * EXCLUDE (file_id, src_line)
        FROM {home}.clean_{file_id}"""
    )


def _lines_from_order(
    con: duckdb.DuckDBPyConnection, file_id: int, used: list[int], home: str
) -> None:
    """Line of each row: the n-th line after the header that is not blank or rejected.

    A table written by one CREATE TABLE AS keeps the scan's order, so ``rowid - min(rowid)`` is
    the row's index. Before used line u_j (j = 1, 2, …) stand u_j - 1 - j data rows; the row
    with index i is pushed down by the number of used lines with at most i rows before them.
    """
    clean = f"{home}.clean_{file_id}"
    if home == "temp":
        base = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {clean}").fetchall()[0][0]
    else:  # staged in a file whose transaction commits later: its rowids change then
        base = f"(SELECT coalesce(min(rowid), 0) FROM {clean})"
    index = f"rowid - {base}"
    if not used:
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW clean_lines_{file_id} AS
            SELECT file_id, {index} + 2 AS line, * EXCLUDE (file_id, src_line)
            FROM {clean}"""
        )
        return
    con.execute(f"CREATE OR REPLACE {_table(home)} {home}.gaps_{file_id} (g BIGINT, j BIGINT)")
    con.executemany(
        f"INSERT INTO {home}.gaps_{file_id} VALUES (?, ?)",
        [(u - 1 - j, j) for j, u in enumerate(used, start=1)],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW clean_lines_{file_id} AS
        WITH g AS (SELECT g, max(j) AS j FROM {home}.gaps_{file_id} GROUP BY g),
        r AS (SELECT {index} AS i, * FROM {clean})
        SELECT r.file_id, r.i + 2 + coalesce(g.j, 0) AS line,
               r.* EXCLUDE (i, file_id, src_line)
        FROM r ASOF LEFT JOIN g ON r.i >= g.g"""
    )


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _first_line(path: Path) -> str:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return fh.readline()


class _EncodingMismatch(Exception):
    """DuckDB found lines that are not UTF-8 in a file read as UTF-8."""

    def __init__(self, invalid_lines: int, utf8_rows: int) -> None:
        super().__init__(f"{invalid_lines} lines not UTF-8, {utf8_rows} rows of UTF-8 text")
        self.invalid_lines = invalid_lines
        self.utf8_rows = utf8_rows


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    file_id: int,
    clean_sql: str,
    tmp_dir: str,
    home: str,
) -> Staged:
    """A CSV file: read by DuckDB, from a clean UTF-8 copy where the file is GB18030, holds a NUL
    byte, or has lines DuckDB finds are not UTF-8 (then the file's encoding is the one most of
    its non-ASCII lines are in, and the other lines are rejected)."""
    path = source.path
    encoding = detect_encoding(path)
    undecodable: list[tuple[int, str, str]] = []
    text = path
    if encoding == "gb18030" or source.has_nul:
        text, undecodable = clean_copy(path, encoding, tmp_dir)
    try:
        staged = _read_csv_utf8(con, source, file_id, clean_sql, text, encoding, home)
    except _EncodingMismatch as mismatch:
        if text != path:
            raise ReadError(path, "unreadable bytes after transcoding") from None
        if mismatch.invalid_lines > mismatch.utf8_rows:
            encoding = "gb18030"
        text, undecodable = clean_copy(path, encoding, tmp_dir)
        staged = _read_csv_utf8(con, source, file_id, clean_sql, text, encoding, home)
    staged.undecodable = undecodable
    return staged


def _named_width(headers: list[str]) -> int:
    """The header's columns up to its last named one (a trailing comma adds unnamed ones)."""
    named = len(headers)
    while named > 1 and headers[named - 1].strip() == "":
        named -= 1
    return named


def _line_width(path: Path, delim: str, headers: list[str]) -> int:
    """How many fields a data line has: the header's (trailing commas included), or more where
    the data lines all end in empty fields though the header does not (a comma at the end of
    every line, as some exports write). Judged on the lines of the first 64 KB, and only with
    at least 10 of them: in a shorter file one line with a value too many and an empty last
    field would look like the file's width."""
    width = len(headers)
    if _named_width(headers) < width:
        return width  # the header ends in commas itself: that is the lines' width
    with open(path, encoding="utf-8-sig", newline="", errors="replace") as fh:
        sample = fh.read(65536)
    lines = sample.splitlines()[1:]
    if len(sample) == 65536:
        lines = lines[:-1]  # cut off mid-line
    rows = [r for r in csv.reader(lines, delimiter=delim) if r]
    if len(rows) < 10:
        return width
    extra = min(len(r) for r in rows) - width
    if extra > 0 and all(v == "" for r in rows for v in r[width : width + extra]):
        return width + extra
    return width


def _read_csv_utf8(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    file_id: int,
    clean_sql: str,
    utf8_path: Path,
    encoding: str,
    home: str,
) -> Staged:
    """Fast path: DuckDB's parallel CSV reader straight into the clean SQL, one scan.

    Every line must have the file's number of fields (``_line_width``): a line with more or
    fewer is rejected, never padded or shifted. (An empty field is read as '' here, not NULL:
    with NULL, DuckDB lets a line carry one extra empty field and drops it, so a line with one
    value too many and an empty last field loaded shifted.)
    """
    header_line = _first_line(utf8_path)
    delim = _sniff_delimiter(header_line)
    headers = next(csv.reader([header_line], delimiter=delim), [])
    named = _named_width(headers)
    mapping, extras = map_headers(source.path, source.kind, headers[:named])
    ncol = _line_width(utf8_path, delim, headers)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(ncol)) + "}"
    # DuckDB appends to a rejects table of the same name: start clean on a second attempt.
    con.execute(f"DROP TABLE IF EXISTS rej_{file_id}")
    con.execute(f"DROP TABLE IF EXISTS rejscan_{file_id}")
    reader = (
        f"(SELECT CAST(NULL AS BIGINT) AS src_line, * FROM read_csv({_quote(str(utf8_path))}, "
        f"header = true, auto_detect = false, columns = {columns}, delim = {_quote(delim)}, "
        "quote = '\"', escape = '\"', nullstr = chr(1), store_rejects = true, "
        f"rejects_table = 'rej_{file_id}', rejects_scan = 'rejscan_{file_id}', "
        "strict_mode = true, null_padding = false, max_line_size = 4000000))"
    )
    rows = _run_clean(
        con, source.kind, file_id, reader, ncol, mapping, extras, clean_sql, named, home
    )
    # One reject per line (DuckDB lists a short line once per missing column).
    rejects = con.execute(
        f"""SELECT line, arg_min(error_type, column_idx), arg_min(error_message, column_idx),
                   arg_min(csv_line, column_idx)
            FROM rej_{file_id} GROUP BY line ORDER BY line"""
    ).fetchall()
    invalid = sum(r[1] == "INVALID ENCODING" for r in rejects)
    if invalid:
        raise _EncodingMismatch(invalid, _non_ascii_rows(con, f"{home}.clean_{file_id}"))
    reject_lines = [int(r[0]) for r in rejects]
    blanks: list[int] = []
    if 1 + rows + len(reject_lines) != source.physical_lines:
        physical, blanks = scan_lines(utf8_path)
    else:
        physical = source.physical_lines
    if 1 + rows + len(blanks) + len(reject_lines) != physical:
        # Quoted fields spanning lines, or a reject swallowing several lines: only a
        # record-by-record reader knows where each row starts.
        return _read_csv_python(
            con, source, file_id, clean_sql, utf8_path, encoding, delim, mapping, extras, named,
            home,
        )  # fmt: skip
    _lines_from_order(con, file_id, sorted(set(blanks) | set(reject_lines)), home)
    malformed = [
        (int(r[0]), _reject_detail(r[1], r[2], named, ncol), (r[3] or "").rstrip("\r\n"))
        for r in rejects
    ]
    return Staged(source, file_id, headers, mapping, extras, encoding, rows, malformed, utf8_path)


def _non_ascii_rows(con: duckdb.DuckDBPyConnection, clean: str) -> int:
    """Rows of the table ``clean`` with text beyond ASCII (read as valid UTF-8)."""
    texts = [
        r[0]
        for r in con.execute(f"DESCRIBE {clean}").fetchall()
        if r[1] == "VARCHAR" and r[0] not in ("reason", "detail", "raw")
    ]
    if not texts:
        return 0
    test = " OR ".join(
        f"strlen(coalesce({_ident(t)}, '')) <> length(coalesce({_ident(t)}, ''))" for t in texts
    )
    return con.execute(f"SELECT count(*) FROM {clean} WHERE {test}").fetchall()[0][0]


def _reject_detail(error_type: str, message: str, named: int, ncol: int) -> str:
    """DuckDB's reason for a line it could not split, in the words of the contract."""
    found = re.search(r"Found: (\d+)", message or "")
    if error_type in ("TOO MANY COLUMNS", "MISSING COLUMNS") and found:
        expected = f"{named}" if named == ncol else f"{named} (and {ncol - named} empty)"
        return f"{found.group(1)} fields where the header has {expected}: values would be shifted"
    return f"{error_type.lower()}: {message}"


def _from_columns(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    file_id: int,
    clean_sql: str,
    lines: list[int],
    cols: list[list[str | None]],
    mapping: dict[str, int],
    extras: dict[str, int],
    named: int | None = None,
    home: str = "temp",
) -> int:
    """Stage rows held in Python lists (with their lines) and run the clean SQL over them."""
    data = {"src_line": pa.array(lines, pa.int64())}
    for i, col in enumerate(cols):
        data[f"c{i}"] = pa.array(col, pa.string())
    name = f"arrow_{file_id}"
    con.register(name, pa.table(data))
    try:
        con.execute(
            f"CREATE OR REPLACE {_table(home)} {home}.src_{file_id} AS SELECT * FROM {name}"
        )
    finally:
        con.unregister(name)
    src = f"{home}.src_{file_id}"
    rows = _run_clean(
        con, source.kind, file_id, src, len(cols), mapping, extras, clean_sql, named, home
    )
    con.execute(f"DROP TABLE {src}")
    _lines_from_column(con, file_id, home)
    return rows


def _read_csv_python(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    file_id: int,
    clean_sql: str,
    utf8_path: Path,
    encoding: str,
    delim: str,
    mapping: dict[str, int],
    extras: dict[str, int],
    named: int,
    home: str,
) -> Staged:
    """Exact path for files with multi-line fields: Python's csv module, line by record."""
    with open(utf8_path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delim)
        headers = next(reader)
        ncol = _line_width(utf8_path, delim, headers)
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
                    detail = _reject_detail("MISSING COLUMNS", f"Found: {len(record)}", named, ncol)
                    malformed.append((start, detail, delim.join(record)))
                else:
                    lines.append(start)
                    for i, value in enumerate(record):
                        cols[i].append(value if value != "" else None)
                start = reader.line_num + 1
        except csv.Error as exc:
            malformed.append((start, f"unquoted value: {exc}", ""))
    rows = _from_columns(con, source, file_id, clean_sql, lines, cols, mapping, extras, named, home)
    return Staged(source, file_id, headers, mapping, extras, encoding, rows, malformed, utf8_path)


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


# What an XLSX extract may unpack to before it is read (python-calamine holds the first sheet
# as a dense grid of rows x columns in memory): 1.5 MB files that unpacked to 0.5 and 1.5 GiB
# took 713 MB and 1.75 GB before they were refused. Larger extracts come as CSV.
XLSX_MAX_UNPACKED = 200_000_000  # bytes of sheet and shared-string XML
XLSX_MAX_CELLS = 30_000_000  # rows x columns of a sheet's grid
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{2,3})[0-9]')  # columns past Z (rare in an extract)
_ROW_NUMBER = re.compile(rb'<row r="([0-9]+)"')


def check_xlsx(path: Path, content: bytes | None = None) -> None:
    """Refuse an XLSX that would unpack to more than the reader can hold, before reading it:
    the XML's unpacked size, then each sheet's grid (its last row and widest column), found by
    streaming the XML through zlib a chunk at a time. Not a zip (an old .xls): nothing to do.
    ``content``: the file's bytes, when they are in memory already."""
    try:
        book = zipfile.ZipFile(io.BytesIO(content) if content is not None else path)
    except (zipfile.BadZipFile, OSError):
        return
    with book:
        parts = [
            i for i in book.infolist()
            if i.filename.startswith("xl/worksheets/") or i.filename == "xl/sharedStrings.xml"
        ]  # fmt: skip
        unpacked = sum(i.file_size for i in parts)
        if unpacked > XLSX_MAX_UNPACKED:
            raise ReadError(
                path,
                f"the workbook unpacks to {unpacked / 1e6:,.0f} MB of XML (more than "
                f"{XLSX_MAX_UNPACKED / 1e6:,.0f} MB): too large to read from Excel; send it as CSV",
            )
        for part in parts:
            if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                _check_grid(path, book, part)


def _check_grid(path: Path, book: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    rows = last_row = 0
    width = 26
    tail = b""
    with book.open(part) as stream:
        while chunk := stream.read(4 * 1024 * 1024):
            buf = tail + chunk
            rows += chunk.count(b"<row")
            at = buf.rfind(b'<row r="')
            if at != -1 and (found := _ROW_NUMBER.match(buf, at)):
                last_row = max(last_row, int(found.group(1)))
            for letters in set(_CELL_COLUMN.findall(buf)):
                width = max(width, _column_number(letters))
            tail = buf[-16:]
            if max(rows, last_row) * width > XLSX_MAX_CELLS:
                raise ReadError(
                    path,
                    f"sheet {part.filename} spans {max(rows, last_row):,} rows by {width:,} "
                    f"columns (more than {XLSX_MAX_CELLS:,} cells): too large to read from "
                    "Excel; send it as CSV",
                )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _read_xlsx(
    con: duckdb.DuckDBPyConnection, source: Source, file_id: int, clean_sql: str, home: str
) -> Staged:
    """First sheet via python-calamine, row by row; the header is the first row naming a known
    column. The workbook's size is checked first (``check_xlsx``)."""
    from python_calamine import CalamineWorkbook

    check_xlsx(source.path)
    try:
        workbook = CalamineWorkbook.from_path(str(source.path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises several types for a broken workbook
        raise ReadError(source.path, f"not a readable Excel workbook ({exc})") from None
    pad = [""] * sheet.start[1] if sheet.start else []  # rows start at A; columns at the first used
    rows = iter(sheet.iter_rows())
    known = schema.header_map(source.kind)
    head: list[list] = []
    header_at = None
    for i, row in zip(range(20), rows, strict=False):
        head.append(pad + list(row))
        cells = [str(c).strip() for c in head[-1] if c not in (None, "")]
        if any(c.lower() in known or c in known for c in cells):
            header_at = i
            break
    if not head:
        raise ReadError(source.path, "the first sheet is empty")
    if header_at is None:  # no known column in the first 20 rows: map_headers says what is missing
        header_at, rows = 0, itertools.chain(head[1:], rows)
    headers = [str(c) if c is not None else "" for c in head[header_at]]
    while headers and headers[-1].strip() == "":
        headers.pop()
    mapping, extras = map_headers(source.path, source.kind, headers)
    ncol = len(headers)
    lines: list[int] = []
    cols: list[list[str | None]] = [[] for _ in range(ncol)]
    malformed: list[tuple[int, str, str]] = []
    for idx, row in enumerate(rows, start=header_at + 1):
        cells = [_cell_text(v) for v in (pad + list(row) if pad else row)]
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
    count = _from_columns(con, source, file_id, clean_sql, lines, cols, mapping, extras, home=home)
    return Staged(source, file_id, headers, mapping, extras, None, count, malformed)


def _read_parquet(
    con: duckdb.DuckDBPyConnection, source: Source, file_id: int, clean_sql: str, home: str
) -> Staged:
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
        quoted = _ident(name)
        if typ.startswith("TIMESTAMP") or typ == "DATE":
            exprs.append(f"strftime(CAST({quoted} AS DATE), '%Y-%m-%d') AS c{i}")
        else:
            exprs.append(f"NULLIF(CAST({quoted} AS VARCHAR), '') AS c{i}")
    reader = (
        f"(SELECT file_row_number + 2 AS src_line, {', '.join(exprs)} "
        f"FROM read_parquet({_quote(str(source.path))}, file_row_number = true))"
    )
    rows = _run_clean(
        con, source.kind, file_id, reader, len(headers), mapping, extras, clean_sql, home=home
    )
    _lines_from_column(con, file_id, home)
    return Staged(source, file_id, headers, mapping, extras, None, rows)


def raw_lines(con: duckdb.DuckDBPyConnection, staged: Staged, lines: list[int]) -> dict[int, str]:
    """The source text of some lines of a file read before (for rows rejected after reading).

    CSV: the physical line (from the UTF-8 text); XLSX: the row's cells joined by commas;
    Parquet: the row's values as text, joined by commas.
    """
    wanted = set(lines)
    if staged.source.fmt == "csv" and staged.text is not None:
        return _csv_lines(staged.text, wanted)
    if staged.source.fmt == "xlsx":
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_path(str(staged.source.path)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
        return {
            line: ",".join(_cell_text(v) or "" for v in rows[line - 1])
            for line in wanted
            if 0 < line <= len(rows)
        }
    fields = ", ".join(f"coalesce(CAST({_ident(h)} AS VARCHAR), '')" for h in staged.headers)
    found = con.execute(
        f"""SELECT file_row_number + 2, concat_ws(',', {fields})
        FROM read_parquet(?, file_row_number = true)
        WHERE file_row_number + 2 IN (SELECT unnest(CAST(? AS BIGINT[])))""",
        [str(staged.source.path), sorted(wanted)],
    ).fetchall()
    return dict(found)


def _csv_lines(path: Path, wanted: set[int]) -> dict[int, str]:
    """Physical lines of a UTF-8 file by number (1 = the header), read a chunk at a time."""
    found: dict[int, str] = {}
    last = max(wanted)
    line = 1  # the number of the line the chunk's first byte belongs to
    tail = b""
    with open(path, "rb") as fh:
        while line <= last and (chunk := fh.read(CHUNK)):
            buf = tail + chunk
            parts = buf.split(b"\n")
            tail = parts.pop()  # unfinished: goes on in the next chunk
            if any(line <= w < line + len(parts) for w in wanted):
                for i, part in enumerate(parts):
                    if line + i in wanted:
                        found[line + i] = _line_text(part)
            line += len(parts)
    if line in wanted and tail:
        found[line] = _line_text(tail)
    return found


def _line_text(raw: bytes) -> str:
    return raw.rstrip(b"\r").decode("utf-8", errors="replace").lstrip("\ufeff")


__all__ = [
    "ReadError",
    "Source",
    "Staged",
    "detect_encoding",
    "format_of",
    "map_headers",
    "raw_lines",
    "read_file",
    "scan_lines",
    "sha256_of",
]
