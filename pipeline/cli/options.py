"""What the commands share: the --db option, and the refusals every command prints alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def existing(db: Path) -> Path:
    """``db`` if the store exists; else a one-line refusal (exit 2): only ingest creates one."""
    from pipeline import store

    try:
        store.require(db)
    except store.StoreMissing as exc:
        click.echo(f"refused: {exc}", err=True)
        raise SystemExit(2) from None
    return db


def published(step: Callable[[], object]) -> None:
    """Run a publishing step; a failed publish (a full disk) is one line and exit 1."""
    from pipeline import store

    try:
        step()
    except store.PublishFailed as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None


@contextmanager
def refusals(*refused: type[BaseException]) -> Iterator[None]:
    """Around a writing command's step: its refusals (and a store held by another process) are
    one line and exit 2, a failed publish one line and exit 1; never a traceback."""
    from pipeline import store

    try:
        yield
    except (*refused, store.StoreLocked) as exc:
        click.echo(f"refused: {exc}", err=True)
        raise SystemExit(2) from None
    except store.PublishFailed as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
