"""The national build (issue 20): the national models and rules from every province's
partitions of the warehouse, on DuckDB or Spark, from one source of SQL."""

from pipeline.national.build import (
    MARTS,
    MODELS,
    NATIONAL_FORM,
    STORE_MARTS,
    WRITTEN,
    BuildReport,
    NationalError,
    build,
)
from pipeline.national.engines import EngineError
from pipeline.national.port import PortError, to_spark

__all__ = [
    "MARTS", "MODELS", "NATIONAL_FORM", "WRITTEN", "BuildReport", "EngineError", "NationalError",
    "PortError", "STORE_MARTS", "build", "to_spark",
]  # fmt: skip
