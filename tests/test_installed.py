"""Installed use: from a built wheel in a new virtual environment (no repository around it),
`oopwatch serve` builds its demo store and `oopwatch bench --people 2000` runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(*args: str | Path, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={k: v for k, v in os.environ.items() if not k.startswith(("OOPWATCH_", "VIRTUAL_"))},
    )  # fmt: skip
    assert done.returncode == 0, f"{args}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_a_wheel_serves_its_demo_and_runs_the_bench(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    assert uv, "uv is on PATH wherever the tests run (.ci/run installs it)"
    run(uv, "build", "--wheel", "--out-dir", tmp_path / "dist", cwd=REPO)
    (wheel,) = (tmp_path / "dist").glob("oopwatch-*.whl")
    # the locked versions: their wheels are in uv's cache (`uv sync` put them there)
    locked = run(uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project",
                 cwd=REPO).stdout  # fmt: skip
    (tmp_path / "locked.txt").write_text(locked, encoding="utf-8")
    venv = tmp_path / "venv"
    run(uv, "venv", "--quiet", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(uv, "pip", "install", "--quiet", "--python", python,
        "-r", tmp_path / "locked.txt", wheel, cwd=tmp_path)  # fmt: skip
    oopwatch = venv / "bin" / "oopwatch"
    work = tmp_path / "elsewhere"
    work.mkdir()

    # serve's first step: the demo store from the packaged sample data, published
    probe = (
        "from pathlib import Path\n"
        "from pipeline import serve\n"
        "print(serve.ensure_snapshot(Path('oopwatch.duckdb').absolute()))\n"
        "print(serve.SAMPLE_DATA)\n"
        "print(serve.APP.is_file())\n"
    )
    done = run(python, "-c", probe, cwd=work)
    snapshot, sample, app = done.stdout.strip().splitlines()[-3:]
    assert Path(snapshot).is_file() and str(venv) in sample and app == "True", done.stdout
    assert "building a demo database of SYNTHETIC data" in done.stderr

    bench = run(oopwatch, "bench", "--people", "2000", "--weeks", "2", cwd=work, timeout=900)
    assert "pandas agrees with oopwatch" in bench.stdout and "| yes:" in bench.stdout, bench.stdout
    # polars is a dev dependency: the wheel's bench leaves it out and says so
    assert "| polars script | not installed (a dev dependency) |" in bench.stdout, bench.stdout
