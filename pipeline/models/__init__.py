"""The models built from the loaded rows, and the marts built after each rule run."""

from pipeline.models.build import (
    MODELS,
    REBUILD_SHARE,
    drop_weekly,
    open_current,
    refresh_models,
    weekly_start,
)
from pipeline.models.marts import MARTS, build_case_marts, build_marts

__all__ = [
    "MARTS", "MODELS", "REBUILD_SHARE", "build_case_marts", "build_marts", "drop_weekly",
    "open_current",
    "refresh_models",
    "weekly_start",
]  # fmt: skip
