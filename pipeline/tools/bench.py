"""``oopwatch bench``: the figures of README "Performance", measured in one run on one data set.

On the same generated extracts (``oopwatch generate --weeks W+1``: weeks 1..W are the full import,
the last week is held back for the weekly import):

1. cat: ``cat`` of the full import's claim files to /dev/null (after one untimed warm-up, so
   every figure below reads the files from the page cache);
2. floor: DuckDB, in this process, reads the same claim files and sums OOP per person and year,
   no validation, nothing stored (a GB18030 file is first transcoded to UTF-8 by the same code
   the import uses, inside the timed part: DuckDB reads GB18030 only through its ``encodings``
   extension, which is not installed);
3. full import: ``oopwatch ingest`` of weeks 1..W into a new store as one child process (hash,
   read, validate, load, totals, rules, publish); its wall time and its peak RSS (``wait4``);
   the store's size on disk;
4. pandas and polars: ``tools/benchmarks/pandas_oop.py`` and ``polars_oop.py`` (the same
   checks, corrections and reversals, written for each library) over the same claim files, each
   a child process, wall time and peak RSS; each one's person-year OOP and people over 10,000
   yuan are compared, exactly (in cents), with oopwatch's ``person_year`` (plus its
   ``unmatched_claims`` for people no roster names yet) and with the ``oop_line`` flags of
   oopwatch's rule run;
5. rules: evaluations of every rule over the full store, in this process, rolled back: the
   first right after opening the store (cold), the second with DuckDB's buffers warm;
6. weekly import: ``oopwatch ingest`` of the held-back week into the full store, as a child,
   with claims that make it the bench issue's week (about 2% of the claims, 5% of them
   corrections or reversals of earlier claims; ``week_supplement``); then an empty week (the
   same files with their header lines only): the fixed cost of any import; then one publish of
   the store (the snapshot the dashboard reads), timed alone;
7. dashboard: p50 / p95 of the dashboard's own data functions per page view (every drill level,
   household, person page, watch-list filter), through ``tools/benchmarks/dashboard_latency.py``.

Child processes are timed from start to exit (interpreter start and imports included: the whole
command as a user runs it); their peak RSS is the child's own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import models, schema, store
from pipeline.ingest import read

BENCHMARKS = Path(__file__).resolve().parent / "benchmarks"  # in the wheel too
PANDAS_SCRIPT = BENCHMARKS / "pandas_oop.py"
POLARS_SCRIPT = BENCHMARKS / "polars_oop.py"
DASHBOARD_SCRIPT = BENCHMARKS / "dashboard_latency.py"
GENERATOR = Path(__file__).with_name("generate.py")
MANIFEST = "bench-manifest.json"
DEFAULT_AS_OF = dt.date(2026, 11, 20)
LINE_CENTS = 1_000_000
MB = 1_000_000
EXAMPLES = 5
# The dashboard interactions of dashboard_latency.py that the bench reports.
DASHBOARD_PREFIXES = ("drill:", "person page", "watch-list filter", "cases page")

Echo = Callable[[str], None]


class BenchError(Exception):
    """A phase failed; the message says which and where its log is."""


@dataclass
class Child:
    """A child process's wall time and peak resident set size."""

    seconds: float
    peak_rss_mb: float
    inner_s: float | None = None  # the time the command printed ("elapsed …"): after imports


# ---------------------------------------------------------------- measuring


def run_child(cmd: list[str], log: Path) -> Child:
    """Run a command to completion, output to ``log``; its wall time and its own peak RSS."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise BenchError(f"{' '.join(cmd[:4])} … exited with {proc.returncode}; {log}:\n{tail}")
    printed = re.findall(r"^elapsed ([0-9.]+) s", log.read_text(errors="replace"), re.M)
    inner = float(printed[-1]) if printed else None
    return Child(seconds, usage.ru_maxrss * 1024 / MB, inner)  # ru_maxrss: KiB on Linux


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    """A call's result and its wall time in seconds."""
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


# ---------------------------------------------------------------- data


def _generator_version() -> str:
    return hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:16]


def prepare(
    extracts: Path, people: int, seed: int, weeks: int, as_of: dt.date, echo: Echo
) -> float | None:
    """Generate the extracts into ``extracts`` unless its manifest says they are there already.

    Returns the generation time, or None when the cached extracts were reused.
    """
    manifest = {
        "people": people,
        "seed": seed,
        "weeks": weeks + 1,
        "as_of": as_of.isoformat(),
        "generator": _generator_version(),
    }
    path = extracts / MANIFEST
    folders = [extracts / f"week{k:02d}" for k in range(1, weeks + 2)]
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cached = None
    if cached == manifest and all((f / "claims.csv").exists() for f in folders):
        echo(f"extracts: reusing {extracts} (same people, seed, weeks, date and generator)")
        return None
    from pipeline.tools.generate import generate

    if extracts.exists():
        shutil.rmtree(extracts)
    echo(f"generate: {people:,} people, {weeks + 1} week folders, seed {seed}, as of {as_of}")
    _, seconds = timed(
        lambda: generate(extracts, people=people, seed=seed, weeks=weeks + 1, as_of=as_of)
    )
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return seconds


