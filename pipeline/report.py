"""What an import prints: progress while it runs and a summary table at the end."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.load import ImportReport


class Progress:
    """Progress lines on a terminal (a live spinner per step); plain lines when piped."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.console = Console(stderr=True)
        self._status = None
        self._start = time.perf_counter()

    def __enter__(self) -> Progress:
        if self.enabled and self.console.is_terminal:
            self._status = self.console.status("starting import")
            self._status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)

    def notify(self, message: str) -> None:
        """Show one step of the import."""
        if not self.enabled:
            return
        message = f"[{time.perf_counter() - self._start:6.1f}s] {message}"
        if self._status is not None:
            self._status.update(message)
            self.console.log(message)
        else:
            print(message, file=sys.stderr, flush=True)


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
    else:
        console.print(
            f"claims matched to a known person: {result.claims_matched:,}; "
            f"unmatched (kept, waiting for a roster): {result.claims_unmatched:,}"
        )
    console.print(f"elapsed {result.seconds:.1f} s")
