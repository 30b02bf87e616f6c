"""The Python API's Problem: gradients of a batch, one numbering of the examples, helpful KeyErrors."""

from __future__ import annotations

import pytest
import sympy as sp

import derive
from derive.errors import SpecError

BATCH = {"batch": [{"inputs": [0.5, 0.1], "targets": [1]}, {"inputs": [0.2, 0.7], "targets": [0]},
                   {"inputs": [0.3, 0.3], "targets": [1]}],
         "learning_rate": 0.1,
         "layers": [{"units": 2, "activation": "sigmoid", "weights": [[0.1, -0.2], [0.3, 0.4]], "bias": 0.1},
                    {"units": 1, "activation": "sigmoid", "weights": [[0.5, -0.6]], "bias": 0.2}]}


def at_values(problem, expr):
    """An expression of named quantities, evaluated with the engine's exact values."""
    values = problem.values()
    return expr.xreplace({s: values[s.name] for s in expr.free_symbols})


def same(a, b) -> bool:
    """Equal to the engine's 40 significant digits (sigmoid values are not rational)."""
    return abs(sp.N(a - b, 50)) < sp.Float("1e-35")


def finite_difference(spec, param: str, h: float = 1e-6) -> float:
    """∂E_total/∂param by central differences on the spec itself (independent of the chain rule)."""
    import copy

    def error(delta):
        changed = copy.deepcopy(spec)
        layer, j, k = {"w1": (0, 0, 0), "w4": (0, 1, 1), "w5": (1, 0, 0)}[param]
        changed["layers"][layer]["weights"][j][k] += delta
        return derive.load(changed).value("E_total")

    return (error(h) - error(-h)) / (2 * h)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("param", ["w1", "w4", "w5"])
def test_batch_gradient_is_the_sum_over_the_examples(param, reduction):
    spec = dict(BATCH, reduction=reduction)
    problem = derive.load(spec)
    total = problem.gradient(param)
    assert same(at_values(problem, total), problem.values()[f"grad_{param}"])
    assert float(at_values(problem, total)) == pytest.approx(finite_difference(spec, param), abs=1e-8)
    # every example contributes its own product of factors, not only the first
    per_example = [problem.gradient(param, example=k) for k in (1, 2, 3)]
    assert {s.name.rsplit("__", 1)[1] for s in total.free_symbols} == {"1", "2", "3"}
    assert all(all(s.name.endswith(f"__{k}") for s in factors) for k, factors in zip((1, 2, 3), per_example))
    products = sum(at_values(problem, sp.Mul(*factors)) for factors in per_example)
    assert same(products, at_values(problem, total))


def test_per_example_factors_multiply_to_that_examples_gradient():
    problem = derive.load(BATCH)
    for k in (1, 2, 3):
        factors = problem.gradient("w5", example=k)
        assert same(at_values(problem, sp.Mul(*factors)), problem.values()[f"grad_w5__{k}"])


def test_one_example_keeps_its_list_of_factors():
    problem = derive.load("2-2-2")
    assert problem.gradient("w5") == problem.gradient("w5", example=1) == \
        [sp.Symbol(name, real=True) for name in ("dE_dout_o1", "dout_dnet_o1", "dnet_o1_dw5")]


def test_expanded_per_example_and_in_total():
    problem = derive.load(BATCH)
    assert problem.gradient("w5", expanded=True) == problem.expanded("grad_w5")
    assert problem.gradient("w5", expanded=True, example=2) == problem.expanded("grad_w5__2")


@pytest.mark.parametrize("example", [0, 4, -1, 1.0, True, "1"])
def test_examples_count_from_one(example):
    with pytest.raises(SpecError, match=r"^example must be a whole number from 1 to 3 \(examples count from 1"):
        derive.load(BATCH).gradient("w5", example=example)


def test_a_batch_name_without_its_example_suggests_the_suffixed_ones():
    problem = derive.load(BATCH)
    for ask in (problem.quantity, problem.value, problem.expression):
        with pytest.raises(KeyError, match="did you mean net_h1__1, net_h1__2, net_h1__3"):
            ask("net_h1")
    assert problem.value("net_h1__2") == pytest.approx(0.2 * 0.1 + 0.7 * -0.2 + 0.1)
    with pytest.raises(KeyError, match="no quantity named 'nett_h1'; try one of"):
        problem.quantity("nett_h1")


def test_many_examples_are_named_in_short():
    spec = dict(BATCH, batch=BATCH["batch"] * 3)
    with pytest.raises(KeyError, match=r"did you mean out_o1__1, out_o1__2, out_o1__3, \.\.\., out_o1__9\?"):
        derive.load(spec).quantity("out_o1")


# ---------------------------------------------------------------- errors speak of keywords, the CLI of flags

def _raised_texts(tree):
    """The string pieces of every ``raise`` statement (f-string parts included)."""
    import ast

    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for part in ast.walk(node.exc):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    yield node.lineno, part.value


def test_no_api_error_names_a_command_line_flag():
    """Below the CLI, a message names an option with errors.keyword(), never as "--flag" text."""
    import ast
    import pathlib
    import re

    package = pathlib.Path(derive.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        if "cli" in path.relative_to(package).parts:
            continue
        for line, text in _raised_texts(ast.parse(path.read_text(encoding="utf-8"))):
            if re.search(r"(?<![\w-])--[a-z]", text):
                found.append(f"{path.relative_to(package)}:{line}: {text}")
    assert found == []


def test_an_existing_file_names_force_in_the_api_and_the_flag_on_the_command_line(tmp_path, capsys):
    from derive.cli import main
    from derive.errors import OutputError

    target = tmp_path / "out.md"
    target.write_text("old")
    with pytest.raises(OutputError, match=r"out\.md: exists; pass force=True to overwrite$"):
        derive.solve("2-2-1").write(target)
    assert main(["solve", "2-2-1", "-o", str(target)]) == 2
    assert capsys.readouterr().err.strip().endswith("out.md: exists; pass --force to overwrite")
    assert target.read_text() == "old"


def test_worksheet_options_are_named_by_their_keywords(tmp_path):
    with pytest.raises(SpecError, match=r"^fmt must be one of pdf, moodle; got 'docx'") as info:
        derive.make_worksheets("2-2-2-exercise", seed=1, out_dir=tmp_path, fmt="docx")
    from derive.cli import API_FLAGS

    assert info.value.cli_message(API_FLAGS).startswith("--format must be one of pdf, moodle")
    with pytest.raises(SpecError, match=r"^n must be a whole number of at least 1; got 0"):
        derive.generate_variants("2-2-2-exercise", 0, seed=1)
    with pytest.raises(SpecError, match=r"^carry_rounding must be a whole number from 0 to 30"):
        derive.with_conventions("2-2-2", carry_rounding=-1)
