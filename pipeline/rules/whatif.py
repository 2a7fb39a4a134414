"""What-if: an alternative rules folder evaluated against a store without writing to it.

The latest good snapshot is opened read-only; the alternative's rule kinds fill the temp table
``fired`` and its assistance replay fills temp tables that shadow ``assist_claims`` and
``assist_replay``, so neither the store nor any run changes. The comparison is SQL
(``pipeline/sql/whatif/``); this module only orchestrates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from pipeline import schema, store
from pipeline.rules.evaluation import kinds_in_force, prepare_standalone, replay_assistance
from pipeline.rules.ruleset import RuleSet

CHILD_LENGTH = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12, 12: 12}  # region code length -> child's


class WhatIfRefused(Exception):
    """A what-if that cannot run as asked; the message says why."""


@dataclass
class WhatIf:
    """Flagged now and under the alternative, and what the assistance policy would cost."""

    year: int
    region: str
    snapshot: str
    seconds: float
    by_rule: list[tuple[str, int, int]] = field(default_factory=list)
    by_region: list[tuple] = field(default_factory=list)
    by_category: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    changes: list[tuple] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, object]:
        """Flagged now / alternative, entering, leaving, assistance owed now / alternative and
        paid, and the yuan the change would cost (owed under the alternative minus paid)."""
        now = sum(r[2] for r in self.by_region)
        alt = sum(r[3] for r in self.by_region)
        owed_now = sum((r[6] for r in self.by_region), Decimal("0.00"))
        owed_alt = sum((r[7] for r in self.by_region), Decimal("0.00"))
        paid = sum((r[8] for r in self.by_region), Decimal("0.00"))
        return {
            "now": now, "alt": alt,
            "entering": sum(r[4] for r in self.by_region),
            "leaving": sum(r[5] for r in self.by_region),
            "owed_now": owed_now, "owed_alt": owed_alt, "paid": paid,
            "cost": owed_alt - paid, "extra": owed_alt - owed_now,
        }  # fmt: skip


def _connect(db: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    opened = store.open_snapshot(db)
    if opened is None:
        raise WhatIfRefused(f"{db} has no readable snapshot yet: import data first")
    return opened


def _evaluate(con: duckdb.DuckDBPyConnection, ruleset: RuleSet, year: int, region: str) -> None:
    """The alternative's rule kinds and assistance replay, of the year and the region's people
    only (what the comparison reads), into temp tables only."""
    prepare_standalone(con, ruleset)
    con.execute("CREATE OR REPLACE TEMP VIEW applicable AS SELECT * FROM applicable_every")
    con.execute("CREATE OR REPLACE TEMP VIEW rule_scope_people AS SELECT * FROM people")
    # The store's replay as it is (store_assist_replay), then temp tables that shadow its two
    # tables for the alternative's replay (``main.`` would name the temp schema's main too).
    name = con.execute("SELECT current_database()").fetchall()[0][0]
    stored = f'"{name}".main'
    con.execute(f"CREATE OR REPLACE TEMP VIEW store_assist_replay AS FROM {stored}.assist_replay")
    for table in ("assist_claims", "assist_replay"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS FROM {stored}.{table} LIMIT 0")
    replay_assistance(con, contract_view=False, within=region or None, year=year)
    _paid_as_owed(con, stored, year, region)
    for kind in kinds_in_force(con):
        store.run_script(con, f"rules/{kind}.sql")


def _paid_as_owed(con: duckdb.DuckDBPyConnection, stored: str, year: int, region: str) -> None:
    """Under the alternative, the medical assistance it owes is paid the way the policy in force
    is paid now: each person-year gets the difference the alternative makes to what it owes
    (more, or less down to nothing), its OOP falls or rises by as much, and what is short now
    stays short. The rules then read person-year and household OOP with that (temp views that
    shadow the store's, of the year and the region only: what the comparison reads), so a
    higher ratio takes people below the lines."""
    store.run_script(con, "whatif/whatif_paid.sql")
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW person_year AS
        SELECT p.* REPLACE (
                   CAST(p.oop - coalesce(w.extra, 0) AS DECIMAL(14,2)) AS oop,
                   CAST(p.assistance_paid + coalesce(w.extra, 0) AS DECIMAL(14,2))
                       AS assistance_paid)
        FROM {stored}.person_year AS p
        LEFT JOIN whatif_paid AS w USING (person_id, year)
        WHERE p.year = {int(year)}
          AND starts_with(coalesce(p.village_code, ''), '{region}')"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW household_year AS
        SELECT h.* REPLACE (
                   CAST(h.household_oop - coalesce(x.extra, 0) AS DECIMAL(14,2))
                       AS household_oop)
        FROM {stored}.household_year AS h
        LEFT JOIN (SELECT pe.household_id, w.year, sum(w.extra) AS extra
                   FROM whatif_paid AS w JOIN {stored}.people AS pe USING (person_id)
                   GROUP BY ALL) AS x USING (household_id, year)
        WHERE h.year = {int(year)}"""
    )