def fresh_store(db: Path) -> None:
    """Remove a store and everything beside it (snapshots, segments, pointer, activity log,
    WAL)."""
    for path in (db, db.with_name(db.name + ".wal"), store.pointer_path(db)):
        path.unlink(missing_ok=True)
    db.with_name(db.name + ".activity.sqlite").unlink(missing_ok=True)
    shutil.rmtree(store.snapshot_dir(db), ignore_errors=True)
    shutil.rmtree(store.segments.segment_dir(db), ignore_errors=True)


# ---------------------------------------------------------------- phases


def cat_files(files: list[Path]) -> float:
    """``cat`` the files to /dev/null once untimed (page cache), then timed."""
    subprocess.run(["cat", *map(str, files)], stdout=subprocess.DEVNULL, check=True)
    started = time.perf_counter()
    subprocess.run(["cat", *map(str, files)], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def claim_files(paths: list[Path]) -> str:
    """DuckDB's read_csv of UTF-8 claim extracts, every column text, in the extract's order."""
    columns = "{" + ", ".join(f"'{c.name}': 'VARCHAR'" for c in schema.CLAIMS) + "}"
    listed = "[" + ", ".join(_quote(str(p)) for p in paths) + "]"
    return (
        f"read_csv({listed}, header = true, auto_detect = false, columns = {columns}, "
        """delim = ',', quote = '"', escape = '"')"""
    )


def floor_read(files: list[Path], tmp_dir: str) -> tuple[float, float, int]:
    """DuckDB reads the claim files and sums OOP per person and year, nothing else.

    Returns (seconds, of which transcoding GB18030 files, person-years found).
    """
    started = time.perf_counter()
    readable = []
    for path in files:
        encoding = read.detect_encoding(path)
        readable.append(read.transcode(path, encoding, tmp_dir) if encoding == "gb18030" else path)
    transcoding = time.perf_counter() - started

    def money(col: str) -> str:
        return f"TRY_CAST({col} AS DECIMAL(14,2))"

    oop = (
        f"{money('total_cost')} - {money('basic_paid')} - {money('critical_paid')} - "
        f"{money('assistance_paid')} - coalesce({money('other_paid')}, 0)"
    )
    year = (
        "year(coalesce(TRY_CAST(settle_date AS DATE), "
        "CAST(try_strptime(settle_date, '%Y%m%d') AS DATE)))"
    )
    con = duckdb.connect(config={"memory_limit": store.MEMORY_LIMIT})
    try:
        person_years = con.execute(
            f"""SELECT count(*) FROM (
                SELECT person_id, {year} AS year, sum({oop}) AS oop
                FROM {claim_files(readable)}
                GROUP BY ALL)"""
        ).fetchall()[0][0]
    finally:
        con.close()
    seconds = time.perf_counter() - started
    for path, original in zip(readable, files, strict=True):
        if path != original:
            path.unlink(missing_ok=True)
    return seconds, transcoding, person_years


WEEK_SHARE = 0.02  # the bench issue's weekly import: about 2% of the full import's claims,
CHANGED_SHARE = 0.05  # 5% of them corrections or reversals of earlier claims


def empty_week(week: Path, target: Path) -> Path:
    """``target``: the week's files with their header lines only (an import with nothing new)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in sorted(week.iterdir()):
        if path.is_file():
            with open(path, "rb") as stream:
                (target / path.name).write_bytes(stream.readline())
    return target


def week_supplement(
    snapshot: Path, week: Path, out: Path, full_claims: int, seed: int
) -> dict[str, int]:
    """Write ``out``/claims.csv: claims that make the held-back ``week`` the issue's weekly import.

    The generator's later weeks hold about 1.1% of the claims, 1% of them corrections or
    reversals; the bench issue asks for about 2% and 5%. The rows (sql/bench/supplement.sql)
    correct, reverse or repeat claims in force of the last 45 days, picked by a hash of claim_id
    and ``seed``. Returns the held-back week's claim rows and corrections or reversals, and the
    rows added of each kind.
    """
    out.mkdir(parents=True, exist_ok=True)
    path = week / "claims.csv"
    encoding = read.detect_encoding(path)
    readable = read.transcode(path, encoding, str(out.parent)) if encoding == "gb18030" else path
    con = duckdb.connect(config={"memory_limit": store.MEMORY_LIMIT})
    try:
        con.execute(f"ATTACH {_quote(str(snapshot))} AS s (READ_ONLY)")
        con.execute(
            "CREATE TEMP TABLE week_claims AS SELECT trim(claim_id) AS claim_id, "
            f"nullif(trim(reverses), '') AS reverses FROM {claim_files([readable])}"
        )
        rows, changed = con.execute(
            """SELECT count(*),
                      count(*) FILTER (WHERE reverses IS NOT NULL
                                       OR claim_id IN (SELECT claim_id FROM s.claim_log))
               FROM week_claims"""
        ).fetchall()[0]
        target = round(WEEK_SHARE * full_claims)
        add_changed = max(0, round(CHANGED_SHARE * target) - changed)
        corrections = add_changed // 2
        wanted = {
            "seed": seed,
            "corrections": corrections,
            "reversals": add_changed - corrections,
            "new_claims": max(0, target - rows - add_changed),
        }
        for name, value in wanted.items():
            con.execute(f"SET VARIABLE {name} = ?", [value])
        store.run_script(con, "bench/supplement.sql")
        header = ", ".join(c.name for c in schema.CLAIMS)
        con.execute(
            f"COPY (SELECT {header} FROM supplement) TO {_quote(str(out / 'claims.csv'))} "
            "(HEADER, DELIMITER ',')"
        )
        made = dict(con.execute("SELECT role, count(*) FROM supplement GROUP BY role").fetchall())
    finally:
        con.close()
        if readable != path:
            readable.unlink(missing_ok=True)
    return {
        "week_claims": int(rows),
        "week_changed": int(changed),
        "added_corrections": int(made.get("correction", 0)),
        "added_reversals": int(made.get("reversal", 0)),
        "added_new": int(made.get("new", 0)),
    }


def import_figures(snapshot: Path, import_id: int) -> dict[str, int]:
    """Rows read by an import (all kinds, claims), corrections and reversals it brought."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        rows, claims = con.execute(
            "SELECT coalesce(sum(rows_read), 0), coalesce(sum(rows_read) FILTER "
            "(WHERE kind = 'claims'), 0) FROM imports WHERE import_id = ?",
            [import_id],
        ).fetchall()[0]
        files = "(SELECT file_id FROM import_files WHERE import_id = ?)"
        corrections = con.execute(
            f"SELECT count(*) FROM claim_rows_superseded WHERE superseded_by_file_id IN {files}",
            [import_id],
        ).fetchall()[0][0]
        reversals = con.execute(
            f"SELECT count(*) FROM claim_rows WHERE reverses IS NOT NULL AND file_id IN {files}",
            [import_id],
        ).fetchall()[0][0]
    finally:
        con.close()
    return {
        "rows_read": int(rows),
        "claims": int(claims),
        "corrections": int(corrections),
        "reversals": int(reversals),
    }


