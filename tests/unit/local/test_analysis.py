"""The local characterization engine (local/analysis*.py) against brute force.

Every closed form and every reported number is checked against an independent enumeration
(itertools / dense x^T Q x), on seeded random instances and on known ones.
"""

from __future__ import annotations

import itertools
import json
import math
from html.parser import HTMLParser

import numpy as np
import pytest

from pennylane_qoro.local import analysis as A
from pennylane_qoro.local import analysis_report as R
from pennylane_qoro.local.analysis_html import render_html

# §1.4's example: weighted MaxCut on a 5-cycle plus a chord (characterization.md §3.12)
CYCLE5 = {"0": -2.5, "1": -3.0, "2": -3.5, "3": -2.5, "4": -2.5,
          "0,1": 2.0, "0,2": 1.0, "0,4": 2.0, "1,2": 4.0, "2,3": 2.0, "3,4": 3.0}


def random_terms(n: int, seed: int, *, density: float = 0.6, cubic: float = 0.0) -> dict:
    rng = np.random.default_rng(seed)
    terms = {(i,): float(rng.normal()) for i in range(n)}
    for i, j in itertools.combinations(range(n), 2):
        if rng.random() < density:
            terms[(i, j)] = float(rng.normal())
    for t in itertools.combinations(range(n), 3):
        if rng.random() < cubic:
            terms[t] = float(rng.normal())
    return terms


def wire(terms: dict) -> dict:
    return {",".join(map(str, k)): v for k, v in terms.items()}


def brute_energies(n: int, terms: dict, constant: float = 0.0) -> np.ndarray:
    """Independent oracle: E(s) for s = sum x_i 2^i, by a plain loop over the terms."""
    X = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
    out = np.full(2**n, constant)
    for key, c in terms.items():
        out += c * X[:, list(key)].prod(axis=1)
    return out


def submit(terms_or_wire: dict, refs: list[str] | None = None, **options) -> A.Submission:
    q = terms_or_wire if all(isinstance(k, str) for k in terms_or_wire) else wire(terms_or_wire)
    body = {"qubo": q, "reference_states": refs or []}
    if options:
        body["options"] = options
    return A.parse_submission(body)


def get_path(resp: dict, path: str):
    """Resolve a recommendation's metric path like ``report.local.x[2].y``."""
    cur = resp
    for part in path.split("."):
        name, _, idx = part.partition("[")
        cur = cur[name]
        if idx:
            cur = cur[int(idx.rstrip("]"))]
    return cur


class TestExactEnumeration:
    @pytest.mark.parametrize("n", [1, 2, 3, 7, 10])
    @pytest.mark.parametrize("cubic", [0.0, 0.3])
    def test_half_split_gemm_equals_brute_force(self, n, cubic):
        """Test that the vectorised enumeration reproduces every energy, HUBO included."""
        terms = random_terms(n, seed=n, cubic=cubic)
        poly = A.Polynomial.from_terms(n, terms, 0.25)
        assert np.allclose(A.exact_energies(poly), brute_energies(n, terms, 0.25), atol=1e-12)

    @pytest.mark.parametrize("seed", range(6))
    def test_reported_optimum_equals_brute_force(self, seed):
        """Test that the reported optimum and minimisers match brute force, n <= 16."""
        rng = np.random.default_rng(100 + seed)
        n = int(rng.integers(2, 17))
        Q = rng.normal(size=(n, n))
        Q = (Q + Q.T) / 2
        terms = {(i,): Q[i, i] for i in range(n)}
        terms.update({(i, j): 2 * Q[i, j] for i, j in itertools.combinations(range(n), 2)})
        X = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
        oracle = np.einsum("si,ij,sj->s", X, Q, X)  # x^T Q x, independent of the engine
        resp = R.analyze(submit(terms), time_budget=60)
        spec = resp["report"]["local"]["spectrum"]
        assert spec["energy_min"] == pytest.approx(oracle.min(), abs=1e-9)
        assert spec["energy_max"] == pytest.approx(oracle.max(), abs=1e-9)
        ground = {format(s, f"0{n}b")[::-1] for s in np.flatnonzero(oracle <= oracle.min() + 1e-9)}
        assert spec["ground_state_degeneracy"] == len(ground)
        assert set(spec["ground_states"]) <= ground
        assert resp["report"]["local"]["classical_baseline"]["best_energy"] == pytest.approx(
            oracle.min(), abs=1e-9)

    def test_local_minima_count_matches_flip_by_flip_check(self):
        """Test the gather-free local-minimum mask against checking every flip."""
        n = 9
        terms = random_terms(n, seed=3)
        E = brute_energies(n, terms)
        mask = A.count_local_minima(E.copy(), n, 1e-12)
        expected = [all(E[s] <= E[s ^ (1 << i)] + 1e-12 for i in range(n)) for s in range(2**n)]
        assert mask.tolist() == expected

    def test_first_excited_level_and_reference_rank(self):
        """Test gap, rank, ties and Hamming distance of a reference against brute force."""
        n = 8
        terms = {k: round(v) for k, v in random_terms(n, seed=5).items()}  # integer: ties exist
        E = brute_energies(n, terms)
        ref = "10110010"
        s = sum(1 << i for i, ch in enumerate(ref) if ch == "1")
        resp = R.analyze(submit(terms, [ref], preset="deep"))
        loc = resp["report"]["local"]
        levels = np.unique(E)
        assert loc["spectrum"]["cost_gap"] == pytest.approx(levels[1] - levels[0])
        row = loc["reference_states"][0]
        assert row["energy"] == pytest.approx(E[s])
        assert row["rank"] == 1 + int(np.sum(E[s] - 1e-9 > E))
        assert row["ties"] == int(np.sum(np.abs(E - E[s]) <= 1e-9))
        ground = np.flatnonzero(E.min() + 1e-9 >= E)
        assert row["hamming_to_ground"] == min(bin(int(g) ^ s).count("1") for g in ground)
        assert resp["hardness"]["ground_state_degeneracy"] == len(ground)


