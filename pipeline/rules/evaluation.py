"""Evaluate the rules: compile a rule set to SQL tables, run every kind set-wise over the models,
store the run (only the list entries and flags that changed), then build the marts."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator

import duckdb

from pipeline import store
from pipeline.models import build_marts, drop_weekly
from pipeline.rules import assistance
from pipeline.rules.ruleset import KINDS, RuleSet, resolve
from pipeline.store import segments

_RULE_ROW_TYPES = {
    "region_code": "VARCHAR", "rule_id": "VARCHAR", "version": "BIGINT", "kind": "VARCHAR",
    "enabled": "BOOLEAN", "severity": "VARCHAR", "effective_from": "BIGINT",
    "effective_to": "BIGINT", "line": "VARCHAR", "share": "VARCHAR",
    "share_categories": "VARCHAR[]", "share_values": "VARCHAR[]", "line_rule": "VARCHAR",
    "line_categories": "VARCHAR[]", "line_values": "VARCHAR[]",
    "window_days": "BIGINT", "min_claims": "BIGINT", "min_days": "BIGINT",
    "tolerance": "VARCHAR", "high_from": "VARCHAR", "high_categories": "VARCHAR[]",
    "multiple": "VARCHAR", "dibao_standard": "VARCHAR",
    "label_zh": "VARCHAR", "label_en": "VARCHAR", "explain_zh": "VARCHAR", "explain_en": "VARCHAR",
}  # fmt: skip


def compile_to(con: duckdb.DuckDBPyConnection, ruleset: RuleSet) -> None:
    """Write the temp tables the rule SQL reads: rule_params, income_ref, severity_policy."""
    rows = []
    for code in ["", *sorted(ruleset.regions)]:
        for version, rule in enumerate(resolve(ruleset, code)):
            params = rule.params
            shares = params.get("shares", {})
            lines = params.get("lines", {})
            rows.append({
                "region_code": code, "rule_id": rule.id, "version": version, "kind": rule.kind,
                "enabled": rule.enabled, "severity": rule.severity,
                "effective_from": rule.effective_from, "effective_to": rule.effective_to,
                "line": str(params["line"]) if "line" in params else None,
                "share": str(params["share"]) if "share" in params else None,
                "share_categories": list(shares), "share_values": [str(v) for v in shares.values()],
                "line_categories": list(lines), "line_values": [str(v) for v in lines.values()],
                "line_rule": params.get("line_rule"),
                "tolerance": str(params["tolerance"]) if "tolerance" in params else None,
                "high_from": str(params["high_from"]) if "high_from" in params else None,
                "high_categories": list(params.get("high_categories", [])),
                "multiple": str(params["multiple"]) if "multiple" in params else None,
                "dibao_standard": (
                    str(params["dibao_standard"]) if "dibao_standard" in params else None
                ),
                "window_days": params.get("window_days"),
                "min_claims": params.get("min_claims_in_window"),
                "min_days": params.get("min_days_of_year"),
                "label_zh": rule.label_zh, "label_en": rule.label_en,
                "explain_zh": rule.explain_zh, "explain_en": rule.explain_en,
            })  # fmt: skip
    # Plain parameters, not an Arrow table: registering one makes DuckDB import pandas, which
    # cost an import 0.8-1.9 s of start-up for a table of a few dozen rows.
    columns = list(_RULE_ROW_TYPES)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rule_rows ("
        + ", ".join(f"{c} {t}" for c, t in _RULE_ROW_TYPES.items())
        + ")"
    )
    con.executemany(
        f"INSERT INTO rule_rows VALUES ({', '.join('?' for _ in columns)})",
        [[row[c] for c in columns] for row in rows],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rule_params AS
        SELECT * EXCLUDE (line, share, share_categories, share_values, line_categories,
                          line_values, tolerance, high_from, multiple, dibao_standard),
               CAST(line AS DECIMAL(14,2)) AS line, CAST(share AS DECIMAL(6,4)) AS share,
               CAST(tolerance AS DECIMAL(14,2)) AS tolerance,
               CAST(high_from AS DECIMAL(14,2)) AS high_from,
               CAST(multiple AS DECIMAL(6,4)) AS multiple,
               CAST(dibao_standard AS DECIMAL(14,2)) AS dibao_standard,
               map(share_categories,
                   list_transform(share_values, lambda v: CAST(v AS DECIMAL(6,4)))) AS shares,
               map(line_categories,
                   list_transform(line_values, lambda v: CAST(v AS DECIMAL(14,2)))) AS lines
        FROM rule_rows"""
    )
    con.execute("DROP TABLE rule_rows")
    _compile_assistance(con, ruleset)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE income_ref
        (region_code VARCHAR, year BIGINT, yuan DECIMAL(14,2), source VARCHAR)"""
    )
    if ruleset.incomes:
        con.executemany(
            "INSERT INTO income_ref VALUES (?, ?, CAST(? AS DECIMAL(14,2)), ?)",
            [[c, y, str(v), src] for c, y, v, src in ruleset.incomes],
        )
    sev = ruleset.severity
    con.execute(
        """CREATE OR REPLACE TEMP TABLE severity_policy AS
        SELECT CAST(? AS DECIMAL(8,2)) AS ratio_to_raise, CAST(? AS VARCHAR[]) AS categories,
               CAST(? AS INTEGER) AS rules_to_raise""",
        [
            str(sev.get("ratio_to_raise", "2")),
            list(sev.get("raise_for_categories", [])),
            int(sev.get("rules_to_raise", 2)),
        ],
    )


def evaluate(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    import_id: int | None = None,
    since_file: int | None = None,
) -> int:
    """Run every rule set-based over the current totals; store the run; return its id.

    The caller owns the transaction (an import runs this before its COMMIT). ``since_file``
    (after a weekly import whose models were updated for the touched people, see
    models.refresh_models) re-examines only the people whose rules may fire differently
    (sql/rules/rule_scope.sql); everyone else keeps the previous run's flags and list entry. The
    result equals a full evaluation (tests/test_weekly.py compares them). Either way a run
    writes only the entries that changed (sql/rules/evaluate.sql).
    """

    compile_to(con, ruleset)
    run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM rule_runs").fetchall()[0][0]
    # The data's date, the latest settlement in force: claims_effective is person_year's claims
    # (known people, mart_person_year) plus unmatched_claims: their maxima, with no claims scan.
    as_of = _data_date(con)
    code = _code_version()
    incremental = (
        since_file is not None
        and _meta(con, "rules_code") == code
        and _same_rules_and_years(con, ruleset, run_id - 1, since_file)
    )
    con.execute("DELETE FROM meta WHERE key = 'rules_code'")
    con.execute("INSERT INTO meta VALUES ('rules_code', ?)", [code])
    con.execute(
        "INSERT INTO rule_runs VALUES (?, ?, current_localtimestamp(), ?, ?, ?)",
        [run_id, import_id, as_of, ruleset.fingerprint, json.dumps(ruleset.text)],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE eval_params AS
        SELECT run_id, import_id, evaluated_at, as_of, fingerprint FROM rule_runs
        WHERE run_id = ?""",
        [run_id],
    )
    con.execute("SET VARIABLE rules_incremental = ?", [incremental])
    # The moving kinds' results change for everyone only when the data's date moves: after a
    # weekly import that did not move it (an empty week, roster changes only) they are kinds
    # like the others, decided for the run's scope alone.
    before = con.execute("SELECT as_of FROM rule_runs WHERE run_id = ?", [run_id - 1]).fetchall()
    moving = () if incremental and before and before[0][0] == as_of else MOVING_KINDS
    con.execute("SET VARIABLE moving_kinds = ?::VARCHAR[]", [list(moving)])
    con.execute("CREATE OR REPLACE TEMP TABLE rule_scope (person_id VARCHAR)")
    store.run_script(con, "rules/setup.sql")
    scoped = "applicable_every SEMI JOIN rule_scope USING (person_id)"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW applicable AS "
        f"SELECT * FROM {scoped if incremental else 'applicable_every'}"
    )
    # The scope's people, a table filled once rule_scope is known: as a view (people SEMI JOIN
    # rule_scope) under no_active_enrolment's filter on people, the optimizer took the roster
    # for the smaller side and built its hash table on every roster person (961 MB at 10M
    # people, 1M touched: out of memory)
    con.execute("CREATE OR REPLACE TEMP TABLE rule_scope_rows AS FROM people LIMIT 0")
    people = "rule_scope_rows" if incremental else "people"
    con.execute(f"CREATE OR REPLACE TEMP VIEW rule_scope_people AS SELECT * FROM {people}")
    if incremental and not moving:
        con.execute("CREATE OR REPLACE TEMP VIEW applicable_moving AS SELECT * FROM applicable")
    kinds = kinds_in_force(con)
    if incremental:  # the moving kinds first, for everyone: who they flag widens the scope
        for kind in moving:
            if kind in kinds:
                _run_kind(con, kind)
        store.run_script(con, "rules/rule_scope.sql")
        con.execute(
            "INSERT INTO rule_scope_rows FROM people SEMI JOIN rule_scope USING (person_id)"
        )
    replay_assistance(con)  # before the rules: assistance_shortfall reads it
    # sql/weekly/'s tables (the touched people, their claim rows) had their last reader in the
    # replay: their memory back for the rule kinds and evaluate.sql (a weekly import at 10M
    # people touching 1M of them held 10M claim rows through them and ran out of memory)
    drop_weekly(con)
    for kind in kinds:
        if not (incremental and kind in moving):
            _run_kind(con, kind)
    # TODO(performance): the marts (region_year, watch_page, case_status) are still rebuilt
    # whole, about 3.6 s of a 1M-people weekly import (README "Performance"); update them per
    # touched region, and keep the watch-list page's order in its query instead of storage.
    store.run_script(con, "rules/watch_listed.sql")
    store.run_script(con, "rules/evaluate.sql")
    build_marts(con)
    return run_id