def _yuan(cents: int | None) -> str:
    return "-" if cents is None else f"{cents / 100:,.2f}"


def compare(snapshot: Path, result: Path, who: str = "pandas") -> dict[str, object]:
    """A script's (pandas's, polars's) person-year OOP and over-the-line set against
    oopwatch's, exactly (cents).

    oopwatch keeps the claims of people no roster or enrolment names yet (``unmatched_claims``)
    out of ``person_year`` until someone names them; those person-years are compared with that
    table instead, and only known people can be flagged.
    """
    from pipeline.schema import mask_id

    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        con.execute(
            f"""CREATE TEMP TABLE pandas AS
            SELECT person_id, CAST(year AS INTEGER) AS year, CAST(oop_cents AS BIGINT) AS oop
            FROM read_parquet({_quote(str(result))})"""
        )
        con.execute(
            """CREATE TEMP TABLE ours AS
            SELECT person_id, year, CAST(oop * 100 AS BIGINT) AS oop, true AS known
            FROM person_year WHERE claims > 0
            UNION ALL
            SELECT person_id, year, CAST(sum(total_cost - basic_paid - critical_paid
                   - assistance_paid - other_paid) * 100 AS BIGINT), false
            FROM unmatched_claims GROUP BY person_id, year"""
        )
        totals = con.execute(
            """SELECT o.person_id, o.year, p.person_id, p.year, o.oop, p.oop, o.known
            FROM ours AS o FULL OUTER JOIN pandas AS p USING (person_id, year)
            WHERE o.oop IS DISTINCT FROM p.oop
            ORDER BY 1, 2, 3, 4"""
        ).fetchall()
        counts = con.execute(
            f"""SELECT (SELECT count(*) FROM pandas),
                       (SELECT count(*) FROM ours WHERE known),
                       (SELECT count(*) FROM ours WHERE NOT known),
                       (SELECT count(*) FROM pandas WHERE oop > {LINE_CENTS}
                        AND person_id NOT IN (SELECT person_id FROM people))"""
        ).fetchall()[0]
        flagged = con.execute(
            f"""WITH ours AS (
                SELECT person_id, year FROM flags
                WHERE rule_id = 'oop_line' AND run_id = (SELECT max(run_id) FROM rule_runs)),
            theirs AS (
                SELECT person_id, year FROM pandas
                WHERE oop > {LINE_CENTS} AND person_id IN (SELECT person_id FROM people))
            SELECT 'oopwatch only' AS side, * FROM (FROM ours EXCEPT FROM theirs)
            UNION ALL
            SELECT ? || ' only', * FROM (FROM theirs EXCEPT FROM ours)
            ORDER BY 2, 3""",
            [who],
        ).fetchall()
        n_flagged = con.execute(
            "SELECT count(*) FROM flags WHERE rule_id = 'oop_line' "
            "AND run_id = (SELECT max(run_id) FROM rule_runs)"
        ).fetchall()[0][0]
    finally:
        con.close()
    examples = []
    for our_id, our_year, their_id, their_year, ours, theirs, known in totals[:EXAMPLES]:
        where = "" if known is None else (" (known person)" if known else " (no roster yet)")
        examples.append(
            f"{mask_id(our_id or their_id)} {our_year or their_year}: oopwatch {_yuan(ours)}, "
            f"{who} {_yuan(theirs)}{where}"
        )
    examples += [f"{mask_id(pid)} {year}: flagged by {side}" for side, pid, year in flagged][
        : max(0, EXAMPLES - len(examples))
    ]
    pandas_rows, known_rows, unmatched_rows, unmatched_over = counts
    return {
        "agree": not totals and not flagged,
        "person_years": int(pandas_rows),
        "person_years_known": int(known_rows),
        "person_years_unmatched": int(unmatched_rows),
        "over_line_unmatched": int(unmatched_over),
        "flagged": int(n_flagged),
        "total_disagreements": len(totals),
        "flag_disagreements": len(flagged),
        "examples": examples,
        "who": who,
    }


