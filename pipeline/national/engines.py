"""The two engines a national build runs on: DuckDB (one machine) and Apache Spark (a cluster,
or ``local[2]``). Both take the same relations: Parquet folders of the warehouse, small tables of
rows, and the national SQL (DuckDB's dialect; ``port.to_spark`` for Spark)."""

from __future__ import annotations

import glob
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pipeline import store
from pipeline.national import port

# column name -> type, for a table of rows handed to an engine
Columns = Sequence[tuple[str, str]]


class EngineError(Exception):
    """An engine that cannot start (no pyspark, no Java); the message says what to install."""


class DuckEngine:
    """DuckDB in this process: relations are temporary tables."""

    name = "duckdb"

    def __init__(self, spill: Path) -> None:
        self.con = duckdb.connect()
        self.con.execute(f"SET memory_limit = '{store.MEMORY_LIMIT}'")
        self.con.execute(f"SET temp_directory = {store.quoted(spill)}")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute(port.duckdb_macros_sql())

    def parquet(self, name: str, folder: Path, year: int | None) -> None:
        """``name``: every Parquet file under ``folder`` (or the one file ``folder``), its Hive
        partitions as columns (province as text, year as an integer), only ``year``'s when
        given."""
        if folder.is_file():
            self.view(name, f"SELECT * FROM read_parquet({store.quoted(folder)})")
            return
        by_year = _has_years(folder)
        types = "{'province': 'VARCHAR'" + (", 'year': 'INTEGER'}" if by_year else "}")
        where = f" WHERE year = {int(year)}" if year is not None and by_year else ""
        files = store.quoted(str(folder) + "/**/*.parquet")
        self.view(
            name,
            f"SELECT * FROM read_parquet({files}, hive_partitioning = true, "
            f"hive_types = {types}, hive_types_autocast = false){where}",
        )

    def rows(self, name: str, columns: Columns, rows: list[tuple]) -> None:
        """``name``: a table of these rows."""
        spec = ", ".join(f"{c} {t}" for c, t in columns)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({spec})")
        if rows:
            marks = ", ".join("?" * len(columns))
            self.con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)

    def create(self, name: str, sql: str) -> int:
        """``name``: the rows of one national SQL file; how many."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        return self.count(name)

    def view(self, name: str, sql: str) -> None:
        """``name``: a query, not stored."""
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    def script(self, text: str) -> None:
        """Every statement of a script of the store's (a rule kind's file): DuckDB runs it as
        it is."""
        self.con.execute(text)

    def count(self, name: str) -> int:
        """The rows of a relation."""
        return int(self.con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])

    def write(self, name: str, folder: Path, by_year: bool, order: str | None = None) -> None:
        """Write ``name`` as Parquet into ``folder`` (new), in year=YYYY partitions if asked,
        sorted by ``order`` if given (a reader filtering on it then skips row groups)."""
        folder.mkdir(parents=True)
        rows = f"(SELECT * FROM {name} ORDER BY {order})" if order else name
        if by_year:
            self.con.execute(
                f"COPY {rows} TO {store.quoted(folder)} (FORMAT parquet, PARTITION_BY (year), "
                "OVERWRITE_OR_IGNORE true)"
            )
        else:
            target = store.quoted(folder / "data.parquet")
            self.con.execute(f"COPY {rows} TO {target} (FORMAT parquet)")

    def close(self) -> None:
        self.con.close()


def _has_years(folder: Path) -> bool:
    """Whether the folder's partitions are by year too (province=XX/year=YYYY/)."""
    return any(folder.glob("province=*/year=*"))


