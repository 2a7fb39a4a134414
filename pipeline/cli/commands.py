"""The commands of the data flow and its tools: generate, ingest, serve, flag, rules, export,
whatif, returns, bench, warehouse, national. Each is thin: parse, call the stage, print."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from pipeline.cli.options import DEFAULT_DB, db_option, existing, published, refusals


@click.command()
@click.option(
    "--out", "out", type=click.Path(path_type=Path), required=True, help="Folder to write."
)
@click.option("--people", type=click.IntRange(min=1), required=True, help="Number of people.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--weeks",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Write one folder per week of new claims (0: one folder with everything).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date of the last extract (default: today). Same seed and date give the same files.",
)
@click.option(
    "--province", default=None,
    help="Everyone in this province (2-digit code; claim ids C<code>…). Default: four provinces.",
)  # fmt: skip
def generate(
    out: Path, people: int, seed: int, weeks: int, as_of: dt.datetime | None, province: str | None
) -> None:
    """Write realistic synthetic extracts (roster, enrolment, claims)."""
    from pipeline.tools.generate import generate as run

    day = as_of.date() if as_of else dt.date.today()
    if province is not None and (len(province) != 2 or not province.isdigit()):
        click.echo(f"refused: --province {province}: a province is its 2-digit code", err=True)
        raise SystemExit(2)
    try:
        summary = run(out, people=people, seed=seed, weeks=weeks, as_of=day, province=province)
    except ValueError as exc:
        click.echo(f"refused: {exc}", err=True)
        raise SystemExit(2) from None
    for key, value in summary.items():
        click.echo(f"{key}: {value}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option(
    "--kind",
    type=click.Choice(["roster", "enrolment", "claims"]),
    default=None,
    help="Kind of every file given (default: told by each file name's prefix).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
@click.option(
    "--verbose", "-v", is_flag=True, help="Print every internal step (models, counts) as well."
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=lambda: os.environ.get("OOPWATCH_LANG", "zh"),
    show_default="zh, or $OOPWATCH_LANG",
    help="Language of what the import prints.",
)
@click.option(
    "--within",
    default="",
    metavar="CODE",
    help="Refuse the import if any row lies outside this division (a regional upload).",
)
@click.option(
    "--create",
    is_flag=True,
    help="Start a new store at --db (needed when its folder holds other stores).",
)
def ingest(
    paths: tuple[Path, ...], db: Path, kind: str | None, quiet: bool, verbose: bool, lang: str,
    within: str, create: bool,
) -> None:  # fmt: skip
    """Import weekly extracts (files or folders) as one atomic import, then refresh totals."""
    import duckdb

    from pipeline import flow, labels, schema, store
    from pipeline.cli import report

    if not db.exists():
        if store.other_stores(db) and not create:
            click.echo(
                f"refused: {store.missing_store(db)}. To start a new store at {db}, run again "
                "with --create.",
                err=True,
            )
            raise SystemExit(2)
        shown = report.short_path(str(db), 40)
        click.secho(labels.say("ingest.new_store", lang, db=shown), err=True, bold=True)
    progress = report.ImportProgress(enabled=not quiet, lang=lang, verbose=verbose)
    try:
        with progress:
            result = flow.ingest(
                list(paths), db, kind=kind, hooks=progress, command=_command_line(),
                within=within,
            )  # fmt: skip
    except (flow.ImportRefused, store.StoreLocked) as exc:
        _log_import(db, paths, None, f"refused: {str(exc)[:300]}")
        click.echo(labels.say("ingest.refused", lang, detail=exc), err=True)
        raise SystemExit(2) from None
    except flow.ImportOutOfMemory as exc:
        _log_import(db, paths, None, f"failed: out of memory while {exc.step}")
        click.echo(
            labels.say("ingest.out_of_memory", lang, step=exc.step, limit=exc.limit,
                       detail=schema.mask_text(exc.detail.splitlines()[0][:200])),
            err=True,
        )  # fmt: skip
        raise SystemExit(1) from None
    except store.PublishFailed as exc:
        _log_import(db, paths, None, "committed; publishing failed")
        click.echo(labels.say("ingest.publish_failed", lang, detail=exc), err=True)
        raise SystemExit(1) from None
    except (duckdb.Error, OSError) as exc:  # a full disk, say: the transaction is not committed
        message = schema.mask_text(str(exc).splitlines()[0][:300])
        _log_import(db, paths, None, f"failed: {message}")
        click.echo(labels.say("ingest.failed", lang, detail=message), err=True)
        raise SystemExit(1) from None
    files = result.files
    counts = (
        f"read {result.rows_read:,}, loaded {sum(f.rows_loaded for f in files):,}, "
        f"rejected {sum(f.rows_rejected for f in files):,}"
    )
    done = f"import {result.import_id}: {counts}" if result.import_id else "nothing new"
    _log_import(db, paths, result.rows_read, done)
    report.print_summary(result, db, lang)


LOGGED_BY = "OOPWATCH_LOGGED_BY"  # set by a caller that logs the import itself (the dashboard)


def _log_import(db: Path, paths: tuple[Path, ...], rows: int | None, detail: str) -> None:
    """The import in the audit trail (who, which files, what came of it), unless the dashboard
    that ran this command logs it under the signed-in user."""
    import getpass
    import os

    from pipeline.access import activity, auth

    if os.environ.get(LOGGED_BY) or not db.exists():
        return
    target = ", ".join(p.name for p in paths)[:500]
    activity.record(
        db, user=getpass.getuser(), source="cli", action=auth.IMPORT, target=target, rows=rows,
        detail=detail,
    )  # fmt: skip


@click.command()
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    envvar="OOPWATCH_DB",
    help="The store to serve (env OOPWATCH_DB). Without it: ./oopwatch.duckdb, built from the "
    "synthetic sample_data/ when it does not exist yet.",
)
@click.option(
    "--warehouse",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Serve the national dashboard of this warehouse instead (after `oopwatch national "
    "build`; its store, accounts and audit log are WAREHOUSE/national.duckdb's).",
)
@click.option("--port", type=int, default=8501, show_default=True, help="Port to listen on.")
@click.option(
    "--address",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (127.0.0.1: this machine only).",
)
def serve(db: Path | None, warehouse: Path | None, port: int, address: str) -> None:
    """Start the dashboard on the store --db, or on a warehouse's national build (--warehouse).
    With neither and no oopwatch.duckdb here yet, build a demo store from sample_data/ first
    (every page then says it is synthetic data)."""
    from pipeline.serve import serve as run
    from pipeline.serve import serve_warehouse

    if warehouse is not None:
        if db is not None:
            click.echo("refused: give --db (a province's store) or --warehouse, not both", err=True)
            raise SystemExit(2)
        raise SystemExit(serve_warehouse(warehouse, port=port, address=address))
    if db is not None:
        existing(db)
    raise SystemExit(run(db or DEFAULT_DB, port=port, address=address, demo=db is None))


rules_dir_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Rules folder (default: the project's rules/).",
)


@click.command()
@db_option
@rules_dir_option
def flag(db: Path, rules_dir: Path | None) -> None:
    """Evaluate the rules over the current totals now (imports do this by themselves)."""
    from pipeline import models, rules, store
    from pipeline.cli.report import watch_years

    existing(db)
    try:
        ruleset = rules.load(rules_dir or rules.RULES_DIR)
        con = models.open_current(db)
    except rules.RulesError as exc:
        click.echo(f"refused: the rules have problems:\n{exc}", err=True)
        raise SystemExit(2) from None
    except store.StoreLocked as exc:
        click.echo(f"refused: {exc}", err=True)
        raise SystemExit(2) from None
    if store.is_national(con):
        con.close()
        click.echo(
            f"refused: {db} is a national dashboard's store: `oopwatch national build "
            "--warehouse DIR --rules FOLDER` evaluates the rules nationally",
            err=True,
        )
        raise SystemExit(2)
    con.execute("BEGIN TRANSACTION")
    run_id = rules.evaluate(con, ruleset)
    con.execute("COMMIT")
    w = rules.run_summary(con, run_id)
    published(lambda: store.close_and_publish(con, db))
    click.echo(
        f"run {run_id} (rules {ruleset.fingerprint}): by year {watch_years(w['years'])}; all "
        f"years: new {w['new']:,}, continuing {w['continuing']:,}; left the list {w['left']:,}; "
        f"{w['households_without_income']:,} household-years have no income figure"
    )


@click.group(name="rules")
def rules_group() -> None:
    """Check the rules files and show the rules in force in a region."""


@rules_group.command(name="check")
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False))
def rules_check(folder: Path | None) -> None:
    """Validate a rules folder (default: the project's rules/)."""
    from pipeline import rules

    folder = folder or rules.RULES_DIR
    try:
        ruleset = rules.load(folder)
    except rules.RulesError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s) in {folder}", err=True)
        raise SystemExit(1) from None
    policy = ruleset.assistance
    click.echo(
        f"ok: {len(ruleset.rules)} rules, {len(ruleset.regions)} region file(s), "
        f"{len(ruleset.incomes)} reference incomes; assistance policy: {len(policy.items)} "
        f"item(s), {len(policy.caps)} cap(s), {len(policy.tilted)} tilted tier(s) in "
        f"{len(policy.files)} file(s); fingerprint {ruleset.fingerprint}"
    )


