"""A corpus of hand-built claims files (tests/claims_corpus/), each with the verdict every claim must get.

Each file says in comments what it is and what the checker must find::

    # spec: 2-2-2                      (the default; JSON files cannot carry comments)
    # conventions: carry_rounding=2    (optional: with_conventions arguments)
    # tolerance: relative=1%           (optional: check_claims' tolerance)
    # expect: KEY ok MATCH             (rounded, truncated or carried)
    # expect: KEY wrong KIND           (the first explanation's kind, or none)
    # expect: KEY follow_through ROOT  (the names of the root errors, comma-separated)

Every claim not listed must be ok. The numbers come from the reference tutorials' printed values
or were worked by hand (plain float arithmetic, independently of derive).
"""

from __future__ import annotations

import pathlib

import pytest

from derive.classroom.check import check_claims
from derive.engine.train import with_conventions

CORPUS = pathlib.Path(__file__).parent / "claims_corpus"
FILES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".json"))


def header(path: pathlib.Path) -> tuple[dict, dict]:
    settings, expected = {"spec": "2-2-2"}, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# "):
            continue
        name, _, value = line[2:].partition(": ")
        if name == "expect":
            key, status, detail = value.split(" ", 2)
            expected[key] = (status, detail)
        elif name in ("spec", "conventions", "tolerance"):
            settings[name] = value
    return settings, expected


def test_the_corpus_is_large_and_covers_every_verdict():
    assert len(FILES) >= 30
    statuses = {status for path in FILES for status, _ in header(path)[1].values()}
    kinds = {detail for path in FILES for status, detail in header(path)[1].values() if status == "wrong"}
    assert statuses == {"ok", "wrong", "follow_through"}
    assert {"sign", "decimal_place", "digit", "swap", "given_typo", "given_changed", "stale", "transposed_index",
            "convention", "carry_rounding", "none"} <= kinds


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_claim_gets_its_verdict(path):
    settings, expected = header(path)
    spec = settings["spec"]
    if "conventions" in settings:
        name, _, value = settings["conventions"].partition("=")
        spec = with_conventions(spec, **{name: int(value) if value.isdigit() else value})
    report = check_claims(spec, str(path), tolerance=settings.get("tolerance"))
    assert set(expected) <= {r.claim.key for r in report.results}, "an expectation names no claim"
    for result in report.results:
        status, detail = expected.get(result.claim.key, ("ok", None))
        where = f"{path.name}: {result.claim.name}"
        assert result.status == status, (where, result.status, result.explanation, result.roots)
        if status == "ok" and detail:
            assert result.match == detail, (where, result.match)
        elif status == "wrong":
            kind = result.explanation.kind if result.explanation else "none"
            assert kind == detail, (where, result.explanation)
        elif status == "follow_through":
            assert set(result.roots) == set(detail.split(",")), (where, result.roots)
    roots = [r.claim.key for r in report.results if r.status == "wrong"]
    assert [r.claim.key for r, _ in report.root_errors()] == roots
