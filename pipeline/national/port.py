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
- ``format('{:,}', n)``: the same; ``format_number(n, 0)`` prints 26,000 as DuckDB does.
- ``d - to_days(n)``: no Spark function; ``date_sub(d, n)``.
- ``(a, b)`` as a value (an ordering key of ``arg_max``): made ``struct(a, b)``, which Spark
  orders field by field as DuckDB orders the tuple.
- ``WITH x AS MATERIALIZED (…)``: DuckDB's hint, which Spark cannot parse; dropped.
- ``quantile_disc(x, q)``: sqlglot writes ``PERCENTILE_APPROX`` (an estimate) for Spark's
  ``PERCENTILE_DISC(q) WITHIN GROUP (ORDER BY x)``; written as the latter. ``median`` is refused:
  DuckDB truncates a DECIMAL median's half cent, Spark's is a DOUBLE (``money_median`` instead).
- ``FROM range(6) AS lv(level)``: sqlglot makes it ``EXPLODE(SEQUENCE(0, 5), _u(lv))``, which
  Spark does not read; Spark's own table function ``range(0, 6)`` (end excluded, as DuckDB's).
- ``SELECT * EXCLUDE``, ``last(x ORDER BY y)`` and ``arg_max_null``: no Spark form; refused, so
  that the shared SQL names its columns and uses ``arg_max`` (``max_by``) or a window instead.

Scripts (``Script``): the rule files are DuckDB scripts, not one query: their statements become
steps an engine without scripts runs one by one (a relation made, rows inserted, a variable
set); macros, table macros (``FROM window_oop(…)``) and variables (``getvariable('x')``) are
kept by the script and put into the later statements.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import sqlglot
from sqlglot import exp

from pipeline import store

_FORMAT_YUAN = "{:,.2f}"
_FORMAT_WHOLE = "{:,}"


class PortError(Exception):
    """DuckDB SQL that has no faithful Spark form; the message names what to write instead."""


@dataclass(frozen=True)
class Macro:
    """A macro: its parameters and its body (an expression, or a query for a table macro)."""

    params: tuple[str, ...]
    body: exp.Expression
    table: bool = False


@dataclass(frozen=True)
class Step:
    """One statement of a DuckDB script as an engine without scripts runs it: ``create`` (a
    table of a query's rows), ``view`` (a query, not stored), ``table`` (an empty table of
    ``columns``), ``insert`` (a query's rows added, by position), ``variable`` (a query's one
    value, to ``Script.variables``), ``drop``."""

    action: str
    name: str
    sql: str = ""
    columns: tuple[tuple[str, str], ...] = ()


def strip_comments(sql: str) -> str:
    """``sql`` without its ``--`` line comments (none of them sit inside a string here)."""
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


_MACRO = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+|TEMPORARY\s+)?MACRO\s+(\w+)\s*\(([^)]*)\)\s+AS\s+"
    r"(TABLE\s+)?(.*)",
    re.IGNORECASE | re.DOTALL,
)
_END = re.compile(r";[ \t]*(?:\n|\Z)")


def _statements(text: str) -> Iterator[exp.Expression | tuple[str, Macro]]:
    """A script's statements, parsed; a macro as (name, Macro). The statements end at a ``;`` that
    ends a line; macros are read apart, as sqlglot reads ``AS format(…)`` as a storage clause."""
    for chunk in _END.split(strip_comments(text)):
        if not chunk.strip():
            continue
        found = _MACRO.match(chunk.strip())
        if found:
            name, params, table, body = found.groups()
            names = tuple(p.strip() for p in params.split(",") if p.strip())
            yield name.lower(), Macro(names, sqlglot.parse_one(body, read="duckdb"), bool(table))
        else:
            yield sqlglot.parse_one(chunk, read="duckdb")


def macros(text: str) -> dict[str, Macro]:
    """The macros a SQL file defines (``CREATE OR REPLACE TEMP MACRO name(a, b) AS …;``)."""
    return dict(s for s in _statements(text) if isinstance(s, tuple))


