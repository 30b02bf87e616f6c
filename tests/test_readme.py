"""The README's commands work as written (its Python examples run as doctests)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def console_commands() -> list[str]:
    commands = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append(line[2:].split("  #")[0].strip())
    return commands


def setup_commands() -> list[str]:
    """The two commands on the README's first lines (indented code), without the set-up script."""
    lines = [line.strip() for line in README.splitlines()[:8] if line.startswith("    ")]
    assert len(lines) == 2 and all(line.startswith("bash setup.sh && ") for line in lines), lines
    return [line.removeprefix("bash setup.sh && ") for line in lines]


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    command = command.replace("tests/data/", f"{ROOT}/tests/data/")
    argv = shlex.split(command)
    if argv[0] in ("derive", ".venv/bin/derive"):  # this tree's code, in whichever environment runs the tests
        argv = [sys.executable, "-m", "derive", *argv[1:]]
    elif argv[:2] == [".venv/bin/python", "-m"]:
        argv[0] = sys.executable
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_main_command_writes_the_worked_solution(tmp_path):
    main_command = setup_commands()[0]
    for part in main_command.split(" && "):
        result = run(part, tmp_path)
        assert result.returncode == 0, (part, result.stderr)
    assert "0.000438568" in (tmp_path / "2-2-2.md").read_text()
    assert (tmp_path / "2-2-2.pdf").read_bytes().startswith(b"%PDF-")


def test_ci_runs_the_readme_commands_as_written():
    readme = [line.strip() for line in README.splitlines()[:8] if line.startswith("    ")]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line and not line.startswith(("#", "set ", "cd "))]
    assert ci == readme
    assert setup_commands()[1] == ".venv/bin/python -m pytest"


def test_the_first_command_writes_where_git_ignores():
    outputs = [argv[argv.index("-o") + 1] for argv in map(shlex.split, setup_commands()[0].split(" && "))]
    assert outputs == ["2-2-2.md", "2-2-2.pdf"]
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: .gitignore cannot be asked")
    done = subprocess.run(["git", "check-ignore", "--no-index", *outputs, ".venv/bin/derive"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.stdout.split() == [*outputs, ".venv/bin/derive"], done.stderr


@pytest.mark.parametrize("command", console_commands())
def test_console_example_runs(command, tmp_path):
    result = run(command, tmp_path)
    expected = (0, 1) if command.startswith("derive check") else (0,)
    assert result.returncode in expected, (command, result.stderr)
    assert "Traceback" not in result.stderr


def test_excerpt_is_copied_from_the_gallery():
    """The README shows lines of the generated 2-2-2 solution, not hand-typed numbers."""
    excerpt = re.search(r"goes on after the problem statement like this:\n\n```\n(.*?)```", README, re.S).group(1)
    assert excerpt.strip() and excerpt in (ROOT / "outputs" / "2-2-2-scalar.md").read_text(encoding="utf-8")
