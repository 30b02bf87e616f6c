"""An answer key prints each answer exactly as variants.json's ``printed`` has it, to the places it states."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from derive.cli import main


def key_answers(pdf) -> tuple[str, list[str]]:
    """The key's 'Rounded to …' sentence and its answers in reading order (pdftotext -layout)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    answers = text.split("Answers", 1)[1]
    stated = re.search(r"Rounded to (\d+) decimal places?\.", answers).group(0)
    values = [value for line in answers.splitlines() if "=" in line
              for value in re.findall(r"= (\S+)", line)]
    return stated, values


@pytest.mark.parametrize("decimals", [6, 3])
def test_the_key_shows_what_variants_json_prints(tmp_path, decimals):
    out = tmp_path / "sheets"
    assert main(["worksheet", "2-2-2-exercise", "-n", "2", "--seed", "5", "--out", str(out), "--decimals",
                 str(decimals), "--ask", "forward,E_total,grad:*,updated:w1", "--quiet"]) == 0
    data = json.loads((out / "variants.json").read_text())
    for variant in data["variants"]:
        stated, shown = key_answers(out / f"variant-{variant['index']:02d}-key.pdf")
        assert stated == f"Rounded to {decimals} decimal places."
        asked = [variant["answers"][key]["printed"] for key in data["asked"]]
        assert len(asked) > 10 and data["decimals"] == decimals
        assert shown == [text.replace("-", "−") for text in asked]  # TeX sets '-' as the minus sign
        assert all(re.fullmatch(rf"-?\d+\.\d{{{decimals}}}", text) for text in asked), asked