ASSIST_CLAIMS_PER_BATCH = 5_000_000  # claims scanned per batch (about a quarter are stored)


# Kinds whose result moves with the data's date (as_of), not only with a person's own rows: they
# read everyone, and after a weekly import that moved the date run first so that who they flag
# widens the scope (one that did not move it decides them for its scope alone).
MOVING_KINDS = ("projected", "rolling_window", "household_net_income")


# Kinds whose window totals (setup.sql's window_oop) are per person, and the memory they need per
# claim: with more claims than the memory limit allows, their people go through in batches (a
# weekly import at 10M people ran out of memory in projected's join of 5.2M people's totals).
# household_net_income sums a household's members and runs whole.
BATCHED_KINDS = ("projected", "rolling_window")
WINDOW_BYTES_PER_CLAIM = 64


def _run_kind(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Run one rule kind's SQL, for its people in batches where it reads per-person window
    totals of more claims than memory allows."""
    batches = 1
    if kind in BATCHED_KINDS:
        claims = con.execute("SELECT count(*) FROM claim_log").fetchall()[0][0]
        batches = store.pieces(con, claims, WINDOW_BYTES_PER_CLAIM)
    for _ in person_batches(con, "window", batches):
        store.run_script(con, f"rules/{kind}.sql")


def person_batches(
    con: duckdb.DuckDBPyConnection, name: str, batches: int
) -> Iterator[tuple[str | None, str | None]]:
    """Set the variables ``<name>_from`` and ``<name>_to`` to each of about ``batches`` ranges of
    person_id in turn (everyone at once for 1), yielding each; both are NULL again after.

    Ranges, not hash(person_id) % batches: the claim segments are sorted by person_id, so a
    range's claims are one stretch of each file, which its row-group statistics find (setup.sql's
    person_between). By hash, each of the 20 batches of the replay at 10M people read all 97M
    claims.
    """
    edges = [None, *segments.split_points(con, "SELECT person_id FROM people", batches), None]
    con.execute(f"SET VARIABLE {name}_batches = ?", [len(edges) - 1])
    for lo, hi in zip(edges, edges[1:], strict=False):
        con.execute(f"SET VARIABLE {name}_from = ?::VARCHAR", [lo])
        con.execute(f"SET VARIABLE {name}_to = ?::VARCHAR", [hi])
        yield lo, hi
    # (not in a `finally`: after a failed batch the transaction is aborted and rolled back)
    con.execute(f"SET VARIABLE {name}_from = NULL::VARCHAR")
    con.execute(f"SET VARIABLE {name}_to = NULL::VARCHAR")


def kinds_in_force(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The rule kinds with a rule enabled in some region (compile_to wrote rule_params), in the
    engine's order: a kind no rule uses costs nothing (a per-stay line scans the claims)."""
    rows = con.execute("SELECT DISTINCT kind FROM rule_params WHERE enabled").fetchall()
    used = {kind for (kind,) in rows}
    return [kind for kind in KINDS if kind in used]