def national_macros() -> dict[str, Macro]:
    """The macros every shared file may call: the store's own (pipeline/sql/macros.sql)."""
    return macros(store.sql("macros.sql"))


def _literal(value: object) -> exp.Expression:
    """A Python value (a variable's) as a SQL literal."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | Decimal | float):
        return exp.Literal.number(str(value))
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    return exp.Literal.string(str(value))


def _expand(
    tree: exp.Expression, known: dict[str, Macro], variables: dict[str, object] | None = None
) -> exp.Expression:
    """Every call of a known macro replaced by its body, its parameters by the arguments (macros
    calling macros too; a table macro in FROM by its query), ``getvariable('x')`` by x's value
    (NULL when not set, as in DuckDB)."""
    values_of = variables or {}

    def substitute(macro: Macro, args: list[exp.Expression], called: str) -> exp.Expression:
        if len(args) != len(macro.params):
            raise PortError(f"{called}() takes {len(macro.params)} arguments, not {len(args)}")
        # an argument that is an operation keeps its parentheses: the tree is right without
        # them, but Spark reads the text (money_divided(x - y, n) printed x - y * 100)
        plain = exp.Column | exp.Literal | exp.Func | exp.Paren
        values = {
            p: a if isinstance(a, plain) else exp.Paren(this=a)
            for p, a in zip(macro.params, args, strict=True)
        }
        body = macro.body.copy().transform(
            lambda n: (
                values[n.name].copy()
                if isinstance(n, exp.Column) and not n.table and n.name in values
                else n
            )
        )
        return _expand(body, known, variables)

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            called = str(node.this.this).lower()
            macro = known.get(called)
            if macro is not None and macro.table:
                query = substitute(macro, node.this.expressions, called)
                alias = node.alias or called
                return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        if isinstance(node, exp.Anonymous):
            called = str(node.this).lower()
            if called == "getvariable" and node.expressions:
                return _literal(values_of.get(node.expressions[0].name))
            macro = known.get(called)
            if macro is not None and not macro.table:
                return substitute(macro, node.expressions, called)
        return node

    return tree.transform(replace)


def _spark_forms(node: exp.Expression) -> exp.Expression:
    """The rewrites sqlglot does not make (see the module's docstring)."""
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        index = node.expressions[0]
        if isinstance(node.this, exp.Array):  # (a list's index is an INT on Spark, not a BIGINT)
            index = exp.cast(index, "INT")
        return exp.Anonymous(this="element_at", expressions=[node.this, index])
    if isinstance(node, exp.Format):
        pattern = node.this
        digits = {_FORMAT_YUAN: 2, _FORMAT_WHOLE: 0}
        if isinstance(pattern, exp.Literal) and pattern.this in digits and node.expressions:
            return exp.Anonymous(
                this="format_number",
                expressions=[node.expressions[0], exp.Literal.number(digits[pattern.this])],
            )
        raise PortError(
            f"format pattern {pattern.sql()}: only '{_FORMAT_YUAN}' and '{_FORMAT_WHOLE}' have a "
            "Spark form"
        )
    if isinstance(node, exp.Sub | exp.Add) and isinstance(node.expression, exp.ToDays):
        days = exp.cast(node.expression.this, "INT")  # (Spark's date_sub takes no BIGINT)
        name = "date_sub" if isinstance(node, exp.Sub) else "date_add"
        return exp.Anonymous(this=name, expressions=[node.this, days])
    if isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries):
        series = node.this
        end = series.args["end"]
        if not series.args.get("is_end_exclusive"):
            end = exp.Add(this=end.copy(), expression=exp.Literal.number(1))
        node.set("this", exp.Anonymous(this="range", expressions=[series.args["start"], end]))
        return node
    if isinstance(node, exp.PercentileDisc) and not isinstance(node.parent, exp.WithinGroup):
        # (sqlglot writes Spark's PERCENTILE_DISC … WITHIN GROUP as PERCENTILE_APPROX)
        return exp.WithinGroup(
            this=exp.Anonymous(this="percentile_disc", expressions=[node.expression]),
            expression=exp.Order(expressions=[exp.Ordered(this=node.this)]),
        )
    if isinstance(node, exp.Median | exp.PercentileCont):
        raise PortError(
            "median() and quantile_cont() interpolate differently on DuckDB (a DECIMAL, the half "
            "cent truncated) and Spark (a DOUBLE): use money_median (sql/macros.sql)"
        )
    if isinstance(node, exp.Tuple) and isinstance(node.parent, exp.Func):
        return exp.Anonymous(this="struct", expressions=list(node.expressions))
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
        return node
    if isinstance(node, exp.Star) and (node.args.get("except") or node.args.get("except_")):
        raise PortError("SELECT * EXCLUDE has no Spark form: name the columns")
    if isinstance(node, exp.ToDays):
        raise PortError("to_days(n) has a Spark form only as d - to_days(n) or d + to_days(n)")
    if isinstance(node, exp.Last | exp.First) and node.find(exp.Order):
        raise PortError("first/last(x ORDER BY y) has no Spark form: use arg_max or a window")
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in {"arg_max_null"}:
        raise PortError(f"{node.this}() has no Spark form")
    return node


