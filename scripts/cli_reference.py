"""Write docs/cli.md: every command of `oopwatch` with its arguments and options, from the CLI
itself (click's own help). Run after changing a command:

    uv run python scripts/cli_reference.py > docs/cli.md
"""

from __future__ import annotations

import click

from pipeline.cli import main

INTRO = """# Command reference

Every command of `oopwatch`, as `oopwatch COMMAND --help` prints it. `--db` defaults to
`oopwatch.duckdb` in the current folder (or `$OOPWATCH_DB`); only `ingest` creates a store, every
other command refuses one that does not exist. Exit codes: 0 done, 2 refused (nothing changed;
the message says why), 1 failed after a change was committed (e.g. a full disk while
publishing; the next command catches up). Made by `scripts/cli_reference.py`;
`tests/test_docs.py` checks that every command and option is here.
"""


def commands(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
    """(full name, command) of every command below ``group``, groups' own help first."""
    found = []
    for name in sorted(group.commands):
        command = group.commands[name]
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += commands(command, path)
    return found


def section(path: str, command: click.Command) -> str:
    ctx = click.Context(command, info_name=path)
    usage = command.get_usage(ctx).replace("Usage: ", "")
    lines = [f"## `{path}`", "", "```", usage, "```", "", command.help or "", ""]
    rows = [p for p in command.params if isinstance(p, click.Option)]
    args = [p for p in command.params if isinstance(p, click.Argument)]
    for arg in args:
        lines.append(
            f"- `{arg.human_readable_name}`" + (" (one or more)" if arg.nargs == -1 else "")
        )
    for option in rows:
        record = option.get_help_record(ctx)
        if record:
            flags, text = record
            lines.append(f"- `{flags}`: {text}")
    return "\n".join(lines).rstrip() + "\n"


def main_text() -> str:
    parts = [INTRO]
    for path, command in commands(main, "oopwatch"):
        parts.append(section(path, command))
    return "\n".join(parts)


if __name__ == "__main__":
    print(main_text(), end="")