def prepare_standalone(con: duckdb.DuckDBPyConnection, ruleset: RuleSet) -> None:
    """What a rule kind or the replay reads, for a run outside an import (a what-if, the
    bench): the compiled rules, the data's date, a full (not weekly) scope and setup.sql."""
    compile_to(con, ruleset)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE eval_params AS
        SELECT 0 AS run_id, NULL::BIGINT AS import_id, current_localtimestamp() AS evaluated_at,
               coalesce((SELECT max(last_settle_date) FROM mart_person_year), current_date)
                   AS as_of,
               ? AS fingerprint""",
        [ruleset.fingerprint],
    )
    con.execute("SET VARIABLE rules_incremental = false")
    con.execute("CREATE OR REPLACE TEMP TABLE rule_scope (person_id VARCHAR)")
    store.run_script(con, "macros.sql")  # (money_divided: a store's connection has them)
    store.run_script(con, "rules/setup.sql")


def replay_assistance(
    con: duckdb.DuckDBPyConnection,
    contract_view: bool = True,
    within: str | None = None,
    year: int | None = None,
) -> None:
    """The medical-assistance replay (issue 18, sql/assistance/): in full, or after a weekly
    import for the person-years it touched, or (``within``, a what-if of one region) for the people
    whose village code starts with it, and (``year``, a what-if) of one year's claims only;
    people in batches of about ASSIST_CLAIMS_PER_BATCH claims (8.2-8.6 s at 1M people: 9.8M
    claims, 4.2M of people the policy covers, 2 batches; the batches keep it within the
    default memory limit)."""
    # The scope: person-years (a person-year's replay reads its own claims alone), and the
    # claims it reads (replay_claims): a region's people's, or after a weekly import the
    # touched person-years' (sql/weekly/touched_years.sql) from the touched people's claims
    # (touched_claims) instead of a scan of every claim, or everyone's.
    if within:
        scope = """SELECT person_id, year FROM mart_person_year
                   WHERE starts_with(village_code, $within)"""
        source = "claims_effective SEMI JOIN replay_scope USING (person_id, year)"
    elif con.execute("SELECT getvariable('rules_incremental')").fetchall()[0][0]:
        scope = "SELECT person_id, year FROM touched_years"
        source = "touched_claims SEMI JOIN replay_scope USING (person_id, year)"
    else:
        scope, source = None, "claims_effective"  # everyone
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE replay_scope AS {scope}"
        if scope
        else "CREATE OR REPLACE TEMP TABLE replay_scope (person_id VARCHAR, year INTEGER)",
        {"within": within} if within else None,
    )
    con.execute("SET VARIABLE assist_scoped = ?", [scope is not None])
    con.execute("SET VARIABLE assist_year = ?::INTEGER", [year])
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW replay_claims AS
        SELECT * FROM {source} WHERE year = coalesce(getvariable('assist_year'), year)"""
    )
    claims = con.execute(  # the claims this run replays: everyone's, or the scope's
        """SELECT coalesce(sum(claims), 0) FROM mart_person_year AS m
           WHERE (NOT getvariable('assist_scoped')
                  OR (m.person_id, m.year) IN (SELECT (person_id, year) FROM replay_scope))
             AND m.year = coalesce(getvariable('assist_year'), m.year)"""
    ).fetchall()[0][0]
    batches = max(1, -(-int(claims) // ASSIST_CLAIMS_PER_BATCH))
    # The scope's earlier rows out first, at once: deleted in each batch, the deletion marks of
    # a weekly import touching 1M of 10M people held memory until COMMIT (store.delete_where)
    for table in ("assist_claims", "assist_replay"):
        store.delete_where(
            con,
            table,
            """(NOT getvariable('assist_scoped')
                  OR (person_id, year) IN (SELECT (person_id, year) FROM replay_scope))
                AND year = coalesce(getvariable('assist_year'), year)""",
        )
    for _ in person_batches(con, "assist", batches):
        store.run_script(con, "assistance/assist_claims.sql")
    store.run_script(con, "assistance/assist_replay.sql")
    if contract_view:  # created here: it reads claims_effective, which the models create
        store.run_script(con, "assistance/assistance_claims.sql")


def _compile_assistance(con: duckdb.DuckDBPyConnection, ruleset: RuleSet) -> None:
    """Write the temp tables the assistance replay reads: assist_items (one row per item and
    visit type of its group), assist_caps and assist_tilted (one row per category)."""
    policy = ruleset.assistance
    con.execute(
        """CREATE OR REPLACE TEMP TABLE assist_names (region_code VARCHAR, name_zh VARCHAR,
        name_en VARCHAR)"""
    )
    if policy.names:
        con.executemany(
            "INSERT INTO assist_names VALUES (?, ?, ?)",
            [(region, zh, en) for region, (zh, en) in policy.names.items()],
        )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE assist_items (region_code VARCHAR, year_from INTEGER,
        year_to INTEGER, category VARCHAR, grp VARCHAR, visit_type VARCHAR,
        ratio DECIMAL(6,4), deductible DECIMAL(14,2), deductible_share DECIMAL(6,4),
        cap_name VARCHAR)"""
    )
    items = [
        (i.region, *i.years, i.category, i.group, visit, str(i.ratio),
         None if i.deductible is None else str(i.deductible),
         None if i.deductible_share is None else str(i.deductible_share), i.cap)
        for i in policy.items
        for visit in assistance.groups_for(policy, i.region).get(i.group, [])
    ]  # fmt: skip
    if items:
        con.executemany("INSERT INTO assist_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE assist_caps (region_code VARCHAR, year_from INTEGER,
        year_to INTEGER, name VARCHAR, amount DECIMAL(14,2))"""
    )
    caps = [(c.region, *c.years, c.name, str(c.amount)) for c in policy.caps]
    if caps:
        con.executemany("INSERT INTO assist_caps VALUES (?, ?, ?, ?, ?)", caps)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE assist_tilted (region_code VARCHAR, year_from INTEGER,
        year_to INTEGER, category VARCHAR, deductible DECIMAL(14,2), ratio DECIMAL(6,4),
        cap DECIMAL(14,2))"""
    )
    tiers = [
        (t.region, *t.years, category, str(t.deductible), str(t.ratio),
         None if t.cap is None else str(t.cap))
        for t in policy.tilted
        for category in t.categories
    ]  # fmt: skip
    if tiers:
        con.executemany("INSERT INTO assist_tilted VALUES (?, ?, ?, ?, ?, ?, ?)", tiers)


def _data_date(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The date the rules judge the data at: the latest settlement in force (today when there
    are no claims)."""
    return con.execute(
        """SELECT coalesce(greatest((SELECT max(last_settle_date) FROM mart_person_year),
                                    (SELECT max(settle_date) FROM unmatched_claims)),
                           current_date)"""
    ).fetchall()[0][0]


def standing_run(con: duckdb.DuckDBPyConnection, ruleset: RuleSet) -> int | None:
    """The latest run, if a run now would decide exactly what it decided; else None.

    After an import that loaded no row (every file empty or rejected) nothing the rules read
    has changed; if the rules (fingerprint), the code that evaluates them and the data's date
    are also those of the latest run, its list stands. A new run would flag the same people and
    only turn the latest run's "new" into "continuing", losing what the last real week brought.
    """
    last = con.execute(
        "SELECT run_id, fingerprint, as_of FROM rule_runs ORDER BY run_id DESC LIMIT 1"
    ).fetchall()
    if not last:
        return None
    run_id, fingerprint, as_of = last[0]
    if fingerprint != ruleset.fingerprint or _meta(con, "rules_code") != _code_version():
        return None
    return run_id if _data_date(con) == as_of else None


def _code_version() -> str:
    """Fingerprint of the SQL that evaluates the rules and builds what they read.

    A weekly evaluation keeps unchanged people's results only from a run made by the same code:
    after an upgrade that changes an explanation's wording, everyone is evaluated again.
    """

    digest = hashlib.sha256(store.models_version().encode())
    # (the replay's SQL too: an assistance_shortfall flag and the replay's rows of the people a
    # weekly run keeps come from it)
    for folder in ("rules", "assistance"):
        for path in sorted((store.SQL_DIR / folder).glob("*.sql")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """A value of the store's meta table, or None."""
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def _same_rules_and_years(
    con: duckdb.DuckDBPyConnection, ruleset: RuleSet, previous_run: int, since_file: int
) -> bool:
    """Whether a weekly evaluation may keep unchanged people's results from ``previous_run``.

    It may if that run used the same rules (fingerprint) and the import added no enrolment year
    (no_active_enrolment looks at every roster person for each year enrolment covers).
    """
    before = con.execute(
        "SELECT fingerprint FROM rule_runs WHERE run_id = ?", [previous_run]
    ).fetchall()
    if not before or before[0][0] != ruleset.fingerprint:
        return False
    years = con.execute(
        """SELECT list(DISTINCT year ORDER BY year),
                  list(DISTINCT year ORDER BY year) FILTER (WHERE file_id < ?)
           FROM enrolment_rows""",
        [since_file],
    ).fetchall()[0]
    return (years[0] or []) == (years[1] or [])


def run_summary(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, object]:
    """Counts of a run: new and continuing on the list, left it, households with no income;
    and ``years``: (year, new, continuing, left) per year, newest first (the dashboard shows
    one year at a time, so a summary adding the years up reads as a different number)."""
    row = con.execute(
        """SELECT count(*) FILTER (WHERE status = 'new'),
                  count(*) FILTER (WHERE status = 'continuing'),
                  (SELECT count(*) FROM watch_changes WHERE run_id = ? AND change = 'left'),
                  (SELECT count(*) FROM household_year WHERE NOT income_known)
           FROM watch_runs WHERE run_id = ?""",
        [run_id, run_id],
    ).fetchall()[0]
    summary: dict[str, object] = dict(
        zip(("new", "continuing", "left", "households_without_income"), row, strict=True)
    )
    summary["years"] = con.execute(
        """SELECT year, count(*) FILTER (WHERE kind = 'new'),
                  count(*) FILTER (WHERE kind = 'continuing'), count(*) FILTER (WHERE kind = 'left')
           FROM (SELECT year, status AS kind FROM watch_runs WHERE run_id = $run
                 UNION ALL
                 SELECT year, 'left' FROM watch_changes WHERE run_id = $run AND change = 'left')
           GROUP BY year ORDER BY year DESC""",
        {"run": run_id},
    ).fetchall()
    return summary
