"""The national warehouse (issue 20): a province's store published as Hive-partitioned Parquet
(``raw/`` facts and ``marts/``), which a national build reads on DuckDB or Spark."""

from pipeline.warehouse.publishing import (
    MARTS,
    RAW,
    PublishReport,
    WarehouseError,
    province_of,
    publish,
)

__all__ = ["MARTS", "RAW", "PublishReport", "WarehouseError", "province_of", "publish"]
