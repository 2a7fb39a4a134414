"""One source of SQL for DuckDB and Spark: the national SQL is written in DuckDB's dialect and
runs on DuckDB as it is; for Spark, sqlglot translates it after this module has expanded the
macros (Spark has none) and rewritten what sqlglot translates to something that runs but means
another thing. Each rewrite is a trap found in this project's own SQL:

- ``[2, 4, 6, 9, 12][lv]``: DuckDB lists count from 1, Spark arrays from 0, and sqlglot keeps the
  index as it is (95 unknown divisions instead of 4); read with ``element_at``, 1-based on both.
- ``format('{:,.2f}', x)``: sqlglot writes ``FORMAT_STRING('{:,.2f}', x)``, which Spark prints as
  the literal text; ``format_number(x, 2)`` prints 12,345.60 as DuckDB does.
- a macro call: sqlglot keeps the call, and Spark has no such function (or, parsed as a CREATE
  MACRO statement, sqlglot dropped the body silently).
- ``SELECT * EXCLUDE``, ``last(x ORDER BY y)`` and ``arg_max_null``: no Spark form; refused, so
  that the national SQL names its columns and uses ``max_by`` or a window instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from pipeline import store

_MACRO = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+|TEMPORARY\s+)?MACRO\s+(\w+)\s*\(([^)]*)\)\s+AS\s+"
    r"(.*?);\s*(?=CREATE|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_FORMAT_YUAN = "{:,.2f}"


class PortError(Exception):
    """DuckDB SQL that has no faithful Spark form; the message names what to write instead."""


@dataclass(frozen=True)
class Macro:
    """A scalar macro: its parameters and its body."""

    params: tuple[str, ...]
    body: exp.Expression


def strip_comments(sql: str) -> str:
    """``sql`` without its ``--`` line comments (none of them sit inside a string here)."""
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def macros(text: str) -> dict[str, Macro]:
    """The macros of a macros file: ``CREATE OR REPLACE TEMP MACRO name(a, b) AS expr;``."""
    found: dict[str, Macro] = {}
    for name, params, body in _MACRO.findall(strip_comments(text)):
        names = tuple(p.strip() for p in params.split(",") if p.strip())
        found[name.lower()] = Macro(names, sqlglot.parse_one(body, read="duckdb"))
    return found


def national_macros() -> dict[str, Macro]:
    """The national build's macros (pipeline/sql/national_macros.sql)."""
    return macros(store.sql("national_macros.sql"))


def _expand(tree: exp.Expression, known: dict[str, Macro]) -> exp.Expression:
    """Every call of a known macro replaced by its body, its parameters by the arguments (macros
    calling macros too)."""

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in known:
            macro = known[str(node.this).lower()]
            args = node.expressions
            if len(args) != len(macro.params):
                raise PortError(
                    f"{node.this}() takes {len(macro.params)} arguments, not {len(args)}"
                )
            values = dict(zip(macro.params, args, strict=True))
            body = macro.body.copy().transform(
                lambda n: (
                    values[n.name].copy()
                    if isinstance(n, exp.Column) and not n.table and n.name in values
                    else n
                )
            )
            return _expand(body, known)
        return node

    return tree.transform(replace)


def _spark_forms(node: exp.Expression) -> exp.Expression:
    """The rewrites sqlglot does not make (see the module's docstring)."""
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        return exp.Anonymous(this="element_at", expressions=[node.this, node.expressions[0]])
    if isinstance(node, exp.Format):
        pattern = node.this
        if isinstance(pattern, exp.Literal) and pattern.this == _FORMAT_YUAN and node.expressions:
            return exp.Anonymous(
                this="format_number",
                expressions=[node.expressions[0], exp.Literal.number(2)],
            )
        raise PortError(f"format pattern {pattern.sql()}: only '{_FORMAT_YUAN}' has a Spark form")
    if isinstance(node, exp.Star) and (node.args.get("except") or node.args.get("except_")):
        raise PortError("SELECT * EXCLUDE has no Spark form: name the columns")
    if isinstance(node, exp.Last | exp.First) and node.find(exp.Order):
        raise PortError("first/last(x ORDER BY y) has no Spark form: use max_by or a window")
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in {"arg_max_null"}:
        raise PortError(f"{node.this}() has no Spark form")
    return node


def to_spark(sql: str, known: dict[str, Macro] | None = None) -> str:
    """One DuckDB-dialect SELECT (or WITH … SELECT) as Spark SQL."""
    tree = sqlglot.parse_one(strip_comments(sql), read="duckdb")
    tree = _expand(tree, known if known is not None else national_macros())
    tree = tree.transform(_spark_forms)
    return tree.sql(dialect="spark")


def duckdb_macros_sql() -> str:
    """The national macros as DuckDB statements."""
    return store.sql("national_macros.sql")