def rule_evaluation(db: Path) -> tuple[float, float]:
    """Seconds of two evaluations of every rule over the store, each rolled back (nothing stored).

    The first runs right after opening the store (as ``oopwatch flag``: DuckDB reads the tables
    into its buffers); the second runs with them in memory, as in an import, which evaluates the
    rules right after building the totals.
    """
    from pipeline import rules

    ruleset = rules.load(rules.RULES_DIR)
    con = models.open_current(db)
    times = []
    try:
        for _ in range(2):
            con.execute("BEGIN TRANSACTION")
            times.append(timed(lambda: rules.evaluate(con, ruleset))[1])
            con.execute("ROLLBACK")
    finally:
        con.close()
    return times[0], times[1]


def replay_and_whatif(db: Path, root: Path) -> dict[str, object]:
    """Seconds of a full medical-assistance replay over the store (rolled back), and of a
    what-if (``oopwatch whatif``) of the shipped rules with a 8,000-yuan line in every region
    file and every assistance ratio 10 points higher, read-only."""
    import shutil

    from pipeline import rules
    from pipeline.rules import evaluation, whatif

    ruleset = rules.load(rules.RULES_DIR)
    con = models.open_current(db)
    try:
        evaluation.prepare_standalone(con, ruleset)
        con.execute("BEGIN TRANSACTION")
        replay_s = timed(lambda: evaluation.replay_assistance(con))[1]
        con.execute("ROLLBACK")
    finally:
        con.close()
    folder = root / "whatif-rules"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(rules.RULES_DIR, folder)
    for path in [folder / "default.toml", *sorted((folder / "regions").glob("*.toml"))]:
        path.write_text(path.read_text(encoding="utf-8").replace('"10000.00"', '"8000.00"'),
                        encoding="utf-8")  # fmt: skip
    policy = folder / "assistance" / "default.toml"
    text = policy.read_text(encoding="utf-8")
    for old, new in (("0.70", "0.80"), ("0.60", "0.70"), ("0.30", "0.40"), ("0.20", "0.30"),
                     ("0.10", "0.20")):  # fmt: skip
        text = text.replace(f'ratio = "{old}"', f'ratio = "{new}"')
    policy.write_text(text, encoding="utf-8")
    result, whatif_s = timed(lambda: whatif.whatif(db, rules.load(folder)))
    totals = result.totals
    return {
        "replay_s": round(replay_s, 2),
        "whatif_s": round(whatif_s, 2),
        "whatif_flagged_now": totals["now"],
        "whatif_flagged_alt": totals["alt"],
        "whatif_extra_owed": f"{totals['extra']:.2f}",
    }


