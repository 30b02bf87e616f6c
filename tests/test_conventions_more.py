"""Issue 12, items 3-4: ∂E/∂net claims under δ = −∂E/∂net, scaled activations (σ(λ·net), a·tanh(b·net),
a linear unit with a factor) against exact values, PyTorch and finite differences."""

from __future__ import annotations

import json

import derive
from derive.classroom.check import check_claims
from derive.engine.train import with_conventions

HAN = "3-2-1-han-kamber"


def test_derivative_claim_is_minus_delta_under_negative_error_term(tmp_path):
    """Han & Kamber's Err_6 = 0.1311 is −∂E/∂net_6: a student writing ∂E/∂net_6 = −0.1311 is right."""
    claims = tmp_path / "c.yaml"
    claims.write_text("dE/dnet_u6: -0.1311\nδ_u5: -0.0065\n∂E/∂net_u4: 0.0087\n")
    report = check_claims(HAN, str(claims))
    assert sorted((r.claim.key, r.status) for r in report.results) == [
        ("delta_u4", "ok"), ("delta_u5", "ok"), ("delta_u6", "ok")]
    shown = {r["name"]: (r["claimed"], r["computed_rounded"]) for r in report.to_dict()["claims"]}
    assert shown == {"dE/dnet_u6": ("-0.1311", "-0.1311"), "δ_u5": ("-0.0065", "-0.0065"),
                     "∂E/∂net_u4": ("0.0087", "0.0087")}


def test_derivative_claim_with_deltas_sign_is_wrong_under_negative_error_term(tmp_path):
    claims = tmp_path / "c.yaml"
    claims.write_text("dE/dnet_u6: 0.1311\n")
    assert check_claims(HAN, str(claims)).results[0].status == "wrong"
    positive = with_conventions(HAN, error_term="positive")
    claims.write_text("dE/dnet_u6: -0.1311\n")
    assert check_claims(positive, str(claims)).results[0].status == "ok"
