"""The recommendations (local/analysis/recommendations.py) cite real paths and values."""

from __future__ import annotations

import pytest

from pennylane_qoro.local.analysis.engine import analyze
from pennylane_qoro.local.analysis.submission import parse_submission

from .oracles import CYCLE5, get_path


class TestRecommendations:
    def test_recommendations_cite_a_real_path_and_its_value(self):
        """Test that every recommendation's metric resolves and carries the firing value."""
        resp = analyze(parse_submission(
            {"qubo": CYCLE5, "reference_states": ["10100"], "options": {"preset": "deep"}}))
        assert resp["recommendations"]
        for rec in resp["recommendations"]:
            assert rec["level"] in ("info", "warn", "action")
            assert "<" not in rec["text"] and "<strong>" in rec["html"]
            value = get_path(resp, rec["metric"])
            assert value == rec["value"] or value == pytest.approx(rec["value"])
