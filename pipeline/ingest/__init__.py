"""Ingest: find the files of an import, read and validate each (encodings, headers, codes, IDs,
amounts), and load the valid rows and the rejects into the store."""

from pipeline.ingest.discover import SKIP_NAMES, ImportRefused, discover
from pipeline.ingest.load import already_imported, load_kind, refuse_outside

__all__ = [
    "SKIP_NAMES", "ImportRefused", "already_imported", "discover", "load_kind", "refuse_outside",
]  # fmt: skip
