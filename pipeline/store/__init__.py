"""The store: the DuckDB file the CLI alone writes, its SQL files, and the read snapshots the
dashboard opens. Every stage above reads and writes through this package."""

from pipeline.store.db import (
    MEMORY_LIMIT,
    NATIONAL_KEY,
    StoreLocked,
    StoreMissing,
    code_macros,
    connect,
    delete_where,
    is_national,
    load_reference,
    mark_demo,
    memory_limit_bytes,
    missing_store,
    open_store,
    other_stores,
    pieces,
    require,
    scalar,
    work_dir,
)
from pipeline.store.files import SQL_DIR, models_version, quoted, run_folder, run_script, sql
from pipeline.store.keys import PERSON_KEY_HEX, person_key, person_key_macro, person_key_secret
from pipeline.store.snapshots import (
    PublishFailed,
    close_and_publish,
    current_snapshot,
    last_good_snapshot,
    open_snapshot,
    pointer_path,
    publish,
    snapshot_dir,
    snapshot_problem,
    snapshot_version,
    snapshots,
    stale_reason,
)

__all__ = [
    "MEMORY_LIMIT", "NATIONAL_KEY", "PERSON_KEY_HEX", "SQL_DIR", "PublishFailed", "StoreLocked",
    "StoreMissing",
    "close_and_publish", "code_macros", "connect", "current_snapshot", "delete_where",
    "is_national",
    "last_good_snapshot", "load_reference", "mark_demo", "memory_limit_bytes", "missing_store",
    "models_version",
    "open_snapshot", "open_store", "other_stores", "person_key", "person_key_macro",
    "person_key_secret",
    "pieces", "pointer_path", "publish", "quoted", "require", "run_folder", "run_script", "scalar",
    "snapshot_dir", "snapshot_problem", "snapshot_version", "snapshots", "sql", "stale_reason",
    "work_dir",
]  # fmt: skip