class TestHeuristicKernels:
    @pytest.mark.parametrize("dense_limit", [0, 1024])
    @pytest.mark.parametrize("cubic", [0.0, 0.3])
    def test_batch_energies_match_brute_force(self, monkeypatch, dense_limit, cubic):
        """Test Polynomial.energies on every state: dense and sparse QUBO paths, HUBO."""
        monkeypatch.setattr(A, "DENSE_FIELD_MAX_N", dense_limit)
        n = 8
        terms = random_terms(n, seed=7, cubic=cubic)
        poly = A.Polynomial.from_terms(n, terms, 0.5)
        X = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
        assert np.allclose(poly.energies(X), brute_energies(n, terms, 0.5))

    @pytest.mark.parametrize("dense_limit", [0, 1024])
    @pytest.mark.parametrize("cubic", [0.0, 0.3])
    def test_descent_and_annealing_end_in_local_minima(self, monkeypatch, dense_limit, cubic):
        """Test the incremental descent (QUBO) and recomputed one (HUBO) stop at 1-flip minima."""
        monkeypatch.setattr(A, "DENSE_FIELD_MAX_N", dense_limit)
        n = 10
        terms = random_terms(n, seed=12, density=0.5, cubic=cubic)
        poly = A.Polynomial.from_terms(n, terms)
        E = brute_energies(n, terms)
        full = A.FieldBlock(poly, np.arange(n))
        rng = np.random.default_rng(0)
        X = A.steepest_descent(poly, rng.integers(0, 2, (16, n)).astype(float), full, 1e-12)
        blocks = [A.FieldBlock(poly, c) for c in A.colour_classes(n, A.interaction_edges(poly))]
        Y, e = A.anneal(poly, blocks, rng, replicas=8, sweeps=50, t0=A.field_scale(poly))
        assert np.allclose(e, poly.energies(Y))
        for x in np.vstack([X, A.steepest_descent(poly, Y, full, 1e-12)]):
            s = int(sum(1 << i for i, v in enumerate(x) if v > 0.5))
            assert all(E[s] <= E[s ^ (1 << i)] + 1e-9 for i in range(n))


