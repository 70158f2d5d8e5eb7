"""The result container (characterization/result.py): accessors, fallbacks, rendering."""

from __future__ import annotations

import numpy as np
import pytest

from pennylane_qoro.characterization import CharacterizationResult, canonicalize
from pennylane_qoro.local.analysis.engine import analyze
from pennylane_qoro.local.analysis.submission import parse_submission


def local_result(**kw) -> CharacterizationResult:
    prob = canonicalize({(0,): -2.5, (1,): -3.0, (0, 1): 2.0, (): 1.5})
    resp = analyze(parse_submission({"qubo": prob.to_legacy(), "reference_states": ["10"],
                                     "options": {"preset": "deep"}}))
    return CharacterizationResult(job_id="abc", status="COMPLETED", problem=prob,
                                  encoding="legacy", reference_states=("10",),
                                  reference_source="user", raw=resp, **resp, **kw)


def test_accessors_read_the_local_report():
    """Test typed accessors on a real local response, with the offset added back."""
    r = local_result()
    assert r.difficulty == "easy" and 0 <= r.hardness_score <= 100
    assert r.regime == "exact" and r.confidence == "proven"
    assert r.best_energy == pytest.approx(-3.5 + 1.5)  # min over {00,10,01,11} + offset
    assert r.offset == 1.5 and r.variables == (0, 1)
    assert 0 <= r.approximation_ratio <= 1 and r.source == "local"
    assert r.relaxation_bound is not None


def test_older_names_are_read_as_fallbacks():
    """Test the seed/July names when the current ones are missing or null."""
    r = CharacterizationResult(
        job_id="x", status="COMPLETED",
        report={"reference_concentration_score": None, "quality_at_best": 71.0,
                "concentration_at_best": 2.5, "sensitivity": [{"qubit": 0, "score": 1.0}]},
        hardness={"degeneracy": 3})
    assert r.quality_score == 71.0
    assert r.concentration_ratio == 2.5
    assert r.structural_sensitivity == [{"qubit": 0, "score": 1.0}]
    assert r.ground_state_degeneracy == 3
    assert r.approximation_ratio is None


def test_qaoa_initial_params():
    """Test (1, 2p) from ar_vs_depth, else best_parameters broadcast, else None."""
    curve = [{"layers": 1, "gammas": [0.1], "betas": [0.2]},
             {"layers": 2, "gammas": [0.1, 0.3], "betas": [0.2, 0.4]}]
    r = CharacterizationResult(job_id="x", status="COMPLETED",
                               report={"ar_vs_depth": curve, "recommended_min_layers": 2})
    assert r.qaoa_initial_params().tolist() == [[0.1, 0.2, 0.3, 0.4]]
    with pytest.raises(ValueError, match="layers=3"):
        r.qaoa_initial_params(3)
    b = CharacterizationResult(job_id="x", status="COMPLETED",
                               report={"best_parameters": {"gamma": 0.5, "beta": 0.25}})
    assert np.array_equal(b.qaoa_initial_params(2), [[0.5, 0.25, 0.5, 0.25]])
    assert CharacterizationResult(job_id="x", status="COMPLETED").qaoa_initial_params() is None


def test_summary_is_readable():
    """Test the text summary: job, problem, offset note, difficulty, recommendations."""
    text = str(local_result())
    assert text.startswith("Characterization abc (COMPLETED, local)")
    assert "constant offset 1.5 not sent" in text
    assert "difficulty (of finding the optimum classically): easy: " in text and "[info]" in text
    assert "hardness: not requested" in str(CharacterizationResult(
        job_id="x", status="COMPLETED", report={"regime": "exact"}))


def test_repr_html_without_a_client_falls_back_to_the_escaped_summary():
    """Test the fallback page (no client to fetch from) escapes the summary."""
    r = CharacterizationResult(job_id="<x>", status="COMPLETED", report={"regime": "exact"})
    page = r._repr_html_()
    assert page.startswith("<pre>") and "&lt;x&gt;" in page and "<x>" not in page


def test_to_dict_carries_the_client_context():
    d = local_result().to_dict()
    assert d["client"]["offset"] == 1.5 and d["client"]["encoding"] == "legacy"
    assert d["hardness"]["method"] == "local-v1"


def test_summary_explains_its_terms():
    """Test each term is said in words where it appears: the encoding, the tier, the regime
    (about <C>, not the optimum), the ratios and the 0-100 score; no bare 'quality score'."""
    text = str(local_result())
    for words in ("sent as a comma-key coefficient dictionary (the 'legacy' wire encoding)",
                  "tier: exact: all 2^n energies enumerated",
                  "<C> at p=1 computed exactly (closed form), confidence proven; this is about "
                  "the QAOA expectation, not about the optimum",
                  "approximation ratio (C_max - <C>) / (C_max - C_min), 1 = always optimal: ",
                  "concentration ratio (probability of the reference states / their uniform "
                  "share |refs|/2^n, 1 = like guessing): ",
                  "reference concentration score (0-100, ",
                  "best energy: -2 (the optimum, exact; offset included)",
                  "recommendations (action: change the problem or the plan"):
        assert words in text, words
    assert "quality score" not in text and "sent as legacy" not in text


def test_summary_of_the_heuristic_tier_says_what_was_not_computed():
    """Test a 24-variable dense QUBO (above the exact tier): the best energy is not claimed
    optimal, the ratio is an interval, and the difficulty names the missing component."""
    rng = np.random.default_rng(5)
    Q = rng.normal(size=(24, 24))
    prob = canonicalize((Q + Q.T) / 2)
    resp = analyze(parse_submission({"qubo": prob.to_legacy(), "reference_states": [],
                                     "options": {"preset": "deep"}}))
    text = str(CharacterizationResult(job_id="d", status="COMPLETED", problem=prob,
                                      encoding="legacy", raw=resp, **resp))
    assert "tier: heuristic: too many variables to enumerate" in text
    assert "not proven optimal: lower bound " in text
    assert "approximation ratio (C_max - <C>) / (C_max - C_min), 1 = always optimal: between " \
        in text
    assert "from 5 of 6 components; not computed: gap (" in text
    assert "gap and optimal assignments need the exact spectrum" in text
    assert "concentration ratio" in text and "(needs the p=1 state probabilities" in text
