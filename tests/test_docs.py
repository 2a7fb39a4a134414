"""The documentation a newcomer reads: a short README that starts with the two commands, and
docs/ kept current with the CLI and the store (every command, option, table and view)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import click
import duckdb

from pipeline import flow
from pipeline.cli import main
from tests.conftest import CLAIM_HEADER, ROSTER_HEADER, make_id, write_csv

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def every_command(group: click.Group, prefix: str = "oopwatch") -> dict[str, click.Command]:
    found = {}
    for name, command in group.commands.items():
        found[f"{prefix} {name}"] = command
        if isinstance(command, click.Group):
            found |= every_command(command, f"{prefix} {name}")
    return found


def test_readme_is_short_and_starts_with_the_two_commands() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    block = text.split("```")[1]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()[1:]] == [
        "uv run oopwatch serve",
        "uv run pytest",
    ]


def test_every_command_and_option_is_in_the_cli_reference() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = []
    for path, command in every_command(main).items():
        if f"## `{path}`" not in text:
            missing.append(path)
        for option in command.params:
            for flag in getattr(option, "opts", []):
                shown = isinstance(option, click.Option) and not option.hidden
                if shown and flag.startswith("--") and flag not in text:
                    missing.append(f"{path} {flag}")
    assert missing == []
    made = runpy.run_path(str(REPO / "scripts" / "cli_reference.py"))["main_text"]()
    assert text == made, "docs/cli.md is behind the CLI: uv run python scripts/cli_reference.py"


def test_the_contract_names_every_command_table_view_and_reject_reason(tmp_path: Path) -> None:
    text = (DOCS / "contract.md").read_text(encoding="utf-8")
    commands = [p for p in every_command(main) if f"`{p}" not in text and p.split()[1] != "users"]
    assert commands == []
    db = tmp_path / "oopwatch.duckdb"
    person = make_id(1)
    write_csv(tmp_path / "w" / "roster.csv", ROSTER_HEADER,
              [(person, "张三", "H1", "230124100201", "dibao")])  # fmt: skip
    write_csv(tmp_path / "w" / "claims.csv", CLAIM_HEADER,
              [("C1", person, "2026-03-01", "inpatient", "12000.00", "0", "0", "0")])  # fmt: skip
    flow.ingest([tmp_path / "w"], db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            """SELECT table_name FROM duckdb_tables() WHERE NOT temporary
               UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary"""
        ).fetchall()]  # fmt: skip
        meta = [r[0] for r in con.execute("SELECT key FROM meta").fetchall()]
    finally:
        con.close()
    assert sorted(n for n in names + meta if f"`{n}`" not in text) == []
    reasons = set(re.findall(r"(?<![a-z_])problem\('([a-z_]+)'", "".join(
        p.read_text(encoding="utf-8") for p in (REPO / "pipeline" / "sql").rglob("*.sql")
    )))  # fmt: skip
    reasons -= {"missing_", "unknown_"}  # templates: missing_<column>, unknown_<column>
    assert sorted(r for r in reasons if f"`{r}`" not in text) == []


def test_links_in_the_readme_and_docs_lead_somewhere() -> None:
    broken = []
    for page in [REPO / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not target.startswith("http") and not (page.parent / target).exists():
                broken.append(f"{page.name}: {target}")
    assert broken == []