class TestIsingAndLandscape:
    @pytest.mark.parametrize("cubic", [0.0, 0.4])
    def test_walsh_form_reproduces_the_energy(self, cubic):
        """Test the Ising/Walsh expansion (x = (1 - z)/2) on every state."""
        n = 7
        terms = random_terms(n, seed=11, cubic=cubic)
        poly = A.Polynomial.from_terms(n, terms, -1.5)
        ising = A.ising_form(poly)
        X = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
        Z = 1 - 2 * X
        E = ising.c0 + Z @ ising.h + (Z[:, ising.J_idx[:, 0]] * Z[:, ising.J_idx[:, 1]]) @ ising.J
        for S, w in ising.higher.items():
            E += w * Z[:, list(S)].prod(axis=1)
        assert np.allclose(E, brute_energies(n, terms, -1.5))

    def test_mean_std_and_autocorrelation_closed_forms(self):
        """Test mu, sigma and rho(1) of §3.6 against enumeration of all states and flips."""
        n = 8
        terms = random_terms(n, seed=2, cubic=0.2)
        E = brute_energies(n, terms)
        s = R._walsh_metrics(R._State(sub=submit(terms), rng=np.random.default_rng(0), seed=0,
                                      ising=A.ising_form(A.Polynomial.from_terms(n, terms))))
        assert s["mean_energy"] == pytest.approx(E.mean())
        assert s["std_energy"] == pytest.approx(E.std())
        # rho(1) = correlation of E(x) and E(x') for x' a uniformly random single flip of x
        cov = np.mean([np.mean((E - E.mean()) * (E[np.arange(2**n) ^ (1 << i)] - E.mean()))
                       for i in range(n)])
        assert s["autocorrelation_rho1"] == pytest.approx(cov / E.var())

    @pytest.mark.parametrize("seed", [0, 1])
    def test_closed_form_p1_equals_statevector(self, seed):
        """Test the p=1 closed form (any n) against the statevector, fields h != 0."""
        n = 6
        terms = random_terms(n, seed=seed, density=0.7)
        poly = A.Polynomial.from_terms(n, terms, 0.3)
        cf = A.ClosedFormP1(A.ising_form(poly), n)
        E = A.exact_energies(poly)
        rng = np.random.default_rng(seed)
        for g, b in rng.uniform(0, 3, size=(5, 2)):
            assert cf.grid(np.array([g]), np.array([b]))[0, 0] == pytest.approx(
                A.qaoa_expectation_sv(E, n, g, b), abs=1e-10)

    def test_statevector_matches_pennylane_qaoa_layers(self):
        """Test the angle convention against qml.qaoa.cost_layer / mixer_layer."""
        qml = pytest.importorskip("pennylane")
        n = 4
        terms = random_terms(n, seed=4)
        poly = A.Polynomial.from_terms(n, terms)
        ising = A.ising_form(poly)
        coeffs = [ising.c0, *ising.h.tolist(), *ising.J.tolist()]
        ops = [qml.Identity(0), *[qml.Z(i) for i in range(n)],
               *[qml.Z(int(i)) @ qml.Z(int(j)) for i, j in ising.J_idx]]
        H = qml.Hamiltonian(coeffs, ops)
        g, b = 0.37, 0.81

        @qml.qnode(qml.device("default.qubit", wires=n))
        def circuit():
            for w in range(n):
                qml.Hadamard(w)
            qml.qaoa.cost_layer(g, H)
            qml.qaoa.mixer_layer(b, qml.qaoa.x_mixer(range(n)))
            return qml.expval(H)

        assert float(circuit()) == pytest.approx(
            A.qaoa_expectation_sv(A.exact_energies(poly), n, g, b), abs=1e-9)

    def test_frustrated_triangles_against_enumeration(self):
        """Test the trace formula: a triangle is frustrated iff its J-sign product is > 0."""
        rng = np.random.default_rng(8)
        n = 9
        pairs = [p for p in itertools.combinations(range(n), 2) if rng.random() < 0.6]
        J = rng.choice([-1.0, 2.0], size=len(pairs))
        idx = np.array(pairs)
        sign = dict(zip(pairs, np.sign(J), strict=True))
        tri = [t for t in itertools.combinations(range(n), 3)
               if all(p in sign for p in itertools.combinations(t, 2))]
        bad = sum(np.prod([sign[p] for p in itertools.combinations(t, 2)]) > 0 for t in tri)
        assert A.frustrated_triangles(n, idx, J) == (len(tri), bad)


