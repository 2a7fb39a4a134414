"""oopwatch command line: every command is thin — parse, call, print."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

DEFAULT_DB = Path("oopwatch.duckdb")
db_option = click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_DB,
    show_default=True,
    envvar="OOPWATCH_DB",
    help="The store (DuckDB file); env OOPWATCH_DB.",
)


@click.group()
@click.version_option(package_name="oopwatch")
def main() -> None:
    """oopwatch: out-of-pocket medical cost monitoring for poverty-return risk."""


@main.command()
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
def generate(out: Path, people: int, seed: int, weeks: int, as_of: dt.datetime | None) -> None:
    """Write realistic synthetic extracts (roster, enrolment, claims)."""
    from pipeline.generate import generate as run

    day = as_of.date() if as_of else dt.date.today()
    summary = run(out, people=people, seed=seed, weeks=weeks, as_of=day)
    for key, value in summary.items():
        click.echo(f"{key}: {value}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option(
    "--kind",
    type=click.Choice(["roster", "enrolment", "claims"]),
    default=None,
    help="Kind of every file given (default: told by each file name's prefix).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
def ingest(paths: tuple[Path, ...], db: Path, kind: str | None, quiet: bool) -> None:
    """Import weekly extracts (files or folders) as one atomic import, then refresh totals."""
    from pipeline import load, report, store

    progress = report.ImportProgress(enabled=not quiet)
    try:
        with progress:
            result = load.ingest(
                list(paths), db, kind=kind, hooks=progress, command=_command_line()
            )
    except (load.ImportRefused, store.StoreLocked) as exc:
        click.echo(f"refused: {exc}", err=True)
        raise SystemExit(2) from None
    report.print_summary(result, db)


@main.command()
@db_option
@click.option("--port", type=int, default=8501, show_default=True, help="Port to listen on.")
@click.option(
    "--address",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (127.0.0.1: this machine only).",
)
def serve(db: Path, port: int, address: str) -> None:
    """Start the dashboard; with no database yet, build a demo one from sample_data/ first."""
    from pipeline.serve import serve as run

    raise SystemExit(run(db, port=port, address=address))


rules_dir_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Rules folder (default: the project's rules/).",
)


@main.command()
@db_option
@rules_dir_option
def flag(db: Path, rules_dir: Path | None) -> None:
    """Evaluate the rules over the current totals now (imports do this by themselves)."""
    from pipeline import rules, store

    try:
        ruleset = rules.load(rules_dir or rules.RULES_DIR)
        con = store.open_store(db)
    except rules.RulesError as exc:
        click.echo(f"refused: the rules have problems:\n{exc}", err=True)
        raise SystemExit(2) from None
    except store.StoreLocked as exc:
        click.echo(f"refused: {exc}", err=True)
        raise SystemExit(2) from None
    con.execute("BEGIN TRANSACTION")
    run_id = rules.evaluate(con, ruleset)
    con.execute("COMMIT")
    w = rules.run_summary(con, run_id)
    store.close_and_publish(con, db)
    click.echo(
        f"run {run_id} (rules {ruleset.fingerprint}): new {w['new']:,}, continuing "
        f"{w['continuing']:,}; left the list {w['left']:,}; "
        f"{w['households_without_income']:,} household-years have no income figure"
    )


@main.group(name="rules")
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
    click.echo(
        f"ok: {len(ruleset.rules)} rules, {len(ruleset.regions)} region file(s), "
        f"{len(ruleset.incomes)} reference incomes; fingerprint {ruleset.fingerprint}"
    )


@rules_group.command(name="show")
@click.option("--region", default="", help="Province, city, county or township code.")
@click.option("--year", type=int, required=True, help="Year to show the rules of.")
@rules_dir_option
def rules_show(region: str, year: int, rules_dir: Path | None) -> None:
    """Print the rules in force in a region and year, with where each value came from."""
    from pipeline import rules

    try:
        ruleset = rules.load(rules_dir or rules.RULES_DIR)
    except rules.RulesError as exc:
        click.echo(f"error: the rules have problems:\n{exc}", err=True)
        raise SystemExit(1) from None
    click.echo(rules.describe(ruleset, region, year))


def _command_line() -> str:
    import sys

    return " ".join(["oopwatch", *sys.argv[1:]])[:500]


if __name__ == "__main__":
    main()