def departments(db: Path, root: Path) -> dict[str, object]:
    """Seconds of the departmental loop on the full store: the two pushes (return-to-poverty
    warnings to rural revitalisation, the others to civil affairs), every pushed person-year
    answered (a fixed mix of the seven decisions, by case key) and read back, then the cases
    page's queries: every case with its deadlines, the funnel by county, the cohort outcomes."""
    import csv

    from pipeline import rules
    from pipeline.cases import feedback, push, tracking

    ruleset = rules.load(rules.RULES_DIR)
    folder = root / "departments"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pushed, push_s = 0, 0.0
    for warning in ruleset.push.warnings:
        department = "rural" if warning.type == "return_to_poverty" else "civil"
        done, seconds = timed(
            lambda w=warning, d=department: push.push(
                db, ruleset, d, None, folder / f"{d}.csv", categories=list(w.categories)
            )
        )
        pushed, push_s = pushed + done.rows, push_s + seconds
    opened = store.open_snapshot(db)
    assert opened is not None
    con = opened[0]
    try:
        keys = con.execute(
            """SELECT x.case_key, p.department FROM push_rows AS x JOIN pushes AS p
               USING (push_id) ORDER BY x.case_key"""
        ).fetchall()
        day = con.execute("SELECT max(as_of) FROM rule_runs").fetchall()[0][0]
    finally:
        con.close()
    codes = ("verifying", "monitored", "dibao", "destitute", "risk_eliminated", "not_eligible",
             "assisted")  # fmt: skip
    answers = folder / "answers.csv"
    with answers.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["案件编号", "核查结果", "核查日期", "反馈部门", "说明", "救助金额"])
        for n, (key, department) in enumerate(keys):
            code = codes[n % len(codes)]
            writer.writerow([
                key, code, day.isoformat(), department,
                "家庭收入超标" if code == "not_eligible" else "",
                "1200.00" if code == "assisted" else "",
            ])  # fmt: skip
    (result,), feedback_s = timed(lambda: feedback.feedback(db, [answers]))
    opened = store.open_snapshot(db)
    assert opened is not None
    con = opened[0]
    try:
        policy = ruleset.push
        cases, cases_s = timed(lambda: tracking.cases(con, policy, day.year, "", day))
        funnel_s = timed(lambda: tracking.funnel(con, day.year, "", 6))[1]
        outcomes_s = timed(lambda: tracking.outcomes(con, day.year - 1, "", day))[1]
    finally:
        con.close()
    return {
        "push_rows": pushed,
        "push_s": round(push_s, 2),
        "feedback_rows": result.rows_read,
        "feedback_loaded": result.rows_loaded,
        "feedback_s": round(feedback_s, 2),
        "cases": len(cases),
        "cases_s": round(cases_s, 3),
        "funnel_s": round(funnel_s, 3),
        "outcomes_s": round(outcomes_s, 3),
    }


def _load_benchmark(path: Path) -> object:
    """A script of tools/benchmarks/ as a module (that folder is not a package)."""
    if not path.exists():
        raise BenchError(f"{path} is missing: bench runs from a checkout of the project")
    name = f"oopwatch_bench_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def dashboard(db: Path, calls: int, seed: int = 7) -> dict[str, dict[str, float]]:
    """p50/p95 ms per page view of the drill levels, household, person page and watch-list.

    ``tools/benchmarks/dashboard_latency.py``'s sampling and page views, its cache defeated; one
    untimed warm-up view per interaction.
    """
    latency = _load_benchmark(DASHBOARD_SCRIPT)
    snapshot = latency.data.current(db.absolute())
    samples = latency.Samples(snapshot, calls + 1, seed)
    out: dict[str, dict[str, float]] = {}
    for name, views in latency.interactions(samples, calls + 1):
        if not name.startswith(DASHBOARD_PREFIXES):
            continue
        views[0]()
        times = [view() for view in views[1:]]
        out[name] = {
            "p50_ms": round(latency.percentile(times, 0.50), 1),
            "p95_ms": round(latency.percentile(times, 0.95), 1),
        }
    return out


def machine() -> str:
    """CPU model, cores, memory and OS of this machine, with the library versions."""
    import pandas

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f", {int(line.split()[1]) / 1024**2:.0f} GiB RAM"
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"pandas {pandas.__version__}; DuckDB memory limit {store.MEMORY_LIMIT}"
    )


# ---------------------------------------------------------------- the run