class TestStructure:
    @pytest.mark.parametrize("seed", range(5))
    def test_persistencies_keep_an_optimum(self, seed):
        """Test that dominance fixings are met by some optimum (and strict ones by all)."""
        n = 9
        rng = np.random.default_rng(seed)
        terms = {(i,): float(rng.normal() * 3) for i in range(n)}
        terms.update({(i, j): float(rng.normal()) for i, j in itertools.combinations(range(n), 2)
                      if rng.random() < 0.3})
        poly = A.Polynomial.from_terms(n, terms)
        state, _ = A.persistencies(poly)
        E = brute_energies(n, terms)
        ground = np.flatnonzero(E.min() + 1e-9 >= E)
        fixed = np.flatnonzero(state >= 0)
        ok = [all(((g >> i) & 1) == state[i] for i in fixed) for g in ground]
        assert any(ok)

    @pytest.mark.parametrize("seed", range(6))
    def test_balanced_iff_some_switching_makes_all_couplings_nonpositive(self, seed):
        """Test the signed 2-colouring against trying every flip subset."""
        rng = np.random.default_rng(seed)
        n = 6
        pairs = np.array([p for p in itertools.combinations(range(n), 2) if rng.random() < 0.5])
        if len(pairs) == 0:  # keep at least one coupling so the test always checks something
            pairs = np.array([(0, 1)])
        w = rng.choice([-1.0, 1.0], size=len(pairs), p=[0.7, 0.3])
        expected = any(
            all((w[k] if (f >> i & 1) == (f >> j & 1) else -w[k]) <= 0
                for k, (i, j) in enumerate(pairs))
            for f in range(2**n))
        assert A.is_balanced(n, pairs, w) == expected

    @pytest.mark.parametrize("seed", range(4))
    def test_mccormick_bound_is_a_lower_bound(self, seed):
        """Test the LP relaxation never exceeds the true minimum."""
        n = 10
        terms = random_terms(n, seed=seed, density=0.4)
        bound = A.mccormick_bound(A.Polynomial.from_terms(n, terms))
        assert bound <= brute_energies(n, terms).min() + 1e-7

    def test_worked_example_of_the_design_document(self):
        """Test §3.12's prototype numbers on the 5-cycle-plus-chord MaxCut."""
        resp = R.analyze(A.parse_submission(
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

    def test_number_partitioning_is_flip_symmetric(self):
        """Test number partitioning (sum s_i z_i)^2: every state ties with its complement."""
        a = [3.0, 1.0, 1.0, 2.0, 2.0, 1.0]
        n = len(a)
        terms = {(i,): 4 * a[i] * (a[i] - sum(a)) for i in range(n)}
        terms.update({(i, j): 8 * a[i] * a[j] for i, j in itertools.combinations(range(n), 2)})
        resp = R.analyze(submit(terms, preset="deep"))
        assert resp["report"]["local"]["structure"]["global_flip_symmetric"] is True
        assert resp["report"]["local"]["spectrum"]["complement_of_ground_is_ground"] is True
        assert resp["hardness"]["energy_min"] == pytest.approx(-sum(a) ** 2)  # perfect split


class TestPenalty:
    def test_min_feasible_lambda_against_brute_force(self):
        """Test lambda_min: above it every minimiser of C + lambda P is feasible."""
        n = 5
        rng = np.random.default_rng(1)
        cost = {(i,): float(rng.normal() * 2) for i in range(n)}
        cost.update({(i, j): float(rng.normal()) for i, j in itertools.combinations(range(n), 2)})
        # one-hot: (sum x - 1)^2 = 1 - sum x_i + 2 sum_{i<j} x_i x_j
        pen = {(i,): -1.0 for i in range(n)}
        pen.update({(i, j): 2.0 for i, j in itertools.combinations(range(n), 2)})
        w = 0.4
        total = {k: cost.get(k, 0.0) + w * pen.get(k, 0.0) for k in set(cost) | set(pen)}
        resp = R.analyze(A.parse_submission({
            "qubo": wire(total), "reference_states": ["10000"],
            "options": {"analysis": {"penalty_tuning": True},
                        "cost_qubo": wire(cost), "penalty_qubo": wire(pen)}}))
        rep = resp["report"]
        lam = rep["penalty_lambda_min_feasible"]
        C, P = brute_energies(n, cost), brute_energies(n, pen)
        feasible = P.min() + 1e-9 >= P
        assert lam > 0  # this instance needs a penalty: the check below is not vacuous
        for lam_test, expect_feasible in ((lam * 1.01, True), (lam * 0.99, False)):
            E = C + lam_test * P
            argmins = np.flatnonzero(E.min() + 1e-9 >= E)
            assert bool(np.all(feasible[argmins])) is expect_feasible
        assert rep["local"]["penalty"]["current_weight"] == pytest.approx(w)
        assert rep["local"]["reference_states"][0]["feasible"] is True
        assert rep["penalty_lambda_safe"] is not None and rep["penalty_recommendation"] >= lam


class TestTiersAndHonesty:
    def test_heuristic_tier_reports_nulls_and_intervals(self, monkeypatch):
        """Test that above the exact tier nothing spectral is invented and SA finds the optimum."""
        monkeypatch.setattr(A, "EXACT_MAX_N", 8)
        n = 14
        terms = random_terms(n, seed=21, density=0.3)
        resp = R.analyze(submit(terms, ["0" * n], preset="deep"))
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

    def test_hubo_beyond_statevector_is_refused_not_estimated(self, monkeypatch):
        """Test a large HUBO: regime refuse, every QAOA number null."""
        monkeypatch.setattr(A, "EXACT_MAX_N", 6)
        terms = random_terms(9, seed=2, cubic=0.2)
        rep = R.analyze(submit(terms))["report"]
        assert rep["regime"] == "refuse" and rep["refuse_reason"] == "hubo_beyond_statevector"
        assert rep["approximation_ratio"] is None and rep["best_parameters"] is None

    def test_presets_shape_the_response_like_the_cloud(self):
        """Test fast/standard without hardness, deep with hardness and certificate."""
        fast = R.analyze(A.parse_submission({"qubo": CYCLE5, "options": {"preset": "fast"}}))
        std = R.analyze(A.parse_submission({"qubo": CYCLE5}))
        deep = R.analyze(A.parse_submission({"qubo": CYCLE5, "options": {"preset": "deep"}}))
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
        a, b, c = (R.analyze(submit(t, preset="deep")) for t in (terms, scaled, relabelled))
        assert b["hardness"]["cost_gap_normalized"] == pytest.approx(
            a["hardness"]["cost_gap_normalized"])
        assert b["report"]["approximation_ratio"] == pytest.approx(
            a["report"]["approximation_ratio"], abs=1e-6)
        assert b["hardness"]["difficulty"] == a["hardness"]["difficulty"]
        for key in ("energy_min", "energy_max", "ground_state_degeneracy", "cost_gap"):
            assert c["hardness"][key] == pytest.approx(a["hardness"][key])

    def test_recommendations_cite_a_real_path_and_its_value(self):
        """Test that every recommendation's metric resolves and carries the firing value."""
        resp = R.analyze(A.parse_submission(
            {"qubo": CYCLE5, "reference_states": ["10100"], "options": {"preset": "deep"}}))
        assert resp["recommendations"]
        for rec in resp["recommendations"]:
            assert rec["level"] in ("info", "warn", "action")
            assert "<" not in rec["text"] and "<strong>" in rec["html"]
            value = get_path(resp, rec["metric"])
            assert value == rec["value"] or value == pytest.approx(rec["value"])

    def test_response_is_strict_json_and_deterministic(self):
        """Test allow_nan=False serialisation and identical results for identical input."""
        sub = submit(random_terms(10, seed=1), preset="deep")
        one, two = R.analyze(sub), R.analyze(sub)
        for r in (one, two):
            r["report"]["local"].pop("timings")
        assert json.dumps(one, allow_nan=False) == json.dumps(two, allow_nan=False)


class TestParsing:
    def test_linear_key_forms_agree(self):
        """Test that "i" and "i,i" both mean the linear term, and keys may be unordered."""
        a = A.parse_submission({"qubo": {"0": -1.0, "1,0": 2.0}})
        b = A.parse_submission({"qubo": {"0,0": -1.0, "0,1": 2.0}})
        assert a.problem.canonical_json() == b.problem.canonical_json()

    def test_factored_round_trip(self):
        """Test decoding §1.5's worked example: Q = [[1, .5], [.5, 2]]."""
        env = {"_format": "factored_v1", "n": 2, "k": 2,
               "F": "000000000000e0bf000000000000e03f000000000000e03f000000000000e03f",
               "signs": [-1.0, 1.0], "diag": "000000000000f03f0000000000000040"}
        Q = A.decode_factored(env)
        assert np.allclose(Q, [[1.0, 0.5], [0.5, 2.0]])
        sub = A.parse_submission({"qubo": env})
        assert sub.encoding == "factored_v1"
        assert sub.problem.energy_of("11") == pytest.approx(4.0)

    @pytest.mark.parametrize(("body", "field"), [
        ({"qubo": {}}, "qubo"),
        ({"qubo": {"0": 0.0}}, "qubo"),
        ({"qubo": {"a": 1.0}}, "qubo['a']"),
        ({"qubo": {"-1": 1.0}}, "qubo['-1']"),
        ({"qubo": {"0": float("nan")}}, "qubo['0']"),
        ({"qubo": {"0": float("inf")}}, "qubo['0']"),
        ({"qubo": {"0": True}}, "qubo['0']"),
        ({"qubo": {"5000": 1.0}}, "qubo['5000']"),
        ({"qubo": {"0": 1.0}, "reference_states": ["01"]}, "reference_states[0]"),
        ({"qubo": {"0": 1.0}, "reference_states": ["2"]}, "reference_states[0]"),
        ({"qubo": {"0": 1.0}, "options": {"analysis": {"sensitivity": True}}},
         "options.analysis"),
        ({"qubo": {"0": 1.0}, "options": {"ansatz": {"auto_warmstart": True}}},
         "options.ansatz"),
        ({"qubo": {"0": 1.0}, "options": {"preset": "huge"}}, "options.preset"),
        ({"qubo": {"0": 1.0, "3": 1.0}, "options": {"n_qubits": 2}}, "options.n_qubits"),
        ({"qubo": {"0": 1.0}, "options": {"analysis": {"parameter_sweep": True,
                                                       "gamma": 1.0}}}, "options.analysis"),
        ({"qubo": {"_format": "factored_v1", "n": 2, "k": 1, "F": "00", "signs": [1.0],
                   "diag": "0" * 32}}, "qubo.F"),
        ({"qubo": {"_format": "factored_v1", "n": 1, "k": 1, "F": "0" * 16, "signs": [0.5],
                   "diag": "0" * 16}}, "qubo.signs"),
        ({"qubo": {"_format": "factored_v1", "n": 1, "k": 0, "F": "", "signs": [],
                   "diag": "0" * 16, "extra": 1}}, "qubo"),
        ({"qubo": {"_format": "factored_v2", "n": 1, "k": 0, "F": "", "signs": [],
                   "diag": "0" * 16}}, "qubo._format"),
        ({"qubo": {"_format": "factored_v1", "n": 5000, "k": 0, "F": "", "signs": [],
                   "diag": "0" * 16 * 5000}}, "qubo.n"),
        ({"qubo": {"5000,0": 1.0}}, "qubo['0,5000']"),
        ({"qubo": {"0": 1.0}, "options": {"analysis": {"gamma": True}}},
         "options.analysis.gamma"),
        ({"qubo": {"0": 1.0}, "surprise": 1}, "body"),
    ])
    def test_bad_submissions_name_the_field(self, body, field):
        """Test that each malformed submission raises ProblemError naming its field."""
        with pytest.raises(A.ProblemError) as err:
            A.parse_submission(body)
        assert err.value.field == field

    def test_seed_vocabulary_behind_the_switch(self):
        """Test target_states is an alias and seed analysis keys map under compat_seed."""
        sub = A.parse_submission(
            {"qubo": CYCLE5, "target_states": ["10100"],
             "options": {"analysis": {"hardness_only": True, "sensitivity": True}}},
            compat_seed=True)
        assert sub.references == ("10100",)
        assert sub.options.hardness and sub.options.preset == "deep"
        assert sub.options.structural_sensitivity is True
        assert sub.options.parameter_sweep is False


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


class TestHtml:
    def _result(self, **extra):
        resp = R.analyze(A.parse_submission(
            {"qubo": CYCLE5, "reference_states": ["10100"], "options": {"preset": "deep"}}))
        return {"job_id": "j-1", "status": "COMPLETED", "created_at": "t0", "completed_at": "t1",
                **resp, **extra}

    def test_fragment_parses_and_is_self_contained(self):
        """Test the root class, no script and no external asset."""
        page = render_html(self._result())
        p = _Tags()
        p.feed(page)
        p.close()
        assert p.tags[0] == ("div", {"class": "qvr-root"})
        names = {t for t, _ in p.tags}
        assert "script" not in names and "svg" in names and "table" in names
        for _, attrs in p.tags:
            assert not any(k in ("src", "href") for k in attrs)

    def test_hostile_text_is_escaped(self):
        """Test that a hostile tag, job id and recommendation text are rendered as text."""
        evil = '<script>alert("x")</script><img src=x onerror=1>'
        result = self._result(job_id=evil)
        result["recommendations"].append({"level": "warn", "metric": evil, "text": evil,
                                          "html": evil, "value": evil})
        result["report"]["local"]["notes"].append(evil)
        page = render_html(result, tag=evil)
        p = _Tags()
        p.feed(page)
        assert not any(t in ("script", "img") for t, _ in p.tags)
        assert evil in "".join(p.text)  # shown verbatim as text
        assert math.isfinite(len(page))

    def test_unfinished_job_renders_without_report(self):
        """Test the fragment of a job that has no result yet."""
        page = render_html({"job_id": "j", "status": "PENDING", "report": None})
        assert 'class="qvr-root"' in page and "No report" in page
