"""What an import prints: a progress bar per file on a terminal, and a summary table at the end."""

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

from pipeline.flow import Hooks, ImportReport

# Share of a file's bar for each step: hashing the bytes, then reading and checking its rows.
STEPS = {"checking": (0.0, 0.2), "reading": (0.2, 1.0)}


class ImportProgress(Hooks):
    """On a terminal: one bar per file, fed by bytes hashed and DuckDB's query progress.

    Piped (a scheduled job's log): plain timestamped lines instead.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
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
        """One step of the import, as a line (above the bars on a terminal)."""
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
        self.bars.update(task, description=f"{path.name} · {step}", completed=low * 100)
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


def watch_years(years: list[tuple[int, int, int, int]]) -> str:
    """``2026: 2 new, 5 continuing, 1 left; 2025: …`` (newest year first)."""
    return (
        "; ".join(
            f"{year}: {new:,} new, {continuing:,} continuing, {left:,} left"
            for year, new, continuing, left in years
        )
        or "nobody"
    )


def print_summary(result: ImportReport, db: Path) -> None:
    """Per file rows read / loaded / rejected, top reasons, claims matched, time."""
    console = Console()
    table = Table(title=f"import {result.import_id or '-'} into {db}", show_lines=False)
    for col in ("file", "kind", "format", "read", "loaded", "rejected", "note"):
        table.add_column(col, justify="right" if col in ("read", "loaded", "rejected") else "left")
    for f in result.files:
        note = f"already imported: {f.already_imported}" if f.already_imported else ""
        if f.extra_columns:
            note = "extra columns kept: " + ", ".join(f.extra_columns)
        fmt = f.fmt + (f" {f.encoding}" if f.encoding else "")
        table.add_row(
            f.file, f.kind, fmt, f"{f.rows_read:,}", f"{f.rows_loaded:,}",
            f"{f.rows_rejected:,}", note,
        )  # fmt: skip
    total_read = sum(f.rows_read for f in result.files)
    total_loaded = sum(f.rows_loaded for f in result.files)
    total_rejected = sum(f.rows_rejected for f in result.files)
    table.add_row(
        "total", "", "", f"{total_read:,}", f"{total_loaded:,}", f"{total_rejected:,}", ""
    )
    console.print(table)
    if result.reasons:
        console.print(
            "top reject reasons: "
            + ", ".join(f"{reason} {n:,}" for reason, n in result.reasons[:8])
        )
    for skipped in result.skipped:
        console.print(f"skipped {skipped}")
    if result.import_id is None:
        console.print("nothing new to import: every file was imported before; nothing changed")
        if result.caught_up:
            console.print(f"published the store for the dashboard: {result.caught_up}")
    else:
        console.print(
            f"claims matched to a known person: {result.claims_matched:,}; "
            f"unmatched (kept, waiting for a roster): {result.claims_unmatched:,}"
        )
    if result.watch:
        w = result.watch
        console.print("watch-list by year: " + watch_years(w["years"]))
        console.print(
            f"all years: {w['new']:,} new, {w['continuing']:,} continuing, {w['left']:,} left; "
            f"{w['households_without_income']:,} household-years have no income figure "
            "(not assessed for household burden)"
        )
    console.print(f"elapsed {result.seconds:.1f} s")
