"""The engine (local/analysis/engine.py): tiers, presets, invariances and honesty."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pennylane_qoro.local.analysis.engine import analyze
from pennylane_qoro.local.analysis.submission import parse_submission

from .oracles import CYCLE5, brute_energies, random_terms, submit


class TestWorkedExample:
    def test_worked_example_of_the_design_document(self):
        """Test §3.12's prototype numbers on the 5-cycle-plus-chord MaxCut."""
        resp = analyze(parse_submission(
            {"qubo": CYCLE5, "reference_states": ["10100"], "options": {"preset": "deep"}}))
        h, rep = resp["hardness"], resp["report"]
        loc = rep["local"]
        assert h["energy_min"] == -6.0 and h["energy_max"] == 0.0
        assert set(loc["spectrum"]["ground_states"]) == {"11010", "00101"}
        assert h["cost_gap"] == 0.5 and h["cost_gap_normalized"] == pytest.approx(1 / 12)
        assert h["global_flip_symmetric"] is True
        assert loc["spectrum"]["n_local_minima"] == 4
        assert h["frustration_index"] == pytest.approx(1 / 7)
        assert h["treewidth_estimate"] == 2 and h["difficulty"] == "easy"
        assert rep["approximation_ratio"] == pytest.approx(0.852, abs=2e-3)
        assert loc["reference_states"][0]["rank"] == 7
        ids = {r["id"] for r in resp["recommendations"]}
        assert {"exact_solved", "certified_easy", "reference_suboptimal", "flip_symmetry",
                "degenerate", "p1_weak", "circuit_cost"} <= ids


class TestTiersAndHonesty:
    def test_heuristic_tier_reports_nulls_and_intervals(self):
        """Test that above the exact tier nothing spectral is invented and SA finds the optimum."""
        n = 14
        terms = random_terms(n, seed=21, density=0.3)
        resp = analyze(submit(terms, ["0" * n], preset="deep"), exact_max_n=8)
        h, rep = resp["hardness"], resp["report"]
        assert rep["local"]["tier"] == "heuristic" and rep["local"]["spectrum"] is None
        assert h["cost_spectrum_estimated"] is True
        assert h["cost_gap"] is None and h["ground_state_degeneracy"] is None
        assert rep["formulation_quality"] is None and rep["approximation_ratio"] is None
        lo, hi = rep["local"]["qaoa"]["approximation_ratio_interval"]
        assert lo <= hi
        assert rep["local"]["reference_states"][0]["estimated"] is True
        assert rep["local"]["reference_states"][0]["rank"] is None
        # SA/greedy agree with the exact optimum on this instance
        assert rep["classical_baseline"]["best_energy"] == pytest.approx(
            brute_energies(n, terms).min())

    def test_presets_shape_the_response_like_the_cloud(self):
        """Test fast/standard without hardness, deep with hardness and certificate."""
        fast = analyze(parse_submission({"qubo": CYCLE5, "options": {"preset": "fast"}}))
        std = analyze(parse_submission({"qubo": CYCLE5}))
        deep = analyze(parse_submission({"qubo": CYCLE5, "options": {"preset": "deep"}}))
        assert fast["hardness"] is None and "certificate" not in fast["report"]
        assert fast["report"]["regime"] == "exact"
        assert fast["report"]["energy_landscape"] is None
        assert std["hardness"] is None and std["report"]["structural_sensitivity"]
        assert deep["hardness"]["method"] == "local-v1"
        assert {"certificate", "classical_baseline", "formulation_quality"} <= set(deep["report"])

    def test_invariance_under_scaling_and_relabelling(self):
        """Test that scaling keeps delta, r and difficulty; relabelling keeps the spectrum."""
        n = 8
        terms = random_terms(n, seed=9)
        perm = np.random.default_rng(0).permutation(n)
        scaled = {k: 3 * v for k, v in terms.items()}
        relabelled = {tuple(sorted(int(perm[i]) for i in k)): v for k, v in terms.items()}
        a, b, c = (analyze(submit(t, preset="deep")) for t in (terms, scaled, relabelled))
        assert b["hardness"]["cost_gap_normalized"] == pytest.approx(
            a["hardness"]["cost_gap_normalized"])
        assert b["report"]["approximation_ratio"] == pytest.approx(
            a["report"]["approximation_ratio"], abs=1e-6)
        assert b["hardness"]["difficulty"] == a["hardness"]["difficulty"]
        for key in ("energy_min", "energy_max", "ground_state_degeneracy", "cost_gap"):
            assert c["hardness"][key] == pytest.approx(a["hardness"][key])

    def test_response_is_strict_json_and_deterministic(self):
        """Test allow_nan=False serialisation and identical results for identical input."""
        sub = submit(random_terms(10, seed=1), preset="deep")
        one, two = analyze(sub), analyze(sub)
        for r in (one, two):
            r["report"]["local"].pop("timings")
        assert json.dumps(one, allow_nan=False) == json.dumps(two, allow_nan=False)