@rules_group.command(name="show")
@click.option("--region", default="", help="Province, city, county or township code.")
@click.option("--year", type=int, required=True, help="Year to show the rules of.")
@rules_dir_option
def rules_show(region: str, year: int, rules_dir: Path | None) -> None:
    """Print the rules in force in a region and year, with where each value came from."""
    from pipeline import rules

    try:
        rules.check_region(region)
    except rules.RulesError as exc:
        click.echo(f"refused: {exc}", err=True)
        raise SystemExit(2) from None
    try:
        ruleset = rules.load(rules_dir or rules.RULES_DIR)
    except rules.RulesError as exc:
        click.echo(f"error: the rules have problems:\n{exc}", err=True)
        raise SystemExit(1) from None
    click.echo(rules.describe(ruleset, region, year))


@click.command()
@db_option
@click.option("--year", type=int, required=True, help="Year of the watch-list.")
@click.option(
    "--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True,
    help="File to write: .xlsx (workbook to fill in) or .csv.",
)  # fmt: skip
@click.option("--region", default="", help="Division code prefix: 2, 4, 6, 9 or 12 digits.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--full-ids", "full_ids", is_flag=True, help="Write full resident IDs (logged).")
@click.option(
    "--split", type=click.Choice(["county", "township"]), default=None,
    help="One sheet per county or township (.xlsx only).",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
@click.option(
    "--by-household", "by_household", is_flag=True,
    help="A household's members together (one visit each), the most urgent household first.",
)  # fmt: skip
@click.option("--rule", "rules", multiple=True, help="Only people flagged by this rule id.")
@click.option(
    "--severity", "severities", multiple=True, type=click.Choice(["high", "medium", "low"])
)
@click.option("--status", "statuses", multiple=True, type=click.Choice(["new", "continuing"]))
@click.option("--category", "categories", multiple=True, help="Only this category code.")
@click.option(
    "--outcomes", is_flag=True,
    help="Instead of the list: who actually fell back, of the people first flagged in --year "
    "(.xlsx; no names).",
)  # fmt: skip
def export(
    db: Path, year: int, out: Path, region: str, lang: str, full_ids: bool, split: str | None,
    force: bool, by_household: bool, rules: tuple[str, ...], severities: tuple[str, ...],
    statuses: tuple[str, ...], categories: tuple[str, ...], outcomes: bool,
) -> None:  # fmt: skip
    """Write the watch-list for caseworkers (.xlsx with follow-up columns, or .csv); IDs masked.
    With --outcomes, the cohort outcomes of the year instead."""
    from pipeline.cases import export as exporting

    existing(db)
    if outcomes:
        _export_outcomes(db, year, out, region, lang, force)
        return
    with refusals(exporting.ExportRefused):
        result = exporting.export(
            db, year, out, region=region, lang=lang, full_ids=full_ids, split=split, force=force,
            rules=rules, severities=severities, statuses=statuses, categories=categories,
            by_household=by_household,
        )  # fmt: skip
    severity = ", ".join(f"{s} {n:,}" for s, n in result.by_severity)
    since = (
        f"{result.new_since_previous:,} new since export {result.previous_export_id}"
        if result.previous_export_id
        else "first export of this region and year"
    )
    click.echo(f"wrote {result.file} (export {result.export_id})")
    click.echo(f"rows: {result.rows:,} ({severity}); {since}")
    ids = "FULL (personal data: keep the file safe)" if result.full_ids else "masked"
    click.echo(f"IDs: {ids}")
    click.echo(f"sha256: {result.sha256}")
    click.echo(f"seconds: {result.seconds:.1f}")


def _export_outcomes(db: Path, year: int, out: Path, region: str, lang: str, force: bool) -> None:
    """``export --outcomes``: the cohort outcomes workbook, logged like any export."""
    import datetime as dt
    import getpass
    import hashlib

    from pipeline import store
    from pipeline.access import activity
    from pipeline.cases import export as exporting
    from pipeline.cases import tracking

    if out.suffix.lower() != ".xlsx":
        click.echo(
            f"refused: {out}: the outcomes are a workbook: the name must end in .xlsx", err=True
        )
        raise SystemExit(2)
    if out.exists() and not force:
        click.echo(f"refused: {out} exists already: add --force to overwrite it", err=True)
        raise SystemExit(2)
    try:
        region = exporting.check_region(region)
    except exporting.ExportRefused as exc:
        click.echo(f"refused: {exc}", err=True)
        raise SystemExit(2) from None
    today = dt.date.today()
    opened = store.open_snapshot(db)
    if opened is None:
        click.echo(f"refused: {db} has no readable snapshot yet: import data first", err=True)
        raise SystemExit(2)
    try:
        frame = tracking.outcomes(opened[0], year, region, today)
    finally:
        opened[0].close()
    content = tracking.outcomes_xlsx(frame, year, region, today, lang)
    exporting.write_atomically(out, content)
    sha = hashlib.sha256(content).hexdigest()
    everyone = frame.iloc[0] if len(frame) else None
    activity.record(
        db, user=getpass.getuser(), source="cli", action="export", target=str(out.absolute()),
        filters={"outcomes": True, "year": year, "region": region, "lang": lang},
        rows=len(frame), sha256=sha, detail="cohort outcomes",
    )  # fmt: skip
    click.echo(f"wrote {out} (cohort outcomes of {year}, {region or 'nationwide'})")
    if everyone is None:
        click.echo(f"nobody was first flagged in {year}")
        return
    click.echo(
        f"people first flagged: {int(everyone['people']):,} ({int(everyone['complete']):,} with "
        f"12 months passed); entered monitoring/dibao {int(everyone['included']):,}, risk "
        f"eliminated {int(everyone['eliminated']):,}, poorer category "
        f"{int(everyone['moved_down']):,}, over the line a later year "
        f"{int(everyone['over_later']):,}"
    )


@click.command(name="push")
@db_option
@click.option(
    "--to",
    "department",
    type=click.Choice(["civil", "rural"]),
    required=True,
    help="The department: civil (民政) or rural (农业农村 / 乡村振兴).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="File to write: .xlsx (with the answer columns to fill in) or .csv.",
)
@click.option("--year", type=int, default=None, help="Year (default: the latest with claims).")
@click.option("--region", default="", help="Division code prefix: 2, 4, 6, 9 or 12 digits.")
@click.option(
    "--since-last",
    "since_last",
    is_flag=True,
    help="Only who is new or changed since the previous push to them for the region.",
)
@click.option("--category", "categories", multiple=True, help="Only this category code.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--full-ids",
    "full_ids",
    is_flag=True,
    help="Full resident IDs, where the data-sharing agreement says so (needs --reason).",
)
@click.option("--reason", default=None, help="Why full IDs may be sent (logged).")
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Rules folder (default: the shipped rules/): push.toml's lines.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
def push_command(
    db: Path,
    department: str,
    out: Path,
    year: int | None,
    region: str,
    since_last: bool,
    categories: tuple[str, ...],
    lang: str,
    full_ids: bool,
    reason: str | None,
    rules_dir: Path | None,
    force: bool,
) -> None:
    """Push the warnings to civil affairs or rural revitalisation: 返贫预警 / 致贫预警 per
    rules/push.toml, with answer columns for their decisions; logged with its sha256."""
    from pipeline import rules
    from pipeline.cases import push

    existing(db)
    try:
        ruleset = rules.load(rules_dir or rules.RULES_DIR)
    except rules.RulesError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        raise SystemExit(1) from None
    with refusals(push.PushRefused):
        result = push.push(
            db, ruleset, department, year, out, region=region, lang=lang,
            since_last=since_last, full_ids=full_ids, reason=reason, categories=list(categories),
            force=force,
        )  # fmt: skip
    policy = ruleset.push
    warned = ", ".join(
        f"{w.label_zh} {result.by_warning.get(w.type, 0):,}" for w in policy.warnings
    )
    since = f"previous push {result.previous_id}" if result.previous_id else "first push"
    click.echo(
        f"wrote {result.file} (push {result.push_id}, #{result.seq} to {department}; {since})"
    )
    click.echo(f"rows: {result.rows:,} ({warned})")
    for reason_code, n in result.left_out:
        click.echo(f"  not pushed: {n:,} {reason_code}")
    ids = "FULL (personal data: keep the file safe)" if result.full_ids else "masked"
    click.echo(f"IDs: {ids}")
    click.echo(f"sha256: {result.sha256}")
    click.echo(f"seconds: {result.seconds:.1f}")


@click.command(name="whatif")
@db_option
@click.option(
    "--rules", "rules_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
    required=True, help="The alternative rules folder (lines, shares, assistance policy).",
)  # fmt: skip
@click.option("--year", type=int, default=None, help="Year (default: the latest with claims).")
@click.option("--region", default="", help="Division code prefix: 2, 4, 6, 9 or 12 digits.")
@click.option(
    "--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="Also write the comparison as .xlsx.",
)  # fmt: skip
def whatif_command(
    db: Path, rules_dir: Path, year: int | None, region: str, out: Path | None
) -> None:
    """Evaluate an alternative rules folder against the store, side by side with now; writes
    nothing to the store."""
    from pipeline import rules
    from pipeline.rules import whatif

    existing(db)
    try:
        ruleset = rules.load(rules_dir)
    except rules.RulesError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        raise SystemExit(1) from None
    try:
        result = whatif.whatif(db, ruleset, year, region)
    except whatif.WhatIfRefused as exc:
        click.echo(f"refused: {exc}", err=True)
        raise SystemExit(2) from None
    for line in whatif.report(result):
        click.echo(line)
    if out is not None:
        if out.suffix.lower() != ".xlsx":
            click.echo(f"refused: {out} must end in .xlsx", err=True)
            raise SystemExit(2)
        whatif.write_xlsx(result, out)
        click.echo(f"wrote {out}")


@click.command(name="returns")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@db_option
def returns_command(files: tuple[Path, ...], db: Path) -> None:
    """Read filled-in watch-lists (.xlsx or .csv) back: visit outcomes into the store."""
    from pipeline.cases import returns

    existing(db)
    with refusals(returns.ReturnRefused):
        results = returns.returns(db, list(files))
    for r in results:
        if r.already_returned:
            click.echo(f"{r.file}: already returned {r.already_returned}; nothing changed")
            continue
        unchanged = f" ({r.rows_unchanged:,} already recorded)" if r.rows_unchanged else ""
        click.echo(
            f"{r.file}: read {r.rows_read:,}, loaded {r.rows_loaded:,}{unchanged}, "
            f"rejected {r.rows_rejected:,}, unfilled {r.rows_unfilled:,}"
        )
        if r.reasons:
            top = ", ".join(f"{reason} {n:,}" for reason, n in r.reasons[:5])
            click.echo(f"  rejected: {top} (see table return_rejects)")
        if r.assigned:
            click.echo(f"  assigned: {r.assigned:,} case(s) to the 负责人 written in the file")
        for problem in r.assign_problems[:10]:
            click.echo(f"  warning: {problem}")
        for key, rows in r.conflicts[:10]:
            listed = ", ".join(str(n) for n in rows)
            click.echo(
                f"  warning: case {key} has different answers on rows {listed}; "
                f"row {rows[-1]} stands"
            )


@click.command(name="feedback")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@db_option
@click.option(
    "--department", type=click.Choice(["civil", "rural"]), default=None,
    help="The department of files that do not say (their own extract, no 反馈部门 column).",
)  # fmt: skip
def feedback_command(files: tuple[Path, ...], db: Path, department: str | None) -> None:
    """Read the departments' decisions (a pushed file filled in, or their own extract)."""
    from pipeline.cases import feedback

    existing(db)
    with refusals(feedback.FeedbackRefused):
        results = feedback.feedback(db, list(files), department)
    for r in results:
        if r.already_read:
            click.echo(f"{r.file}: already read {r.already_read}; nothing changed")
            continue
        unchanged = f" ({r.rows_unchanged:,} already recorded)" if r.rows_unchanged else ""
        click.echo(
            f"{r.file}: read {r.rows_read:,}, loaded {r.rows_loaded:,}{unchanged}, "
            f"rejected {r.rows_rejected:,}, unanswered {r.rows_unfilled:,}"
        )
        if r.decisions:
            click.echo("  decisions: " + ", ".join(f"{d} {n:,}" for d, n in r.decisions))
        if r.reasons:
            top = ", ".join(f"{reason} {n:,}" for reason, n in r.reasons[:6])
            click.echo(f"  rejected: {top} (see table feedback_rejects)")


@click.command()
@click.option("--people", type=click.IntRange(min=100), required=True, help="Number of people.")
@click.option(
    "--weeks",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Week folders in the full import (one more is generated for the weekly import).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Generator's seed.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2026-11-20",
    show_default=True,
    help="Date of the last generated extract.",
)
@click.option(
    "--json", "json_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="Also write the figures as JSON here.",
)  # fmt: skip
@click.option(
    "--keep", type=click.Path(path_type=Path, file_okay=False), default=None,
    help="Folder for the extracts (reused while people/seed/weeks/date match) and the store.",
)  # fmt: skip
@click.option("--calls", type=click.IntRange(min=1), default=50, hidden=True)
def bench(
    people: int, weeks: int, seed: int, as_of: dt.datetime, json_file: Path | None,
    keep: Path | None, calls: int,
) -> None:  # fmt: skip
    """Time import, floors, a pandas script, weekly import, rules, dashboard on one data set."""
    import json

    from pipeline.tools import bench as benchmark

    def progress(message: str) -> None:
        click.echo(f"bench: {message}", err=True)

    try:
        figures = benchmark.run(
            people, weeks=weeks, seed=seed, as_of=as_of.date(), keep=keep, calls=calls,
            echo=progress,
        )  # fmt: skip
    except benchmark.BenchError as exc:
        click.echo(f"bench failed: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(benchmark.markdown(figures["table"]))
    click.echo()
    click.echo(f"machine: {figures['machine']}")
    click.echo(f"reproduce: {figures['command']}")
    for key in ("agreement", "polars_agreement"):
        if figures[key]["agree"] is False:
            click.echo(benchmark.disagreement_text(figures[key]))
    if json_file:
        json_file.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        click.echo(f"wrote {json_file}")
    if figures["dashboard_error"]:
        click.echo(f"bench failed: dashboard: {figures['dashboard_error']}", err=True)
        raise SystemExit(1)


@click.group(name="warehouse")
def warehouse_group() -> None:
    """The national warehouse: a province's store as Hive-partitioned Parquet."""


@warehouse_group.command(name="publish")
@db_option
@click.option(
    "--to", "to", type=click.Path(path_type=Path, file_okay=False), required=True,
    help="The warehouse folder (created if missing).",
)  # fmt: skip
@click.option(
    "--province", default=None,
    help="The province's 2-digit code (default: the one its people live in).",
)  # fmt: skip
@click.option(
    "--replace", is_flag=True,
    help="The folder holds this province from another store: remove it, publish this one.",
)  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
def warehouse_publish(db: Path, to: Path, province: str | None, replace: bool, quiet: bool) -> None:
    """Publish the store's current snapshot to the warehouse: the raw rows of imports not
    published yet, and the marts whose content changed (each file written aside, then renamed)."""
    from pipeline import warehouse

    existing(db)

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"  {message}", err=True)

    try:
        report = warehouse.publish(db, to, province, replace=replace, notify=progress)
    except warehouse.WarehouseError as exc:
        click.echo(f"refused: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(
        f"warehouse {report.warehouse}: province {report.province} from {report.snapshot.name}"
    )
    names = sorted(set(report.written) | set(report.unchanged) | set(report.removed))
    for name in names:
        files, rows, size = report.written.get(name, [0, 0, 0])
        line = f"  {name}: {files} file(s) written, {rows:,} rows, {size / 1e6:,.1f} MB"
        if name in report.unchanged:
            line += f"; {report.unchanged[name]} partition(s) unchanged"
        if name in report.removed:
            line += f"; {report.removed[name]} partition(s) removed (no rows now)"
        click.echo(line)
    if not report.written:
        click.echo("  nothing changed since the last publish")
    click.echo(f"  {report.seconds:.1f} s")


@click.group(name="national")
def national_group() -> None:
    """The national build over the warehouse, on DuckDB or Spark."""


@national_group.command(name="build")
@click.option(
    "--warehouse", type=click.Path(path_type=Path, file_okay=False, exists=True), required=True,
    help="The warehouse folder (`oopwatch warehouse publish` writes it).",
)  # fmt: skip
@click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
    help="DuckDB on this machine, or Apache Spark (pyspark and a Java 17 runtime).",
)  # fmt: skip
@click.option(
    "--master", default="local[2]", show_default=True,
    help="Spark's master, as spark-submit's --master (yarn, k8s://…, spark://…).",
)  # fmt: skip
@click.option("--year", type=int, default=None, help="Only this year's partitions.")
@click.option(
    "--rules", "rules_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None, help="Rules folder for the national lines (default: the shipped rules).",
)  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
def national_build(
    warehouse: Path, engine: str, master: str, year: int | None, rules_dir: Path | None,
    quiet: bool,
) -> None:  # fmt: skip
    """Build the national person-years, households, unmatched claims, line flags and regional
    figures from every province's partitions (claims in force resolved from the raw rows) into
    WAREHOUSE/national/, then load them into the national dashboard's store
    (WAREHOUSE/national.duckdb, which `oopwatch serve --warehouse` shows)."""
    from pipeline import national
    from pipeline.national import serving

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"  {message}", err=True)

    try:
        report = national.build(
            warehouse, engine, master=master, year=year, rules_dir=rules_dir, notify=progress
        )
    except national.NationalError as exc:
        click.echo(f"refused: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(
        f"national build on {report.engine}: {len(report.provinces)} province(s) "
        f"({', '.join(report.provinces)}), {report.total_seconds:.1f} s"
    )
    for name, rows in report.rows.items():
        written = " (written)" if name in national.WRITTEN else ""
        click.echo(f"  {name}: {rows:,} rows, {report.seconds[name]:.1f} s{written}")
    click.echo(f"  into {warehouse / 'national'}")
    try:
        loaded = serving.load(warehouse, notify=progress)
    except (serving.ServingError, national.NationalError) as exc:
        click.echo(f"refused: the dashboard's store: {exc}", err=True)
        raise SystemExit(2) from None
    if loaded is not None:
        click.echo(
            f"dashboard store {loaded.db}: rule run {loaded.run_id}, "
            f"{loaded.rows['people']:,} people, {loaded.seconds:.1f} s "
            f"(`oopwatch serve --warehouse {warehouse}`)"
        )


def _command_line() -> str:
    import sys

    return " ".join(["oopwatch", *sys.argv[1:]])[:500]
