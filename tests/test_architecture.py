"""The house: pipeline/ is stage packages in the order data flows (docs/architecture.md); an
import only ever runs down that order, so there is no loop between stages."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "pipeline"
# Each stage and the stages below it that it may import. Scripts that bench runs as child
# processes (pipeline/tools/benchmarks/) are programs of their own, not stages.
ORDER = [
    ("schema",),  # the contract's vocabulary: extract columns, codes, resident IDs
    ("labels",),  # every label, zh and en
    ("store",),  # the DuckDB file, its SQL files, its snapshots
    ("ingest",),  # find, read, validate and load the rows of an import
    ("models",),  # models from the rows, marts after the rules
    ("rules",),  # rules as data, evaluated over the models
    ("access",),  # accounts, roles and regions, the activity log
    ("cases",),  # caseworker lists out, visit outcomes back
    ("flow",),  # an import's stages in order
    ("warehouse",),  # a province's store published as Parquet for the national build
    ("national",),  # the national build over the warehouse, on DuckDB or Spark
    ("serve", "tools"),  # the dashboard's launcher; generate and bench
    ("cli",),  # the commands
]
RANK = {stage: rank for rank, stages in enumerate(ORDER) for stage in stages}


def stage_of(module: str) -> str | None:
    """The stage of ``pipeline.x.y`` (``x``), None outside pipeline."""
    parts = module.split(".")
    return parts[1] if parts[0] == "pipeline" and len(parts) > 1 else None


def imports_of(path: Path) -> set[str]:
    """Every pipeline module a file imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pipeline")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pipeline":
                found |= {f"pipeline.{a.name}" for a in node.names}
            elif node.module.startswith("pipeline."):
                found.add(node.module)
    return found


def stage_imports() -> dict[str, set[str]]:
    """Stage -> the other stages its files import."""
    edges: dict[str, set[str]] = {}
    for path in PIPELINE.rglob("*.py"):
        rel = path.relative_to(REPO).with_suffix("")
        if "benchmarks" in rel.parts:
            continue
        module = ".".join(rel.parts).removesuffix(".__init__")
        source = stage_of(module) if module != "pipeline" else None
        if source is None:
            continue
        targets = {stage_of(m) for m in imports_of(path)} - {None, source}
        edges.setdefault(source, set()).update(targets)
    return edges


def test_every_module_belongs_to_a_stage() -> None:
    stages = {p.stem if p.is_file() else p.name for p in PIPELINE.iterdir()}
    stages -= {"__init__", "__pycache__", "sql", "reference"}  # SQL files and shipped data
    assert stages == set(RANK), "a new top-level module or package: give it its place in ORDER"


def test_imports_run_only_down_the_stages() -> None:
    upward = sorted(
        f"{source} imports {target}"
        for source, targets in stage_imports().items()
        for target in targets
        if RANK[target] >= RANK[source]
    )
    assert upward == [], upward


def test_no_import_loop_between_stages() -> None:
    edges = stage_imports()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    assert [s for s in edges if reaches(s, s, {s})] == []


SQL = PIPELINE / "sql"
RELATION_FOLDERS = (
    "ddl",
    "views",
    "models",
    "weekly",
    "marts",
)  # one relation per file, named after it
CREATES = re.compile(  # a stored table macro is a relation too (claims_in_force_of)
    r"^CREATE (?:OR REPLACE )?(?:(?:TEMP )?(?:TABLE|VIEW)|MACRO)(?: IF NOT EXISTS)? (\w+)", re.M
)


def test_one_relation_per_sql_file_named_after_it_and_saying_what_it_reads() -> None:
    wrong = []
    for folder in RELATION_FOLDERS:
        for path in sorted((SQL / folder).glob("*.sql")):
            text = path.read_text(encoding="utf-8")
            created = set(CREATES.findall(text))
            expected = {path.stem, f"{path.stem}_build"}  # a model's build view, written by Python
            if not text.startswith("-- reads:") or len(created) != 1 or not created <= expected:
                wrong.append(f"{folder}/{path.name}: creates {sorted(created)}")
    assert wrong == []


def test_the_build_order_follows_from_what_each_file_reads() -> None:
    from pipeline.models import MARTS, MODELS
    from pipeline.store.files import build_order, reads

    assert set(MODELS) == {p.stem for p in (SQL / "models").glob("*.sql")}
    assert set(MARTS) == {p.stem for p in (SQL / "marts").glob("*.sql")}
    for folder in RELATION_FOLDERS:
        order = build_order(folder)
        for i, name in enumerate(order):
            later = set(order[i + 1 :])
            assert not later & set(reads(f"{folder}/{name}.sql")), f"{folder}/{name} runs too early"
    # the contract's views keep their names and files
    assert {"person_year", "watchlist", "rejected_rows", "imports"} <= {
        p.stem for folder in ("views", "models") for p in (SQL / folder).glob("*.sql")
    }


def test_every_sql_file_says_first_what_it_reads() -> None:
    silent = [
        str(p.relative_to(SQL))
        for p in SQL.rglob("*.sql")
        if p.name != "macros.sql" and not p.read_text(encoding="utf-8").startswith("-- reads:")
    ]
    assert silent == []
