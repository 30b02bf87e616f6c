"""The command answers --help, --version, examples and a missing file without loading SymPy; examples describe themselves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from derive.spec.examples import describe_example, example_names
from derive.spec.validate import load_spec

ROOT = Path(__file__).resolve().parent.parent

# The real console entry point; at exit (after sys.exit) it reports whether SymPy was ever imported.
WRAPPER = """\
import atexit, sys
atexit.register(lambda: print("sympy imported: " + str("sympy" in sys.modules), file=sys.stderr))
sys.argv[0] = "derive"
from derive.cli import console_main
console_main()
"""


def run_derive(*argv: str, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", WRAPPER, *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


LIGHT = [
    (["--help"], 0, "usage: derive"),
    (["--version"], 0, "derive 0."),
    (["examples"], 0, "2-2-2-exercise"),
    (["solve", "--help"], 0, "--format"),
    (["train", "--help"], 0, "--steps"),
    (["worksheet", "--help"], 0, "--seed"),
    (["check", "--help"], 0, "CLAIMS"),
    (["solve", "missing.yaml"], 2, "derive: error: no such spec file: missing.yaml"),
    (["solve", "2-2-3"], 2, "no such spec file or built-in example: '2-2-3'"),
    (["train", "missing.json", "--steps", "3"], 2, "no such spec file: missing.json"),
    (["worksheet", "missing.yaml", "--seed", "1", "--out", "sheets"], 2, "no such spec file: missing.yaml"),
    (["check", "2-2-2", "missing.yaml"], 2, "no such claims file: missing.yaml"),
]


@pytest.mark.parametrize("argv,code,text", LIGHT, ids=[" ".join(a) for a, _, _ in LIGHT])
def test_answers_without_sympy(tmp_path, argv, code, text):
    done = run_derive(*argv, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert text in done.stdout + done.stderr
    assert "sympy imported: False" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_wrapper_does_see_sympy_when_the_work_needs_it(tmp_path):
    done = run_derive("solve", "2-2-1", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0 and "sympy imported: True" in done.stderr


def test_importing_derive_loads_no_sympy_until_the_api_is_used():
    code = ("import sys, derive; before = 'sympy' in sys.modules; derive.load('2-2-1'); "
            "print(before, 'sympy' in sys.modules, sorted(set(derive.__all__) - set(dir(derive))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["False", "True", "[]"], done.stderr


def test_examples_describe_their_networks():
    for name in example_names():
        text = describe_example(name)
        assert "reference file" not in text
        activations = {layer.activation.replace("relu", "ReLU") for layer in load_spec(name).layers}
        assert all(activation in text for activation in activations) or "randomize:" in text, (name, text)