def whatif(db: Path, ruleset: RuleSet, year: int | None = None, region: str = "") -> WhatIf:
    """Evaluate ``ruleset`` against the store's latest snapshot for ``year`` (default: the
    latest year with claims) and ``region`` (a division code prefix, '' everywhere)."""
    con, snapshot = _connect(db)
    try:
        return compare(con, ruleset, year, region, snapshot.name)
    finally:
        con.close()


def compare(
    con: duckdb.DuckDBPyConnection, ruleset: RuleSet, year: int | None, region: str,
    snapshot: str,
) -> WhatIf:  # fmt: skip
    """The what-if on an open read-only connection of its own (its temp tables are its own)."""
    if region and not (region.isdigit() and len(region) in CHILD_LENGTH):  # (it goes into SQL)
        raise WhatIfRefused(f"region {region!r} is not a 2/4/6/9/12-digit division code")
    t0 = time.perf_counter()
    if year is None:
        year = con.execute("SELECT max(year) FROM mart_person_year").fetchall()[0][0]
        if year is None:
            raise WhatIfRefused("the store holds no claims or enrolment yet")
    _evaluate(con, ruleset, int(year), region)
    con.execute(store.sql("whatif/whatif_people.sql"), [int(year), region])
    result = WhatIf(int(year), region, snapshot, 0.0)
    result.by_rule = con.execute(store.sql("whatif/by_rule.sql")).fetchall()
    child = CHILD_LENGTH[len(region)]
    result.by_region = con.execute(store.sql("whatif/by_region.sql"), [child]).fetchall()
    result.by_category = con.execute(store.sql("whatif/by_category.sql")).fetchall()
    result.changes = [
        (change, schema.mask_id(pid), *rest)
        for change, pid, *rest in con.execute(store.sql("whatif/changes.sql")).fetchall()
    ]
    result.seconds = time.perf_counter() - t0
    return result


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


SHOWN_CHANGES = 20  # people listed per direction in the terminal; --out has them all


def _who(result: WhatIf) -> list[str]:
    """Who would enter and who would leave (IDs masked), the first SHOWN_CHANGES of each."""
    lines = []
    for change, title in (("enter", "would enter"), ("leave", "would leave")):
        rows = [r for r in result.changes if r[0] == change]
        if not rows:
            continue
        more = f" (first {SHOWN_CHANGES}; all in --out)" if len(rows) > SHOWN_CHANGES else ""
        lines.append(f"{title}: {len(rows):,}{more}")
        for _, shown_id, name, village, category, now, alt in rows[:SHOWN_CHANGES]:
            rules = alt if change == "enter" else now
            lines.append(f"  {shown_id}  {name or ''}  {village or ''}  {category or ''}  {rules}")
    return lines