def java_home() -> str | None:
    """A Java 17 or 21 runtime for Spark: ``$JAVA_HOME``, else Debian's OpenJDK 17 or 21."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    for pattern in ("/usr/lib/jvm/java-17-openjdk-*", "/usr/lib/jvm/java-21-openjdk-*"):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


class SparkEngine:
    """Spark (pyspark): each relation is written to Parquet under ``stage`` and read back from
    there, so later relations read files, not a plan recomputed or a cache spilled (persisted in
    memory and on disk, the 5 x 1M build spilled 20 GB and had not finished after 26 minutes);
    ``master`` as spark-submit's (``local[2]``, ``yarn``, ``k8s://…``, ``spark://…``). On a
    cluster ``stage`` must be a folder every executor reaches (HDFS, S3, a shared mount)."""

    name = "spark"

    def __init__(
        self, stage: Path, master: str = "local[2]", shuffle_partitions: int | None = None
    ) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise EngineError(
                "the Spark engine needs pyspark: `uv sync` installs it (a dev dependency), or "
                "run under spark-submit"
            ) from None
        home = java_home()
        if home is None:
            raise EngineError(
                "the Spark engine needs a Java 17 runtime: `bash scripts/install-java.sh` "
                "installs Debian's OpenJDK 17 (or set JAVA_HOME)"
            )
        os.environ.setdefault("JAVA_HOME", home)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        local = master.startswith("local")
        parts = shuffle_partitions or (4 if local else 200)
        builder = (
            SparkSession.builder.master(master)
            .appName("oopwatch national build")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        if local:
            memory = os.environ.get("OOPWATCH_SPARK_MEMORY", "2g")
            builder = builder.config("spark.driver.memory", memory)
        self.spark = builder.getOrCreate()
        # (set on the session: a session already running in this process keeps its own)
        self.spark.conf.set("spark.sql.shuffle.partitions", str(parts))
        # partition columns as written (province '01' stays text); year is cast below
        self.spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        # (a failed step's error comes back as the exception, which the build words in one
        # line; Spark's log would print the whole plan again, thousands of lines)
        self.spark.sparkContext.setLogLevel("FATAL" if local else "ERROR")
        logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
        self.port = port.Script()
        self.stage = stage

    def parquet(self, name: str, folder: Path, year: int | None) -> None:
        from pyspark.sql import functions as F

        if folder.is_file():
            self.spark.read.parquet(str(folder)).createOrReplaceTempView(name)
            return
        frame = self.spark.read.option("basePath", str(folder)).parquet(str(folder))
        if "year" in frame.columns:
            frame = frame.withColumn("year", F.col("year").cast("int"))
            if year is not None:
                frame = frame.where(F.col("year") == int(year))
        frame.createOrReplaceTempView(name)

    def rows(self, name: str, columns: Columns, rows: list[tuple]) -> None:
        # (Spark's text type is STRING: its VARCHAR needs a length)
        schema = ", ".join(f"{c} {'STRING' if t == 'VARCHAR' else t}" for c, t in columns)
        self.spark.createDataFrame(rows, schema=schema).createOrReplaceTempView(name)

    def create(self, name: str, sql: str) -> int:
        return self._stored(name, port.to_spark(sql, self.port.macros))

    def view(self, name: str, sql: str) -> None:
        self.spark.sql(port.to_spark(sql, self.port.macros)).createOrReplaceTempView(name)

    def script(self, text: str) -> None:
        """A script of the store's, step by step (port.Script): tables written and read back,
        rows inserted as more files of the table's folder, variables read into the port."""
        for step in self.port.steps(text):
            if step.action == "create":
                self._stored(step.name, step.sql)
            elif step.action == "view":
                self.spark.sql(step.sql).createOrReplaceTempView(step.name)
            elif step.action == "table":
                schema = ", ".join(f"{c} {t}" for c, t in step.columns)
                self._stored(step.name, self.spark.createDataFrame([], schema=schema))
            elif step.action == "insert":
                self._insert(step.name, step.sql)
            elif step.action == "variable":
                self.port.variables[step.name] = self.spark.sql(step.sql).collect()[0][0]
            elif step.action == "drop":
                self.spark.catalog.dropTempView(step.name)
                shutil.rmtree(self.stage / step.name, ignore_errors=True)

    def count(self, name: str) -> int:
        return int(self.spark.table(name).count())

    def _stored(self, name: str, query: str | object) -> int:
        """Write a query's rows (Spark SQL, or a DataFrame) to Parquet and read them back as
        ``name``; how many rows."""
        folder = self.stage / name
        if folder.exists():  # a relation made again (CREATE OR REPLACE)
            shutil.rmtree(folder)
        frame = self.spark.sql(query) if isinstance(query, str) else query
        frame.write.parquet(str(folder))
        stored = self.spark.read.parquet(str(folder))
        stored.createOrReplaceTempView(name)
        return int(stored.count())  # (from the files' footers)

    def _insert(self, name: str, query: str) -> None:
        """INSERT INTO name query: by position, cast to the table's types, as more files."""
        from pyspark.sql import functions as F

        target = self.spark.table(name).schema
        rows = self.spark.sql(query)
        rows = rows.toDF(*[f"_{i}" for i in range(len(rows.columns))])  # (NULL, NULL, …)
        rows = rows.select(*[
            F.col(f"_{i}").cast(want.dataType).alias(want.name)
            for i, want in enumerate(target.fields)
        ])  # fmt: skip
        rows.write.mode("append").parquet(str(self.stage / name))
        self.spark.read.parquet(str(self.stage / name)).createOrReplaceTempView(name)

    def write(self, name: str, folder: Path, by_year: bool, order: str | None = None) -> None:
        frame = self.spark.table(name)
        if order:  # each file sorted (a reader filtering on it skips row groups)
            frame = frame.sortWithinPartitions(order)
        writer = frame.write.mode("errorifexists")
        if by_year:
            writer = writer.partitionBy("year")
        writer.parquet(str(folder))

    def close(self) -> None:
        self.spark.catalog.clearCache()
