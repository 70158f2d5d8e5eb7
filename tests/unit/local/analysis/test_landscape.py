"""The p=1 QAOA stage (local/analysis/landscape.py): refusals instead of estimates."""

from __future__ import annotations

from pennylane_qoro.local.analysis.engine import analyze

from .oracles import random_terms, submit


class TestRegime:
    def test_hubo_beyond_statevector_is_refused_not_estimated(self):
        """Test a large HUBO: regime refuse, every QAOA number null."""
        terms = random_terms(9, seed=2, cubic=0.2)
        rep = analyze(submit(terms), exact_max_n=6)["report"]
        assert rep["regime"] == "refuse" and rep["refuse_reason"] == "hubo_beyond_statevector"
        assert rep["approximation_ratio"] is None and rep["best_parameters"] is None