def report(result: WhatIf) -> list[str]:
    """The what-if side by side, as lines for the terminal."""
    t = result.totals
    where = result.region or "all regions"
    lines = [
        f"what-if for {result.year}, {where} (store snapshot {result.snapshot}; "
        f"{result.seconds:.1f} s; nothing written)",
        f"{'':28}{'now':>10}{'alternative':>14}",
        f"{'people flagged':28}{t['now']:>10,}{t['alt']:>14,}"
        f"   entering {t['entering']:,}, leaving {t['leaving']:,}",
        "by rule:",
        *(f"  {rule:26}{now:>10,}{alt:>14,}" for rule, now, alt in result.by_rule),
        "by category:",
        *(
            f"  {cat:26}{now:>10,}{alt:>14,}   +{ent:,} -{lea:,}"
            for cat, now, alt, ent, lea in result.by_category
        ),
        "by region (flagged; medical assistance owed now / under the alternative / paid, yuan):",
        *(
            f"  {code:12} {name[:12]:13}{now:>10,}{alt:>14,}   +{ent:,} -{lea:,}   "
            f"{_yuan(on)} / {_yuan(oa)} / {_yuan(paid)}"
            for code, name, now, alt, ent, lea, on, oa, paid in result.by_region
        ),
        *_who(result),
        f"medical assistance: owed now {_yuan(t['owed_now'])} yuan, under the alternative "
        f"{_yuan(t['owed_alt'])} yuan, paid {_yuan(t['paid'])} yuan",
        f"the alternative would owe {_yuan(t['cost'])} yuan more than was paid "
        f"({_yuan(t['extra'])} yuan more than the policy in force owes)",
    ]
    return lines


SHEETS = {
    "summary": ["figure", "now", "alternative"],
    "by_rule": ["rule_id", "now", "alternative"],
    "by_category": ["category", "now", "alternative", "entering", "leaving"],
    "by_region": ["code", "name", "now", "alternative", "entering", "leaving",
                  "owed_now", "owed_alternative", "paid"],
    "changes": ["change", "person_id (masked)", "name", "village_code", "category",
                "rules_now", "rules_alternative"],
}  # fmt: skip


def write_xlsx(result: WhatIf, path: Path) -> None:
    """The same as the report, one sheet per table (money as numbers formatted ¥#,##0.00)."""
    import xlsxwriter

    t = result.totals
    tables = {
        "summary": [
            ("year", result.year, result.year),
            ("region", result.region or "all", result.region or "all"),
            ("people flagged", t["now"], t["alt"]),
            ("entering / leaving", t["entering"], t["leaving"]),
            ("assistance owed (yuan)", t["owed_now"], t["owed_alt"]),
            ("assistance paid (yuan)", t["paid"], t["paid"]),
            ("owed minus paid (yuan)", t["owed_now"] - t["paid"], t["cost"]),
        ],
        "by_rule": result.by_rule,
        "by_category": result.by_category,
        "by_region": result.by_region,
        "changes": result.changes,
    }
    book = xlsxwriter.Workbook(str(path))
    money = book.add_format({"num_format": "¥#,##0.00"})
    bold = book.add_format({"bold": True})
    for name, rows in tables.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, SHEETS[name], bold)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if isinstance(value, Decimal):
                    sheet.write_number(r, c, float(value), money)
                elif value is not None:
                    sheet.write(r, c, value)
        sheet.set_column(0, len(SHEETS[name]) - 1, 16)
    book.close()


# ---------------------------------------------------------------- the policy lab's parameters


@dataclass
class Parameters:
    """What the policy lab edits for one region and year: the monitoring line (oop_line), the
    income shares per category (oop_income), and the assistance ratio per category and
    visit-type group with the caps by name (rules/assistance/)."""

    line: Decimal | None
    shares: dict[str, Decimal]
    ratios: dict[tuple[str, str], Decimal]
    cap_names: dict[tuple[str, str], str | None]
    caps: dict[str, Decimal]


