"""Find the files of an import: files and folders given, each file's kind and format."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pipeline import schema
from pipeline.ingest import read

SKIP_NAMES = {"readme.md", "readme.txt", ".ds_store"}


class ImportRefused(schema.MaskedError):
    """Nothing of the import was loaded; the message names the file and the problem."""


def discover(paths: Iterable[Path], kind: str | None) -> tuple[list[read.Source], list[str]]:
    """Files to import, in import order, and the files of a folder that were skipped (why)."""
    sources: list[read.Source] = []
    skipped: list[str] = []
    for path in paths:
        if not path.exists():
            raise ImportRefused(f"{path}: no such file or folder")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name.startswith(".") or child.name.lower() in SKIP_NAMES:
                    continue
                if child.is_symlink():  # an exchange folder holds files, not links elsewhere
                    skipped.append(f"{child}: a symbolic link, not imported")
                    continue
                try:
                    fmt = read.format_of(child)
                except read.ReadError:
                    skipped.append(f"{child}: not CSV, XLSX or Parquet")
                    continue
                child_kind = kind or schema.kind_of(child.name)
                if child_kind is None:
                    skipped.append(
                        f"{child}: name does not start with roster, enrolment or claims "
                        "(use --kind to import it)"
                    )
                    continue
                sources.append(read.Source(child, child_kind, fmt, child.stat().st_size))
        else:
            try:
                fmt = read.format_of(path)
            except read.ReadError as exc:
                raise ImportRefused(str(exc)) from None
            file_kind = kind or schema.kind_of(path.name)
            if file_kind is None:
                raise ImportRefused(
                    f"{path}: cannot tell the kind of extract from the file name; name it "
                    "roster…, enrolment… or claims…, or pass --kind"
                )
            sources.append(read.Source(path, file_kind, fmt, path.stat().st_size))
    return sources, skipped