def run(
    people: int,
    weeks: int = 4,
    seed: int = 1,
    as_of: dt.date = DEFAULT_AS_OF,
    keep: Path | None = None,
    calls: int = 50,
    echo: Echo = print,
) -> dict[str, object]:
    """Every phase on one data set; the figures (the JSON of ``oopwatch bench``)."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        root = keep.absolute()
        cleanup = None
    else:
        cleanup = tempfile.mkdtemp(prefix="oopwatch-bench-")
        root = Path(cleanup)
    try:
        return _run(root, people, weeks, seed, as_of, calls, echo)
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)


def _run(
    root: Path, people: int, weeks: int, seed: int, as_of: dt.date, calls: int, echo: Echo
) -> dict[str, object]:
    extracts, db, logs = root / "extracts", root / "oopwatch.duckdb", root / "logs"
    pandas_out, polars_out = root / "pandas_oop.parquet", root / "polars_oop.parquet"
    generate_s = prepare(extracts, people, seed, weeks, as_of, echo)
    full = [extracts / f"week{k:02d}" for k in range(1, weeks + 1)]
    weekly = extracts / f"week{weeks + 1:02d}"
    claim_files = [f / "claims.csv" for f in full]
    claim_bytes = sum(f.stat().st_size for f in claim_files)
    cli = [sys.executable, "-m", "pipeline.cli"]

    echo(f"cat: {len(claim_files)} claim files, {claim_bytes / MB:,.0f} MB, to /dev/null")
    cat_s = cat_files(claim_files)

    echo("floor: DuckDB reads the claim files and sums OOP per person and year")
    tmp_dir = tempfile.mkdtemp(prefix="oopwatch-floor-", dir=root)
    try:
        floor_s, transcode_s, floor_groups = floor_read(claim_files, tmp_dir)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)

    echo(f"full import: oopwatch ingest week01..week{weeks:02d} into a new store")
    fresh_store(db)
    ingest = run_child(
        [*cli, "ingest", *map(str, full), "--db", str(db), "--quiet"], logs / "ingest-full.log"
    )
    db_mb = db.stat().st_size / MB
    segments = store.segments.segment_dir(db)
    segments_mb = sum(p.stat().st_size for p in segments.glob("*.parquet")) / MB
    snapshot = store.current_snapshot(db)
    if snapshot is None:
        raise BenchError(f"the full import published no snapshot of {db}")
    snapshot_mb = snapshot.stat().st_size / MB
    first = import_figures(snapshot, 1)

    echo("pandas: benchmarks/pandas_oop.py over the same claim files")
    pandas_out.unlink(missing_ok=True)
    pandas = run_child(
        [sys.executable, str(PANDAS_SCRIPT), *map(str, full), "--out", str(pandas_out)],
        logs / "pandas.log",
    )
    echo("agreement: pandas's person-year OOP and flagged set against oopwatch's")
    agreement = compare(snapshot, pandas_out)
    polars_out.unlink(missing_ok=True)
    polars: Child | None = None
    polars_agreement: dict[str, object] = {"agree": None, "who": "polars"}
    if importlib.util.find_spec("polars") is None:  # a dev dependency: not in an installed wheel
        echo("polars: not installed (a dev dependency: `uv sync` installs it); left out")
    else:
        echo("polars: benchmarks/polars_oop.py over the same claim files")
        polars = run_child(
            [sys.executable, str(POLARS_SCRIPT), *map(str, full), "--out", str(polars_out)],
            logs / "polars.log",
        )
        polars_agreement = compare(snapshot, polars_out, "polars")

    echo("rules: two evaluations of every rule over the full store (cold, warm)")
    rules_cold_s, rules_s = rule_evaluation(db)
    echo("assistance replay and what-if")
    assistance = replay_and_whatif(db, root)

    echo(
        f"weekly import: {weekly.name} topped up to the issue's week (2% of the claims, 5% "
        "of them corrections or reversals)"
    )
    extra = root / "week-extra"
    shutil.rmtree(extra, ignore_errors=True)
    supplement = week_supplement(snapshot, weekly, extra, first["claims"], seed)
    echo(f"weekly import: oopwatch ingest {weekly.name} {extra.name} into the full store")
    week = run_child(
        [*cli, "ingest", str(weekly), str(extra), "--db", str(db), "--quiet"],
        logs / "ingest-weekly.log",
    )
    snapshot = store.current_snapshot(db)
    assert snapshot is not None
    second = import_figures(snapshot, 2)
    echo("empty week: oopwatch ingest of the week's files with their header lines only")
    empty = empty_week(weekly, root / "week-empty")
    nothing = run_child(
        [*cli, "ingest", str(empty), "--db", str(db), "--quiet"], logs / "ingest-empty.log"
    )
    echo("publish: one snapshot of the store for the dashboard, alone")
    publish_s = timed(lambda: store.publish(db))[1]
    echo("departments: two pushes, every pushed person answered and read back, the cases")
    loop = departments(db, root)

    echo(f"dashboard: {calls} page views per interaction (+1 warm-up)")
    dashboard_error = None
    try:
        views = dashboard(db, calls)
    except Exception as exc:  # the other figures are still worth printing
        dashboard_error = f"{type(exc).__name__}: {exc}"
        echo(f"dashboard: FAILED ({dashboard_error})")
        views = {}

    figures: dict[str, object] = {
        "people": people,
        "claims": first["claims"],
        "rows_read": first["rows_read"],
        "weeks": weeks,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "generate_s": None if generate_s is None else round(generate_s, 2),
        "claim_files_mb": round(claim_bytes / MB, 1),
        "cat_s": round(cat_s, 3),
        "floor_read_s": round(floor_s, 3),
        "floor_transcode_s": round(transcode_s, 3),
        "floor_person_years": int(floor_groups),
        "ingest_s": round(ingest.seconds, 2),
        "ingest_peak_rss_mb": round(ingest.peak_rss_mb),
        "ingest_printed_s": ingest.inner_s,
        "db_mb": round(db_mb, 1),
        "segments_mb": round(segments_mb, 1),
        "snapshot_mb": round(snapshot_mb, 1),
        "pandas_s": round(pandas.seconds, 2),
        "pandas_peak_rss_mb": round(pandas.peak_rss_mb),
        "pandas_printed_s": pandas.inner_s,
        "polars_s": round(polars.seconds, 2) if polars else None,
        "polars_peak_rss_mb": round(polars.peak_rss_mb) if polars else None,
        "polars_printed_s": polars.inner_s if polars else None,
        "polars_agree": polars_agreement["agree"],
        "polars_agreement": polars_agreement,
        "agree": bool(agreement["agree"]),
        "agreement": agreement,
        "rules_s": round(rules_s, 2),
        "rules_cold_s": round(rules_cold_s, 2),
        **assistance,
        **loop,
        "weekly_s": round(week.seconds, 2),
        "weekly_peak_rss_mb": round(week.peak_rss_mb),
        "weekly_printed_s": week.inner_s,
        "weekly_vs_full": round(week.seconds / ingest.seconds, 3),
        "weekly_claims": second["claims"],
        "weekly_rows_read": second["rows_read"],
        "weekly_share_of_claims": round(second["claims"] / max(first["claims"], 1), 4),
        "weekly_corrections": second["corrections"],
        "weekly_reversals": second["reversals"],
        "weekly_supplement": supplement,
        "empty_week_s": round(nothing.seconds, 2),
        "publish_s": round(publish_s, 2),
        "dashboard_calls": calls,
        "dashboard": views,
        "dashboard_error": dashboard_error,
        "machine": machine(),
        "command": command_line(people, weeks, seed, as_of),
    }
    figures["table"] = table_rows(figures)
    return figures


def command_line(people: int, weeks: int, seed: int, as_of: dt.date) -> str:
    """The command that reproduces a run."""
    extra = f" --seed {seed}" if seed != 1 else ""
    extra += f" --as-of {as_of}" if as_of != DEFAULT_AS_OF else ""
    return f"uv run oopwatch bench --people {people} --weeks {weeks}{extra}"


# ---------------------------------------------------------------- the table


def _ratio(value: float, base: float) -> str:
    if not base:
        return ""
    r = value / base
    return f"{r:.2g}×" if r < 10 else f"{r:,.0f}×"


def _seconds(s: float) -> str:
    return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def table_rows(f: dict) -> list[list[str]]:
    """(figure, value, vs floor, vs pandas, vs polars) rows."""
    floor, pandas, polars = f["floor_read_s"], f["pandas_s"], f["polars_s"]
    a = f["agreement"]
    share = f["weekly_share_of_claims"] * 100
    changed = f["weekly_corrections"] + f["weekly_reversals"]
    of_week = changed / max(f["weekly_claims"], 1) * 100

    def secs(name: str, s: float) -> list[str]:
        return [name, _seconds(s), _ratio(s, floor), _ratio(s, pandas), _ratio(s, polars)]

    rows = [
        [
            "data",
            f"{f['people']:,} people; full import {f['rows_read']:,} rows "
            f"({f['claims']:,} claims, weeks 01–{f['weeks']:02d})",
            "",
            "",
            "",
        ],
        secs(f"`cat` of the claim files ({f['claim_files_mb']:,.0f} MB) to /dev/null", f["cat_s"]),
        secs("floor: DuckDB reads the claim files, sums OOP per person-year", floor),
        secs("pandas script (`benchmarks/pandas_oop.py`)", pandas),
        ["pandas peak RSS", f"{f['pandas_peak_rss_mb']:,} MB", "", "1×", ""],
        *(
            [
                secs("polars script (`benchmarks/polars_oop.py`, same checks)", polars),
                [
                    "polars peak RSS",
                    f"{f['polars_peak_rss_mb']:,} MB",
                    "",
                    _ratio(f["polars_peak_rss_mb"], f["pandas_peak_rss_mb"]),
                    "1×",
                ],
            ]
            if polars
            else [["polars script", "not installed (a dev dependency)", "", "", ""]]
        ),
        secs("full import (`oopwatch ingest`, with totals and rules)", f["ingest_s"]),
        [
            "full import peak RSS",
            f"{f['ingest_peak_rss_mb']:,} MB",
            "",
            _ratio(f["ingest_peak_rss_mb"], f["pandas_peak_rss_mb"]),
            _ratio(f["ingest_peak_rss_mb"], f["polars_peak_rss_mb"] or 0),
        ],
        [
            "store on disk after the full import: the DuckDB file + the claim segments "
            "(a snapshot copies the file only)",
            f"{f['db_mb']:,.0f} MB + {f['segments_mb']:,.0f} MB",
            "",
            "",
            "",
        ],  # fmt: skip
        [
            f"weekly import (one more week: {f['weekly_claims']:,} claims = {share:.1f}% of "
            f"the full import's; {f['weekly_corrections']:,} corrections and "
            f"{f['weekly_reversals']:,} reversals = {of_week:.1f}% of the week)",
            f"{_seconds(f['weekly_s'])} ({f['weekly_vs_full']:.2f}× the full import)",
            _ratio(f["weekly_s"], floor),
            _ratio(f["weekly_s"], pandas),
            _ratio(f["weekly_s"], polars),
        ],
        ["weekly import peak RSS", f"{f['weekly_peak_rss_mb']:,} MB", "", "", ""],
        secs("empty week (header lines only): the fixed cost of an import", f["empty_week_s"]),
        secs("publish: one snapshot of the store for the dashboard", f["publish_s"]),
        secs("one evaluation of every rule (full store, warm)", f["rules_s"]),
        secs("the same, just after opening the store (cold)", f["rules_cold_s"]),
        secs("medical-assistance replay of every claim (full store, warm)", f["replay_s"]),
        secs(
            f"what-if: line 8,000, assistance ratios +10 points (flagged "
            f"{f['whatif_flagged_now']:,} → {f['whatif_flagged_alt']:,}; "
            f"{float(f['whatif_extra_owed']):,.2f} yuan more owed)",
            f["whatif_s"],
        ),
        secs(f"push: both departments' lists ({f['push_rows']:,} person-years, .csv)", f["push_s"]),
        secs(
            f"feedback: their answers read back ({f['feedback_rows']:,} rows, "
            f"{f['feedback_loaded']:,} loaded)",
            f["feedback_s"],
        ),
        secs(
            f"every case with its deadlines ({f['cases']:,} cases, the cases page's query)",
            f["cases_s"],
        ),
        secs("the departmental funnel by county", f["funnel_s"]),
        secs("cohort outcomes (who actually fell back) of the previous year", f["outcomes_s"]),
        [
            "pandas agrees with oopwatch (person-year OOP to the cent, set over 10,000 yuan)",
            ("yes" if f["agree"] else "NO")
            + f": {a['person_years']:,} person-years, {a['flagged']:,} flagged",
            "",
            "",
            "",
        ],
        *(
            [
                [
                    "polars agrees with oopwatch (the same)",
                    ("yes" if f["polars_agree"] else "NO")
                    + f": {f['polars_agreement']['person_years']:,} person-years",
                    "",
                    "",
                    "",
                ]
            ]
            if polars
            else []
        ),
    ]
    for name, st in f["dashboard"].items():
        rows.append(
            [
                f"dashboard {name} (p50 / p95)",
                f"{st['p50_ms']:.0f} / {st['p95_ms']:.0f} ms",
                "",
                "",
                "",
            ]
        )
    return rows


def markdown(rows: list[list[str]]) -> str:
    """The rows as a Markdown table (as README shows it)."""
    lines = ["| figure | value | vs floor | vs pandas | vs polars |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def disagreement_text(agreement: dict) -> str:
    """What a script (pandas, polars) and oopwatch disagree on, with examples (IDs masked)."""
    lines = [
        f"{agreement['who']} and oopwatch disagree: {agreement['total_disagreements']:,} "
        "person-year totals, "
        f"{agreement['flag_disagreements']:,} person-years flagged by one side only; e.g."
    ]
    lines += [f"  {example}" for example in agreement["examples"]]
    return "\n".join(lines)
