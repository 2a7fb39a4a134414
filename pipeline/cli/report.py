"""What an import prints: a progress bar per file on a terminal, and a summary table at the end.

For a clerk: Chinese unless ``--lang en``, the stages of the import (not the models it builds:
those with ``--verbose``), file names shortened from the left, within 80 columns."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from pipeline import labels
from pipeline.flow import Hooks, ImportReport

# Share of a file's bar for each step: hashing the bytes, then reading and checking its rows.
STEPS = {"checking": (0.0, 0.2), "reading": (0.2, 1.0)}
STEP_NAMES = {"checking": "check", "reading": "read"}


def short_path(path: str, width: int) -> str:
    """A file name shortened from the left to ``width`` characters: ``…/week01/claims.csv``
    (the folder nearest the file tells weeks apart; the first folder does not)."""
    if len(path) <= width:
        return path
    tail = path[-(width - 1) :]
    cut = tail.find("/")
    return "…" + (tail[cut:] if 0 <= cut < len(tail) - 1 else tail)


class ImportProgress(Hooks):
    """On a terminal: one bar per file, fed by bytes hashed and DuckDB's query progress.

    Piped (a scheduled job's log): plain timestamped lines instead.
    """

    def __init__(self, enabled: bool = True, lang: str = "zh", verbose: bool = False) -> None:
        self.enabled = enabled
        self.lang = lang
        self.verbose = verbose
        self.console = Console(stderr=True)
        self.live = enabled and self.console.is_terminal
        self.bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.tasks: dict[Path, int] = {}
        self._start = time.perf_counter()

    def __enter__(self) -> ImportProgress:
        if self.live:
            self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.bars.stop()

    def notify(self, message: str) -> None:
        """An internal step (model names, counts): printed with --verbose only."""
        if self.verbose:
            self._line(message)

    def step(self, name: str, path: Path | None = None) -> None:
        """A stage of the import a clerk follows, in their language."""
        if not self.verbose:
            shown = short_path(str(path), 56) if path is not None else ""
            self._line(labels.say(f"ingest.step.{name}", self.lang, file=shown))

    def _line(self, message: str) -> None:
        """One line (above the bars on a terminal), with the seconds since the start."""
        if not self.enabled:
            return
        line = f"[{time.perf_counter() - self._start:6.1f}s] {message}"
        if self.live:
            self.bars.console.print(line, markup=False, highlight=False)
        else:
            print(line, file=sys.stderr, flush=True)

    def _task(self, path: Path) -> int:
        if path not in self.tasks:
            self.tasks[path] = self.bars.add_task(path.name, total=100)
        return self.tasks[path]

    @contextmanager
    def file_step(
        self, path: Path, step: str, size: int = 0, con: duckdb.DuckDBPyConnection | None = None
    ) -> Iterator[Callable[[int], None]]:
        """Advance the file's bar through ``step`` by bytes done or by the running query."""
        if not self.live:
            yield lambda _n: None
            return
        task = self._task(path)
        low, high = STEPS.get(step, (0.0, 1.0))
        shown = labels.say(f"ingest.step.{STEP_NAMES.get(step, 'read')}", self.lang, file=path.name)
        self.bars.update(task, description=shown, completed=low * 100)
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            if size:
                share = low + (high - low) * min(done[0] / size, 1.0)
                self.bars.update(task, completed=share * 100)

        stop = threading.Event()
        poller = None
        if con is not None:
            con.execute("SET enable_progress_bar = true")
            con.execute("SET enable_progress_bar_print = false")

            def poll() -> None:
                while not stop.wait(0.2):
                    pct = con.query_progress()
                    if pct >= 0:
                        self.bars.update(task, completed=(low + (high - low) * pct / 100) * 100)

            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
        try:
            yield advance
        finally:
            stop.set()
            if poller is not None:
                poller.join()
            self.bars.update(task, completed=high * 100)


def watch_years(years: list[tuple[int, int, int, int]], lang: str = "zh") -> str:
    """``2026 年 新增 2、持续 5、移出 1`` a line per year, the newest first."""
    return "\n".join(
        labels.say(
            "ingest.year",
            lang,
            year=year,
            new=f"{new:,}",
            continuing=f"{continuing:,}",
            left=f"{left:,}",
        )  # fmt: skip
        for year, new, continuing, left in years
    ) or labels.say("ingest.nobody", lang)


def print_summary(result: ImportReport, db: Path, lang: str = "zh") -> None:
    """Per file rows read / loaded / rejected, top reasons, claims matched, the watch-list by
    year, where the rejected rows are, time."""
    console = Console()
    say = labels.say
    title = say("ingest.title", lang, n=result.import_id or "-", db=short_path(str(db), 50))
    table = Table(title=title, show_lines=False, box=None, padding=(0, 1))
    numbers = ("read", "loaded", "rejected")
    for col in ("file", "kind", "format", *numbers):
        justify = "right" if col in numbers else "left"
        table.add_column(say(f"ingest.col.{col}", lang), justify=justify, no_wrap=True)
    notes = []  # below the table, one line each: a column of them squeezed the figures
    for f in result.files:
        shown = short_path(f.file, 26)
        if f.already_imported:
            notes.append(f"{shown}: " + say("ingest.already", lang, when=f.already_imported))
        if f.extra_columns:
            notes.append(
                f"{shown}: " + say("ingest.extra", lang, columns=", ".join(f.extra_columns))
            )
        fmt = f.fmt + (f" {f.encoding}" if f.encoding else "")
        table.add_row(
            shown, say(f"ingest.kind.{f.kind}", lang), fmt, f"{f.rows_read:,}",
            f"{f.rows_loaded:,}", f"{f.rows_rejected:,}",
        )  # fmt: skip
    total_read = sum(f.rows_read for f in result.files)
    total_loaded = sum(f.rows_loaded for f in result.files)
    total_rejected = sum(f.rows_rejected for f in result.files)
    table.add_row(
        say("ingest.total", lang), "", "", f"{total_read:,}", f"{total_loaded:,}",
        f"{total_rejected:,}",
    )  # fmt: skip
    console.print(table)
    plain = {"markup": False, "highlight": False}
    for note in notes:
        console.print(note, **plain)
    if result.reasons:  # one reason a line, the count first: a list that wraps reads badly
        console.print(say("ingest.reasons", lang), **plain)
        for reason, n in result.reasons[:8]:
            console.print(f"  {n:>7,}  {labels.reason_label(reason, lang)}", **plain)
    for skipped in result.skipped:
        console.print(say("ingest.skipped", lang, what=skipped), **plain)
    if result.import_id is None:
        console.print(say("ingest.nothing", lang))
        if result.caught_up:
            console.print(say("ingest.caught_up", lang, why=result.caught_up), markup=False)
    else:
        console.print(
            say(
                "ingest.claims",
                lang,
                matched=f"{result.claims_matched:,}",
                unmatched=f"{result.claims_unmatched:,}",
            )  # fmt: skip
        )
    if result.list_stands is not None:
        console.print(say("ingest.list_stands", lang, run=result.list_stands), **plain)
    if result.watch:
        w = result.watch
        console.print(say("ingest.years", lang), **plain)
        for line in watch_years(w["years"], lang).split("\n"):
            console.print(f"  {line}", **plain)
        if w["households_without_income"]:
            console.print(say("ingest.no_income", lang, n=f"{w['households_without_income']:,}"))
    if result.unusual:  # the last complete week's counties unlike their own history
        console.print(say("ingest.unusual", lang), **plain)
        for county, week, metric, value, median, z in result.unusual:
            figure = "{:.0%}" if metric == "assistance_share" else "{:,.0f}"
            shown, usual = figure.format(value), figure.format(median)
            z_text = f"z = {z:.2f}" if z is not None else say("ingest.unusual_flat", lang)
            console.print(  # one line each, however narrow the terminal (soft_wrap)
                f"  {county} {week:%Y-%m-%d} "
                + say(f"anomaly.{metric}", lang, value=shown, usual=usual, z=z_text),
                soft_wrap=True, **plain,
            )  # fmt: skip
    if total_rejected and result.import_id is not None:
        console.print(
            say("ingest.where_rejects", lang, n=f"{total_rejected:,}", id=result.import_id),
            markup=False, highlight=False,
        )  # fmt: skip
    console.print(say("ingest.elapsed", lang, s=f"{result.seconds:.1f}"))
