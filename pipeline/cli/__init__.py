"""oopwatch command line: every command is thin — parse, call, print. The commands live in
``commands`` (the data flow and its tools) and ``accounts`` (users, audit)."""

from __future__ import annotations

import click

from pipeline.cli import accounts, commands


class _Commands(click.Group):
    """The commands, with DuckDB running out of memory in any of them said in one message
    (the import names its own step, see ``ingest``), never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        import duckdb

        try:
            return super().invoke(ctx)
        except duckdb.OutOfMemoryException as exc:
            from pipeline import labels, schema
            from pipeline.store import db

            command = ctx.invoked_subcommand or ctx.info_name or "oopwatch"
            detail = schema.mask_text(str(exc).splitlines()[0][:200])
            lang = "en" if _env_lang() == "en" else "zh"
            click.echo(
                labels.say("command.out_of_memory", lang, command=command,
                           limit=db.MEMORY_LIMIT, detail=detail),
                err=True,
            )  # fmt: skip
            raise SystemExit(1) from None


def _env_lang() -> str:
    import os

    return os.environ.get("OOPWATCH_LANG", "zh")


@click.group(cls=_Commands)
@click.version_option(package_name="oopwatch")
def main() -> None:
    """oopwatch: out-of-pocket medical cost monitoring for poverty-return risk."""


for command in (
    commands.generate, commands.ingest, commands.serve, commands.flag, commands.rules_group,
    commands.export, commands.push_command, commands.feedback_command, commands.whatif_command,
    commands.returns_command, commands.bench,
    commands.warehouse_group, commands.national_group,
    accounts.users, accounts.audit,
):  # fmt: skip
    main.add_command(command)
