"""The README's commands work as written (its Python examples run as doctests)."""

from __future__ import annotations

import re
import shlex
from fractions import Fraction
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


def readme_files() -> dict[str, str]:
    """The README's YAML blocks that name their file on the first line (``# my-net.yaml``)."""
    blocks = re.findall(r"```yaml\n# ([\w.-]+\.yaml)\n(.*?)```", README, re.S)
    return {name: f"# {name}\n{text}" for name, text in blocks}


@pytest.mark.parametrize("command", console_commands())
def test_console_example_runs(command, tmp_path):
    for name, text in readme_files().items():  # the files the examples name, as the README shows them
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = run(command, tmp_path)
    expected = (0, 1) if command.startswith("derive check") else (0,)
    assert result.returncode in expected, (command, result.stderr)
    assert "Traceback" not in result.stderr


def test_excerpt_is_copied_from_the_gallery():
    """The README shows lines of the generated 2-2-2 solution, not hand-typed numbers."""
    excerpt = re.search(r"goes on after the problem statement like this:\n\n```\n(.*?)```", README, re.S).group(1)
    assert excerpt.strip() and excerpt in (ROOT / "outputs" / "2-2-2-scalar.md").read_text(encoding="utf-8")


def test_the_worksheet_example_draws_from_its_randomize_block(tmp_path):
    import json

    (tmp_path / "my-net.yaml").write_text(readme_files()["my-net.yaml"], encoding="utf-8")
    command = next(c for c in console_commands() if c.startswith("derive worksheet my-net.yaml"))
    assert run(command, tmp_path).returncode == 0
    data = json.loads((tmp_path / "my-sheets" / "variants.json").read_text())
    first, second = (variant["parameters"] for variant in data["variants"])
    assert first["w1"] != second["w1"] and first["b1"] == second["b1"] == "0.1"  # weights drawn, biases kept
    assert all(len(first[w].split(".")[1]) == 2 for w in ("w1", "w2", "w9"))  # decimals: 2
    assert len(first["x1"].split(".")[1]) == 1  # the inputs' own decimals: 1


def test_the_documented_learning_rate_default_is_the_validators():
    from derive.spec import load_spec

    line = next(line for line in README.splitlines() if line.startswith("learning_rate:"))
    documented = re.search(r"# default (\S+)", line).group(1)
    spec = load_spec({"inputs": [1], "targets": [1], "layers": [{"units": 1, "activation": "linear",
                                                                 "weights": [[1]]}]})
    assert spec.learning_rate == Fraction(documented)