def parameters(ruleset: RuleSet, region: str, year: int) -> Parameters:
    """The parameters in force in ``region`` and ``year``."""
    from pipeline.rules import assistance
    from pipeline.rules.ruleset import resolve

    line, shares = None, {}
    for rule in resolve(ruleset, region):
        if not (rule.enabled and rule.effective_from <= year <= rule.effective_to):
            continue
        if rule.id == "oop_line":
            line = Decimal(str(rule.params["line"]))
        elif rule.id == "oop_income":
            shares = {c: Decimal(str(v)) for c, v in rule.params.get("shares", {}).items()}
    items, caps, _ = assistance.in_force(ruleset.assistance, region, year)
    return Parameters(
        line, shares,
        {(i.category, i.group): i.ratio for i in items},
        {(i.category, i.group): i.cap for i in items},
        {c.name: c.amount for c in caps},
    )  # fmt: skip


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_table(header: str, table: dict) -> list[str]:
    """A table: its scalars under ``header``, then its sub-tables (one level of nesting)."""
    lines = [header] if header else []
    lines += [f"{k} = {_toml_value(v)}" for k, v in table.items() if not isinstance(v, dict)]
    for key, sub in table.items():
        if isinstance(sub, dict):
            name = header.strip("[]") + "." + key if header else key
            lines += _toml_table(f"[{name}]", sub)
    return lines


def _dump(data: dict) -> str:
    """TOML for the shapes of rules files: scalars, tables and arrays of tables."""
    lines = _toml_table(
        "",
        {
            k: v
            for k, v in data.items()
            if not isinstance(v, dict | list)
            or (isinstance(v, list) and not any(isinstance(i, dict) for i in v))
        },
    )
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", *_toml_table(f"[{key}]", value)]
        elif isinstance(value, list) and any(isinstance(i, dict) for i in value):
            for item in value:
                lines += ["", *_toml_table(f"[[{key}]]", item)]
    return "\n".join(lines) + "\n"


def override_files(
    region: str, params: Parameters, source: str, base: Path | None = None
) -> dict[str, str]:
    """The parameters as region files ready to put in the rules folder ``base``:
    ``regions/<code>.toml`` (the line and the shares; the region's other overrides, if it has a
    file, kept) and ``assistance/regions/<code>.toml`` (ratios and caps; its groups and tilted
    tier, if it has a file, kept)."""
    import tomllib

    def existing(name: str) -> dict:
        path = base / name if base else None
        return tomllib.loads(path.read_text(encoding="utf-8")) if path and path.exists() else {}

    rules_name = f"regions/{region}.toml"
    rules = existing(rules_name)
    rules.update(region=region, source=source)
    overrides = rules.setdefault("override", [])

    def override(rule_id: str) -> dict:
        found = next((o for o in overrides if o.get("rule") == rule_id), None)
        if found is None:
            found = {"rule": rule_id}
            overrides.append(found)
        return found.setdefault("params", {})

    if params.line is not None:
        override("oop_line")["line"] = f"{params.line:.2f}"
    if params.shares:
        override("oop_income")["shares"] = {c: str(v) for c, v in sorted(params.shares.items())}
    policy_name = f"assistance/regions/{region}.toml"
    policy = existing(policy_name)
    policy.update(region=region, source=source)
    policy["item"] = [
        {"category": c, "group": g, "ratio": str(r),
         **({"cap": params.cap_names[(c, g)]} if params.cap_names.get((c, g)) else {})}
        for (c, g), r in sorted(params.ratios.items())
    ]  # fmt: skip
    policy["cap"] = [{"name": n, "amount": str(a)} for n, a in sorted(params.caps.items())]
    return {rules_name: _dump(rules), policy_name: _dump(policy)}


def with_overrides(base: Path, files: dict[str, str], into: Path) -> Path:
    """A copy of the rules folder ``base`` in ``into`` with ``files`` written over it."""
    import shutil

    folder = into / "rules"
    shutil.copytree(base, folder, dirs_exist_ok=True)
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
