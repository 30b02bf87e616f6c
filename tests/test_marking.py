"""derive check's marks through the real command line: follow-through, the score, a scheme, --tolerance."""

from __future__ import annotations

import json

import pytest

from derive.cli import main

# net_h1 slips (0.3875 for 0.3775); out_h1 = σ(0.3875) and E_total follow from it; dE/dw5 loses its sign
CLAIMS = "net_h1: 0.3875\nout_h1: 0.595680731\nE_total: 0.298458761\ndE/dw5: -0.082167041\nw5_new: 0.35891648\n"


@pytest.fixture
def claims(tmp_path):
    path = tmp_path / "claims.yaml"
    path.write_text(CLAIMS)
    return path


def test_json_report_carries_roots_follow_through_and_score(claims, capsys):
    assert main(["check", "2-2-2", str(claims), "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    statuses = {c["quantity"]: (c["status"], c["roots"], c["points"]) for c in data["claims"]}
    assert statuses == {"net_h1": ("wrong", [], 0), "out_h1": ("follow_through", ["net_h1"], 1),
                        "E_total": ("follow_through", ["net_h1"], 1), "grad_w5": ("wrong", [], 0),
                        "w5_new": ("ok", [], 1)}
    assert data["root_errors"] == [{"name": "net_h1", "follow_through": ["out_h1", "E_total"]},
                                   {"name": "dE/dw5", "follow_through": []}]
    assert (data["score"], data["out_of"], data["first_wrong"]) == (3, 5, "net_h1")


def test_text_report_lists_root_errors_and_the_scheme_sets_the_score(claims, tmp_path, capsys):
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text("points: {E: 4, dE/dw5: 2}\nfollow_through: 0.5\n")
    assert main(["check", "2-2-2", str(claims), "--scheme", str(scheme)]) == 1
    text = capsys.readouterr().out
    assert "follows through from net_h1" in text and "root errors:" in text
    assert "  net_h1 (line 1); follow through: out_h1, E_total" in text
    assert "score: 3.5 of 9 points" in text  # out_h1 ½ + E_total 4·½ + w5_new 1


def test_tolerance_option(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("E_total: 0.2996\n")
    assert main(["check", "2-2-2", str(path)]) == 1
    assert main(["check", "2-2-2", str(path), "--tolerance", "relative=1%"]) == 0
    assert main(["check", "2-2-2", str(path), "--tolerance", "sigfigs=3"]) == 1  # 0.298 to 3 figures
    capsys.readouterr()
    assert main(["check", "2-2-2", str(path), "--tolerance", "wide"]) == 2
    err = capsys.readouterr().err
    assert err == ("derive: error: --tolerance must be one of shown, absolute=0.0005, relative=1%, sigfigs=3 or "
                   "decimals=4; got 'wide'\n")


@pytest.mark.parametrize("text, message", [
    ("rounding: 2\n", "rounding must be a number from 0 to 1 (or true/false); got 2"),
    ("points: {out_o9: 1}\n", "points.out_o9 is not a quantity of this network"),
    ("tolerances: {E: loose}\n", "tolerances.E must be one of shown"),
    ("bonus: 1\n", "bonus is not a scheme setting"),
])
def test_a_bad_scheme_is_one_line_naming_file_line_and_field(tmp_path, capsys, text, message):
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(text)
    path = tmp_path / "c.yaml"
    path.write_text("E_total: 0.2984\n")
    assert main(["check", "2-2-2", str(path), "--scheme", str(scheme)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"derive: error: {scheme}:1: ") and message in err and err.count("\n") == 1
