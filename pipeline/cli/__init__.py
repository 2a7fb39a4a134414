"""oopwatch command line: every command is thin — parse, call, print. The commands live in
``commands`` (the data flow and its tools) and ``accounts`` (users, audit)."""

from __future__ import annotations

import click

from pipeline.cli import accounts, commands


@click.group()
@click.version_option(package_name="oopwatch")
def main() -> None:
    """oopwatch: out-of-pocket medical cost monitoring for poverty-return risk."""


for command in (
    commands.generate, commands.ingest, commands.serve, commands.flag, commands.rules_group,
    commands.export, commands.whatif_command, commands.returns_command, commands.bench,
    accounts.users, accounts.audit,
):  # fmt: skip
    main.add_command(command)