def _is_call(node: exp.Expression, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and str(node.this).lower() == name


def _query_to_spark(
    tree: exp.Expression, known: dict[str, Macro], variables: dict[str, object] | None = None
) -> str:
    tree = _expand(tree, known, variables)
    tree = tree.transform(_spark_forms)
    return tree.sql(dialect="spark")


def to_spark(sql: str, known: dict[str, Macro] | None = None) -> str:
    """One DuckDB-dialect SELECT (or WITH … SELECT) as Spark SQL."""
    tree = sqlglot.parse_one(strip_comments(sql), read="duckdb")
    return _query_to_spark(tree, known if known is not None else national_macros())


@dataclass
class Script:
    """DuckDB scripts as Spark steps: the macros and variables their statements define are kept
    for the statements after them (and the next scripts)."""

    macros: dict[str, Macro] = field(default_factory=national_macros)
    variables: dict[str, object] = field(default_factory=dict)

    def query(self, tree: exp.Expression) -> str:
        """A query of a script as Spark SQL."""
        return _query_to_spark(tree, self.macros, self.variables)

    def steps(self, text: str) -> Iterator[Step]:
        """The steps of a script, each translated when reached (after the variables set before
        it are known)."""
        for node in _statements(text):
            if isinstance(node, tuple):
                self.macros[node[0]] = node[1]
            else:
                yield from self._step(node)

    def _step(self, node: exp.Expression) -> Iterator[Step]:
        kind = str(node.args.get("kind") or "").upper()
        if isinstance(node, exp.Create) and kind in {"TABLE", "VIEW"}:
            target = node.this
            if isinstance(target, exp.Schema):  # CREATE TABLE t (col type, …)
                columns = tuple(
                    (c.name, c.args["kind"].sql(dialect="spark"))
                    for c in target.expressions
                    if isinstance(c, exp.ColumnDef)
                )
                yield Step("table", target.this.name, columns=columns)
            else:
                action = "create" if kind == "TABLE" else "view"
                yield Step(action, target.name, self.query(node.expression))
        elif isinstance(node, exp.Insert):
            yield Step("insert", node.this.name, self.query(node.expression))
        elif isinstance(node, exp.Set) and node.expressions:
            item = node.expressions[0].this  # SET VARIABLE name = value
            if not isinstance(item, exp.EQ):
                raise PortError(f"no Spark form for {node.sql(dialect='duckdb')}")
            value = exp.select(item.expression.copy())
            yield Step("variable", item.this.name, self.query(value))
        elif isinstance(node, exp.Drop):
            for table in node.args.get("tables") or [node.this]:
                yield Step("drop", table.name)
        elif _is_reset(node):
            return
        else:
            raise PortError(f"no Spark form for the statement {node.sql(dialect='duckdb')[:80]}")


def _is_reset(node: exp.Expression) -> bool:
    return isinstance(node, exp.Command) and str(node.this).upper() == "RESET"


def duckdb_macros_sql() -> str:
    """The shared macros as DuckDB statements."""
    return store.sql("macros.sql")
