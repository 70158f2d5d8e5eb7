"""The local characterization engine: from a validated submission to the response of §2.

Owns :func:`analyze` (characterization.md §3.4-3.12): it runs the numerical pieces of
:mod:`.analysis` in tiers (exact spectrum while n <= ``EXACT_MAX_N``, labelled heuristics above),
fills the cloud's ``hardness`` / ``report`` / ``recommendations`` shape with our documented
``local-v1`` formulas, and puts everything else under ``report.local``.

Rules kept here: a number not computed is ``None``; estimated numbers carry ``*_estimated`` or
an interval; recommendations cite the response path and the value that fired them.

Imports numpy/scipy and :mod:`.analysis` only: no web framework, no client code.
"""

from __future__ import annotations

import html as _html
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from . import analysis as A

METHOD = "local-v1"
ENGINE = "pennylane-qoro/local-v1"

# Hardness design constants (§3.10), exposed in the output.
HARDNESS_WEIGHTS = {
    "exact_cost": 0.30, "heuristic": 0.25, "frustration": 0.15, "ruggedness": 0.10,
    "gap": 0.10, "precision": 0.10,
}
EASY_LOG2_OPS = 20.0
DIFFICULTY_THRESHOLDS = {"moderate": 33.0, "hard": 66.0}
GREEDY_RUNS = 32
SA_REPLICAS = 32
MC_SAMPLES = 4096
TOP_STATES = 16
DEFAULT_TIME_BUDGET = 120.0
QAOA_WORK = 2e8               # elementary operations allowed for one p=1 sweep

DEFINITIONS = {
    "hardness_score": "100 * sum w_k s_k / sum w_k over hardness.components (local-v1)",
    "difficulty": "easy if a certificate holds or log2(exact cost) <= 20, else by score: "
                  "< 33 easy, < 66 moderate, else hard (local-v1)",
    "matrix_spectral_gap": "lambda_2 - lambda_1 of the symmetric QUBO matrix (transparency only)",
    "structural_sensitivity": "|flip cost of x_i| / max_j |flip cost of x_j| at the best-known "
                              "state",
    "reference_concentration_score": "100 * clip(log2(concentration_ratio) / log2(2^n / |refs|))"
                                     " at the best p=1 angles (local-v1)",
    "concentration_ratio": "P(reference states) / (|refs| / 2^n), uniform full-space baseline",
    "approximation_ratio": "(C_max - <C>) / (C_max - C_min) at the best p=1 angles",
    "formulation_quality": "balance 35(1-clip(log10 R/6)) + gap 35 clip(1-log10(1/delta)/4) + "
                           "density 10(1-density) + degeneracy 20/|G| (local-v1)",
    "frustration_index": "weighted fraction of two-body Ising couplings unsatisfied at the "
                         "best-known state",
    "no_lowdepth_advantage_expected": "certified classically easy, or p=1 QAOA below greedy "
                                      "descent from random starts (local-v1)",
    "qaoa_convention": "|gamma,beta> = exp(-i beta sum X) exp(-i gamma C) |+>^n, C = the QUBO "
                       "energy as a diagonal operator (qml.qaoa.cost_layer / mixer_layer)",
    "bit_order": "character i of a bitstring is variable i (left-most = index 0)",
}


def _f(v: Any) -> float | None:
    """JSON-safe float: None for missing or non-finite values."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _clean(obj: Any) -> Any:
    """Convert numpy scalars/arrays to JSON types; non-finite floats become None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_clean(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _f(obj)
    return obj


def _clip(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def _wilson(k: int, m: int, z: float = 1.96) -> tuple[float, float]:
    p = k / m
    den = 1 + z * z / m
    centre = (p + z * z / (2 * m)) / den
    half = z * math.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


class _Budget:
    """Stage gate: optional stages are skipped (and reported) once the deadline has passed."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.skipped: list[dict] = []
        self.timings: dict[str, float] = {}

    def run(self, stage: str, fn: Callable[[], Any], *, optional: bool = True) -> Any:
        if optional and time.monotonic() > self.deadline:
            self.skipped.append({"stage": stage, "reason": "time budget exhausted"})
            return None
        t = time.perf_counter()
        try:
            return fn()
        finally:
            self.timings[stage] = round(time.perf_counter() - t, 4)


@dataclass
class _State:
    """Intermediate results shared between the stages of one analysis."""

    sub: A.Submission
    rng: np.random.Generator
    seed: int
    edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    ising: A.Ising | None = None
    E: np.ndarray | None = None            # exact energies (exact tier)
    tau: float = 0.0
    ground: np.ndarray | None = None
    best_x: np.ndarray | None = None
    best_energy: float | None = None
    greedy_energies: np.ndarray | None = None
    full: A.FieldBlock | None = None        # dE/dx for all variables (built once)
    psi_probs: np.ndarray | None = None    # p=1 probabilities at the best angles (n <= 20)
    notes: list[str] = field(default_factory=list)

    @property
    def poly(self) -> A.Polynomial:
        return self.sub.problem

    @property
    def n(self) -> int:
        return self.sub.problem.n


# ----------------------------------------------------------------------------------------------
# Structure (§3.5)
# ----------------------------------------------------------------------------------------------
def _matrix_metrics(poly: A.Polynomial) -> dict:
    if not poly.is_quadratic or poly.n > 2000:
        return {"is_psd": None, "rank": None, "matrix_condition_number": None,
                "matrix_spectral_gap": None}
    Q = np.diag(poly.linear)
    pidx, pw = poly.pairs
    Q[pidx[:, 0], pidx[:, 1]] += pw / 2.0
    Q[pidx[:, 1], pidx[:, 0]] += pw / 2.0
    lam = np.linalg.eigvalsh(Q)
    scale = float(np.abs(lam).max()) if lam.size else 0.0
    tol = max(1e-12, poly.n * np.finfo(float).eps) * scale
    nz = np.abs(lam) > tol
    rank = int(nz.sum())
    cond = float(np.abs(lam).max() / np.abs(lam).min()) if rank == poly.n else None
    return {
        "is_psd": bool(lam.min() >= -tol),
        "rank": rank,
        "matrix_condition_number": cond,
        "matrix_spectral_gap": float(lam[1] - lam[0]) if lam.size > 1 else None,
    }


def _structure(st: _State, budget: _Budget) -> dict:
    poly, n = st.poly, st.n
    edges = A.interaction_edges(poly)
    st.edges = edges
    deg = np.bincount(edges.reshape(-1), minlength=n) if len(edges) else np.zeros(n, int)
    labels = A.components(n, edges)
    sizes = np.sort(np.bincount(labels))[::-1]
    coefs = poly.coefficients()
    absc = np.abs(coefs)
    ratio = float(absc.max() / absc.min()) if absc.size else None
    pidx, pw = poly.pairs
    st.ising = A.ising_form(poly)
    tw, tw_method = budget.run("treewidth", lambda: A.treewidth_estimate(n, edges)) or (None, None)
    fix_state, strict = A.persistencies(poly)
    free = fix_state < 0
    if free.any():
        keep = free[edges[:, 0]] & free[edges[:, 1]] if len(edges) else np.zeros(0, bool)
        sub_labels = A.components(n, edges[keep])[free]
        n_eff = int(np.bincount(sub_labels).max())
    else:
        n_eff = 0
    out: dict[str, Any] = {
        "n_variables": n,
        "n_terms": poly.n_terms,
        "terms_by_degree": {str(k): v for k, v in poly.terms_by_degree().items()},
        "degree": poly.degree,
        "n_couplings": len(pw),
        "n_interactions": len(edges),
        "density": len(edges) / (n * (n - 1) / 2) if n > 1 else 0.0,
        "degree_min": int(deg.min()), "degree_mean": float(deg.mean()),
        "degree_max": int(deg.max()),
        "n_components": len(sizes),
        "component_sizes": sizes[:64].tolist(),
        "weight_range": [float(coefs.min()), float(coefs.max())],
        "weight_ratio": ratio,
        "precision_bits": math.log2(ratio) if ratio else None,
        "constant_offset": poly.constant,
        "treewidth_estimate": tw,
        "treewidth_method": tw_method,
        "n_fixable": int(np.count_nonzero(~free)),
        "n_fixed_in_all_optima": strict,
        "fixed_to_0": np.flatnonzero(fix_state == 0)[:256].tolist(),
        "fixed_to_1": np.flatnonzero(fix_state == 1)[:256].tolist(),
        "reduced_n": int(free.sum()),
        "largest_reduced_component": n_eff,
    }
    out.update(_matrix_metrics(poly))
    out.update(_walsh_metrics(st))
    out.update(_certificates(st, out, pidx, pw))
    return out


def _walsh_metrics(st: _State) -> dict:
    ising, n = st.ising, st.n
    if ising is None:
        return {"global_flip_symmetric": None, "mean_energy": None, "std_energy": None,
                "autocorrelation_rho1": None, "correlation_length": None,
                "triangles": None, "frustrated_triangles": None}
    orders, sq = ising.walsh_squares()
    var = float(sq.sum())
    scale = max(float(np.sqrt(sq.max())) if sq.size else 0.0, 1e-300)
    odd = float(np.sqrt(sq[orders % 2 == 1].max())) if (orders % 2 == 1).any() else 0.0
    rho1 = float((sq * (1 - 2 * orders / n)).sum() / var) if var > 0 else None
    corr = -1.0 / math.log(rho1) if rho1 is not None and 0 < rho1 < 1 else None
    tri = A.frustrated_triangles(n, ising.J_idx, ising.J)
    return {
        "global_flip_symmetric": bool(odd <= 1e-12 * scale),
        "mean_energy": ising.c0,
        "std_energy": math.sqrt(var),
        "autocorrelation_rho1": rho1,
        "correlation_length": corr,
        "triangles": tri[0] if tri else None,
        "frustrated_triangles": tri[1] if tri else None,
    }


def _certificates(st: _State, s: dict, pidx: np.ndarray, pw: np.ndarray) -> dict:
    poly = st.poly
    wit: list[str] = []
    submodular = balanced = None
    if s["n_interactions"] == 0:
        wit.append("diagonal: no couplings, x_i = [a_i < 0]")
    if poly.is_quadratic and len(pw):
        submodular = bool((pw <= 0).all())
        balanced = submodular or A.is_balanced(st.n, pidx, pw)
        if submodular:
            wit.append("submodular: every coupling is non-positive (minimum cut)")
        elif balanced:
            wit.append("switching-submodular: flipping a variable subset makes every coupling "
                       "non-positive (minimum cut)")
    tw = s["treewidth_estimate"]
    bounded_tw = tw is not None and tw <= 20
    if bounded_tw and s["n_interactions"]:
        wit.append(f"bounded treewidth: estimate {tw}, at most 20 (dynamic programming)")
    if s["component_sizes"][0] <= A.EXACT_MAX_N:
        wit.append(f"every component has at most {A.EXACT_MAX_N} variables (enumeration)")
    if s["reduced_n"] == 0:
        wit.append("persistencies fix every variable")
    return {"easy_witnesses": wit, "submodular": submodular, "switching_submodular": balanced,
            "bounded_treewidth": bounded_tw}


# ----------------------------------------------------------------------------------------------
# Spectrum (§3.4) and classical baseline (§3.8)
# ----------------------------------------------------------------------------------------------
def _spectrum(st: _State) -> dict:
    n = st.n
    ev = A.exact_energies(st.poly)
    st.E = ev
    emin, emax = float(ev.min()), float(ev.max())
    rng_ = emax - emin
    st.tau = tau = 1e-9 * max(1.0, abs(emin), rng_)
    ground = np.flatnonzero(ev <= emin + tau)
    st.ground = ground
    above = ev[ev > emin + tau]
    e1 = float(above.min()) if above.size else None
    first = np.flatnonzero(np.abs(ev - e1) <= tau) if e1 is not None else np.zeros(0, int)
    lm = A.count_local_minima(ev, n, tau)
    n_lm = int(lm.sum())
    counts, edges = np.histogram(ev, bins=40)
    comp = (~ground) & ((1 << n) - 1)
    return {
        "exact": True,
        "energy_min": emin, "energy_max": emax, "tolerance": tau,
        "ground_state_degeneracy": len(ground),
        "ground_states": [A.index_to_bits(s, n) for s in ground[:TOP_STATES]],
        "cost_gap": e1 - emin if e1 is not None else None,
        "cost_gap_normalized": (e1 - emin) / rng_ if e1 is not None and rng_ > 0 else None,
        "first_excited_degeneracy": len(first) if e1 is not None else None,
        "hamming_first_excited_to_ground": A.min_hamming(first, ground),
        "states_within_1pct": int(np.count_nonzero(ev <= emin + 0.01 * rng_)),
        "states_within_5pct": int(np.count_nonzero(ev <= emin + 0.05 * rng_)),
        "uniform_success_probability": len(ground) / float(1 << n),
        "n_local_minima": n_lm,
        "local_minima_density": n_lm / float(1 << n),
        "n_local_minima_global": int(np.count_nonzero(lm[ground])),
        "complement_of_ground_is_ground": bool(np.all(ev[comp] <= emin + tau)),
        "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
    }


def _baseline(st: _State, budget: _Budget, spectrum: dict | None) -> dict:
    poly, n, rng = st.poly, st.n, st.rng
    scale = A.field_scale(poly)
    tol = 1e-12 * max(scale, 1.0)
    full = st.full = A.FieldBlock(poly, np.arange(n))
    starts = rng.integers(0, 2, size=(GREEDY_RUNS, n)).astype(np.float64)
    G = A.steepest_descent(poly, starts, full, tol)
    gE = poly.energies(G)
    st.greedy_energies = gE
    classes = A.colour_classes(n, st.edges)
    blocks = [A.FieldBlock(poly, c) for c in classes]
    incid = max(1, sum(c.size for _, c in poly.groups) * 2 + n)
    sweeps = int(np.clip(min(60_000 / len(blocks), 3e8 / (SA_REPLICAS * incid)), 20, 1000))

    def sa() -> tuple[np.ndarray, np.ndarray]:
        X, _ = A.anneal(poly, blocks, rng, replicas=SA_REPLICAS, sweeps=sweeps,
                        t0=max(scale, 1e-12))
        X = A.steepest_descent(poly, X, full, tol)
        return X, poly.energies(X)

    sa_out = budget.run("simulated_annealing", sa)
    states = [G] + ([sa_out[0]] if sa_out else [])
    energies = np.concatenate([gE] + ([sa_out[1]] if sa_out else []))
    allX = np.vstack(states)
    k = int(energies.argmin())
    best = float(energies[k])
    exact_min = spectrum["energy_min"] if spectrum else None
    tau = st.tau if spectrum else 1e-9 * max(1.0, abs(best))
    st.tau = tau
    target = exact_min if exact_min is not None else best
    if spectrum:
        s = int(st.ground[0])
        st.best_x = ((s >> np.arange(n)) & 1).astype(np.float64)
        st.best_energy = exact_min
    else:
        st.best_x = allX[k]
        st.best_energy = best
    hits = np.abs(energies - target) <= tau
    distinct = {A.row_to_bits(x) for x, h in zip(allX, hits, strict=True) if h}
    lp = budget.run("relaxation_bound", lambda: A.mccormick_bound(poly))
    triv = A.trivial_lower_bound(poly)
    bound = max(lp, triv) if lp is not None else triv
    # maximum side, for C_max (approximation-ratio interval beyond the exact tier)
    neg = poly.negated()
    M = A.steepest_descent(neg, rng.integers(0, 2, size=(8, n)).astype(float),
                           A.FieldBlock(neg, np.arange(n)), tol)
    out = {
        "greedy_energy": float(gE.min()),
        "greedy_runs": GREEDY_RUNS,
        "greedy_mean_energy": float(gE.mean()),
        "greedy_hit_rate": float(np.mean(np.abs(gE - target) <= tau)),
        "distinct_greedy_minima": len({A.row_to_bits(x) for x in G}),
        "sa_energy": float(sa_out[1].min()) if sa_out else None,
        "sa_replicas": SA_REPLICAS if sa_out else None,
        "sa_sweeps": sweeps if sa_out else None,
        "sa_success_rate": float(np.mean(np.abs(sa_out[1] - target) <= tau)) if sa_out
        else None,
        "best_energy": target if spectrum else best,
        "best_state": A.row_to_bits(st.best_x),
        "distinct_optima": len(distinct),
        "exact_ground_energy": exact_min,
        "relaxation_bound": lp,
        "relaxation_method": "lp_mccormick" if lp is not None else None,
        "trivial_bound": triv,
        "lower_bound": bound,
        "proven_optimal": bool(spectrum) or bound >= best - tau,
        "best_found_max_energy": float(neg.energies(M).max() * -1.0),
        "trivial_upper_bound": A.trivial_upper_bound(poly),
        "seed": st.seed,
    }
    return out


# ----------------------------------------------------------------------------------------------
# Reference states (§3.4) and structural sensitivity
# ----------------------------------------------------------------------------------------------
def _flip_costs(st: _State, x: np.ndarray) -> np.ndarray:
    if st.full is None:
        st.full = A.FieldBlock(st.poly, np.arange(st.n))
    return (1.0 - 2.0 * x) * st.full(x[None, :])[0]


def _references(st: _State, refs: tuple[str, ...], base: dict, struct: dict) -> list[dict]:
    poly, n, ev = st.poly, st.n, st.E
    mu, sigma = struct.get("mean_energy"), struct.get("std_energy")
    emin = base["best_energy"]
    emax = float(ev.max()) if ev is not None else None
    rows = []
    mc = None
    if ev is None:
        mc = poly.energies(st.rng.integers(0, 2, size=(MC_SAMPLES, n)).astype(float))
    ground = st.ground.astype(np.uint64) if st.ground is not None else None
    for t in refs:
        x = np.frombuffer(t.encode(), dtype=np.uint8).astype(np.float64) - 48.0
        e = float(poly.energies(x[None, :])[0])
        d = _flip_costs(st, x)
        improving = np.flatnonzero(d < -st.tau)
        row: dict[str, Any] = {
            "state": t, "energy": e,
            "gap_to_optimum": e - emin,
            "z_score": (e - mu) / sigma if sigma else None,
            "is_optimal": bool(e <= emin + st.tau),
            "local_minimum": bool(improving.size == 0),
            "improving_flips": improving[:16].tolist(),
            "best_flip_delta": float(d.min()),
        }
        if ev is not None:
            s = A.bits_to_index(t)
            row["rank"] = 1 + int(np.count_nonzero(ev < e - st.tau))
            row["ties"] = int(np.count_nonzero(np.abs(ev - e) <= st.tau))
            row["gap_normalized"] = (e - emin) / (emax - emin) if emax > emin else 0.0
            row["hamming_to_ground"] = int(A.popcount(ground ^ np.uint64(s)).min())
            row["estimated"] = False
        else:
            k = int(np.count_nonzero(mc < e - st.tau))
            lo, hi = _wilson(k, MC_SAMPLES)
            row["rank"] = None
            row["percentile_below"] = k / MC_SAMPLES
            row["percentile_interval_95"] = [lo, hi]
            row["gap_normalized"] = None
            row["hamming_to_ground"] = int(np.abs(x - st.best_x).sum())
            row["hamming_is_to_best_known"] = True
            row["estimated"] = True
        rows.append(row)
    return rows


def _sensitivity(st: _State) -> list[dict]:
    d = np.abs(_flip_costs(st, st.best_x))
    top = d.max()
    scores = d / top if top > 0 else np.zeros_like(d)
    return [{"qubit": int(i), "score": float(s)} for i, s in enumerate(scores)]


def _frustration(st: _State) -> dict:
    ising = st.ising
    if ising is None or len(ising.J) == 0:
        return {"frustration_index": None, "frustration_unweighted": None}
    z = 1.0 - 2.0 * st.best_x
    contrib = ising.J * z[ising.J_idx[:, 0]] * z[ising.J_idx[:, 1]]
    bad = contrib > 0
    return {
        "frustration_index": float(np.abs(ising.J[bad]).sum() / np.abs(ising.J).sum()),
        "frustration_unweighted": float(bad.mean()),
    }


# ----------------------------------------------------------------------------------------------
# QAOA p=1 (§3.7)
# ----------------------------------------------------------------------------------------------
def _lightcone(n: int, edges: np.ndarray) -> int | None:
    if len(edges) == 0:
        return 1
    if len(edges) > 200_000:
        return None
    Adj = sp.coo_matrix((np.ones(2 * len(edges) + n),
                         (np.concatenate([edges[:, 0], edges[:, 1], np.arange(n)]),
                          np.concatenate([edges[:, 1], edges[:, 0], np.arange(n)]))),
                        shape=(n, n)).tocsr()
    Adj.data[:] = 1.0
    M = Adj[edges[:, 0]] + Adj[edges[:, 1]]
    return int(M.getnnz(axis=1).max())


def _lambda_scale(st: _State) -> float:
    ising = st.ising
    s = np.abs(ising.h).copy()
    for col in (0, 1):
        s += np.bincount(ising.J_idx[:, col], np.abs(ising.J), minlength=st.n)
    for key, v in ising.higher.items():
        for i in key:
            s[i] += abs(v)
    return float(s.max()) if s.size else 0.0


def _best_closed_form(cf: A.ClosedFormP1, gammas: np.ndarray,
                      maxiter: int) -> tuple[float, float, float]:
    from scipy.optimize import minimize_scalar

    fine_b = np.linspace(0, np.pi, 256, endpoint=False)

    def over_beta(T: np.ndarray) -> np.ndarray:
        b = fine_b[None, :]
        return (cf.c0 + np.sin(2 * b) * T[0][:, None] + np.sin(4 * b) * T[1][:, None]
                + np.sin(2 * b) ** 2 * T[2][:, None])

    V = over_beta(cf.terms(gammas))
    gi, bi = np.unravel_index(int(V.argmin()), V.shape)
    lo = gammas[max(gi - 1, 0)]
    hi = gammas[min(gi + 1, len(gammas) - 1)]
    g_best, b_best, v_best = float(gammas[gi]), float(fine_b[bi]), float(V[gi, bi])
    if hi > lo:
        r = minimize_scalar(lambda g: over_beta(cf.terms(np.array([g]))).min(),
                            bounds=(lo, hi), method="bounded",
                            options={"xatol": 1e-6, "maxiter": maxiter})
        if r.fun < v_best:
            row = over_beta(cf.terms(np.array([r.x])))[0]
            g_best, b_best, v_best = float(r.x), float(fine_b[row.argmin()]), float(row.min())
    step = np.pi / 256
    r = minimize_scalar(lambda b: cf.grid(np.array([g_best]), np.array([b]))[0, 0],
                        bounds=(b_best - step, b_best + step), method="bounded",
                        options={"xatol": 1e-8})
    if r.fun < v_best:
        b_best, v_best = float(r.x), float(r.fun)
    return g_best, b_best % np.pi, v_best


def _qaoa(st: _State, budget: _Budget, refs: tuple[str, ...], spectrum: dict | None,
          base: dict) -> dict:
    """Landscape, best angles, approximation ratio, probabilities. Returns report fields."""
    opts, n, poly = st.sub.options, st.n, st.poly
    out: dict[str, Any] = {
        "regime": None, "confidence": None, "refuse_reason": None,
        "regime_diagnostics": {"max_lightcone_k": _lightcone(n, st.edges), "n": n, "layers": 1},
        "approximation_ratio": None, "approximation_ratio_error_bound": None,
        "best_parameters": None, "energy_landscape": None, "state_probabilities": None,
        "concentration_ratio": None, "reference_concentration_score": None,
    }
    local: dict[str, Any] = {"convention": DEFINITIONS["qaoa_convention"], "layers_analysed": 1}
    if opts.layers > 1:
        local["note_layers"] = f"ansatz.layers={opts.layers} requested; the local engine " \
                               "analyses p=1 only"
    if opts.mixer == "xy":
        out.update(regime="refuse", confidence="open", refuse_reason="mixer_not_supported_locally")
        return {"fields": out, "local": local}
    ising = st.ising
    if ising is None:
        out.update(regime="refuse", confidence="open", refuse_reason="walsh_expansion_too_large")
        return {"fields": out, "local": local}
    closed = poly.is_quadratic and opts.mixer == "x"
    sv_ok = st.E is not None and n <= A.STATEVECTOR_MAX_N
    if opts.mixer == "I":
        expect: Callable[[float, float], float] = lambda g, b: ising.c0  # noqa: E731
        out.update(regime="exact", confidence="proven")
        local["method"] = "identity mixer: <C> is the uniform mean for every angle"
    elif closed:
        if A.ClosedFormP1.cost_entries(ising, n) > A.CLOSED_FORM_MAX_ENTRIES:
            out.update(regime="refuse", confidence="open", refuse_reason="closed_form_budget")
            return {"fields": out, "local": local}
        cf = A.ClosedFormP1(ising, n)
        expect = lambda g, b: float(cf.grid(np.array([g]), np.array([b]))[0, 0])  # noqa: E731
        out.update(regime="exact", confidence="proven")
        local["method"] = "closed_form_p1"
    elif sv_ok:
        E = st.E
        expect = lambda g, b: A.qaoa_expectation_sv(E, n, g, b)  # noqa: E731
        out.update(regime="exact", confidence="proven")
        local["method"] = "statevector"
    else:
        out.update(regime="refuse", confidence="open", refuse_reason="hubo_beyond_statevector")
        return {"fields": out, "local": local}
    lam = _lambda_scale(st) or 1.0
    best = None
    if opts.gamma is not None or opts.beta is not None:
        g = opts.gamma if opts.gamma is not None else 1.0
        b = opts.beta if opts.beta is not None else 0.5
        local["fixed_angles"] = {"gamma": g, "beta": b, "expectation": expect(g, b)}
        best = (g, b, local["fixed_angles"]["expectation"])
    if opts.parameter_sweep and opts.mixer == "x":
        def sweep() -> tuple[float, float, float]:
            ng, nb = opts.grid
            maxiter = 25
            if closed:  # each gamma costs ~4 cosines per neighbourhood entry
                per_gamma = 4.0 * (cf.entries + len(cf.node_J))
                ng = int(np.clip(QAOA_WORK / per_gamma, 8, ng))
                maxiter = int(np.clip(QAOA_WORK / per_gamma / 2, 4, 25))
            else:  # statevector grid: n 2^n per point
                side = int(np.clip(math.sqrt(QAOA_WORK / (n * 2.0**n)), 4, ng))
                ng, nb = side, max(4, side // 2)
            gammas = np.linspace(0.0, np.pi / lam, ng)
            betas = np.linspace(0.0, np.pi, nb, endpoint=False)
            if closed:
                grid = cf.grid(gammas, betas)
                res = _best_closed_form(cf, gammas, maxiter)
            else:
                grid = np.array([[expect(g, b) for b in betas] for g in gammas])
                gi, bi = np.unravel_index(int(grid.argmin()), grid.shape)
                res = (float(gammas[gi]), float(betas[bi]), float(grid[gi, bi]))
            out["energy_landscape"] = {"gammas": gammas.tolist(), "betas": betas.tolist(),
                                       "expectation": grid.tolist()}
            return res

        res = budget.run("qaoa_sweep", sweep)
        if res is not None:
            best = res if best is None or res[2] < best[2] else best
    elif opts.mixer == "I":
        best = (0.0, 0.0, ising.c0)
    if best is None:
        local["note"] = "no parameter sweep and no fixed angles: p=1 QAOA not evaluated"
        return {"fields": out, "local": local}
    g, b, val = best
    out["best_parameters"] = {"gamma": g, "beta": b, "expectation": val, "probability": None}
    _ratio(out, local, val, spectrum, base)
    if sv_ok:
        _probabilities(st, out, local, refs, g, b, opts.mixer)
    return {"fields": out, "local": local}


def _ratio(out: dict, local: dict, val: float, spectrum: dict | None, base: dict) -> None:
    if spectrum:
        cmin, cmax = spectrum["energy_min"], spectrum["energy_max"]
        if cmax > cmin:
            out["approximation_ratio"] = (cmax - val) / (cmax - cmin)
            out["approximation_ratio_error_bound"] = 0.0
        return
    local["cost_spectrum_estimated"] = True
    cmin_lo, cmin_hi = base["lower_bound"], base["best_energy"]
    cmax_lo, cmax_hi = base["best_found_max_energy"], base["trivial_upper_bound"]

    def r(cmax: float, cmin: float) -> float | None:
        return (cmax - val) / (cmax - cmin) if cmax > cmin else None

    local["approximation_ratio_interval"] = [r(cmax_lo, cmin_lo), r(cmax_hi, cmin_hi)]


def _probabilities(st: _State, out: dict, local: dict, refs: tuple[str, ...], g: float,
                   b: float, mixer: str) -> None:
    n, E = st.n, st.E
    probs = np.abs(A.qaoa_state(E, n, g, 0.0 if mixer == "I" else b)) ** 2
    st.psi_probs = probs
    ref_idx = np.array([A.bits_to_index(t) for t in refs], dtype=np.int64)
    top = np.argsort(probs)[::-1][:TOP_STATES]
    shown = list(dict.fromkeys([*top.tolist(), *ref_idx.tolist()]))
    ref_set = set(ref_idx.tolist())
    out["state_probabilities"] = [
        {"state": A.index_to_bits(s, n), "is_reference": s in ref_set,
         "probability": float(probs[s]), "energy": float(E[s])} for s in shown]
    p_ref = float(probs[ref_idx].sum())
    out["best_parameters"]["probability"] = p_ref
    ratio = p_ref / (len(ref_idx) / 2.0**n)
    out["concentration_ratio"] = ratio
    span = math.log2(2.0**n / len(ref_idx))
    out["reference_concentration_score"] = (100.0 * _clip(math.log2(ratio) / span)
                                            if span > 0 and ratio > 0 else None)
    local["reference_probabilities"] = {A.index_to_bits(s, n): float(probs[s]) for s in ref_idx}


# ----------------------------------------------------------------------------------------------
# Penalty split and constraint descriptors (§3.9)
# ----------------------------------------------------------------------------------------------
def _terms_dict(p: A.Polynomial) -> dict[tuple[int, ...], float]:
    d = {(int(i),): float(c) for i, c in enumerate(p.linear) if c != 0}
    for idx, coef in p.groups:
        d.update({tuple(r): float(c) for r, c in zip(idx.tolist(), coef.tolist(), strict=True)})
    return d


def _penalty(st: _State, refs_rows: list[dict]) -> dict | None:
    sub = st.sub
    if sub.penalty is None or sub.cost is None:
        return None
    T, C, P = _terms_dict(sub.problem), _terms_dict(sub.cost), _terms_dict(sub.penalty)
    keys = sorted(set(T) | set(C) | set(P))
    t = np.array([T.get(k, 0.0) for k in keys])
    c = np.array([C.get(k, 0.0) for k in keys])
    p = np.array([P.get(k, 0.0) for k in keys])
    w = float(np.dot(t - c, p) / np.dot(p, p))
    resid = float(np.linalg.norm(t - c - w * p) / max(np.linalg.norm(t), 1e-300))
    pc = sub.penalty.coefficients()
    g = float(np.abs(pc).min())
    lam_safe = None
    safe_reason = None
    if np.allclose(pc / g, np.round(pc / g), atol=1e-9):
        lam_safe = (A.trivial_upper_bound(sub.cost) - A.trivial_lower_bound(sub.cost)) / g
    else:
        safe_reason = "penalty coefficients are not integer multiples of one step"
    res: dict[str, Any] = {
        "current_weight": w, "split_residual": resid, "penalty_step": g,
        "penalty_lambda_safe": lam_safe, "penalty_lambda_safe_reason": safe_reason,
        "penalty_lambda_min_feasible": None, "penalty_lambda_min_feasible_estimated": None,
        "objective_range_share": None, "feasible_mask": None,
    }
    if st.E is not None:
        Ec, Ep = A.exact_energies(sub.cost), A.exact_energies(sub.penalty)
        tau_p = 1e-9 * max(1.0, float(np.abs(Ep).max()))
        pmin = float(Ep.min())
        feas = Ep <= pmin + tau_p
        cstar = float(Ec[feas].min())
        bad = (~feas) & (Ec < cstar)
        lam_min = float(((cstar - Ec[bad]) / (Ep[bad] - pmin)).max()) if bad.any() else 0.0
        erange = float(st.E.max() - st.E.min())
        res.update(
            penalty_lambda_min_feasible=lam_min, penalty_lambda_min_feasible_estimated=False,
            objective_range_share=float(Ec.max() - Ec.min()) / erange if erange > 0 else None,
            feasible_mask=feas, penalty_min=pmin, uniform_feasibility=float(feas.mean()))
        for row in refs_rows:
            s = A.bits_to_index(row["state"])
            row["penalty"] = float(Ep[s])
            row["feasible"] = bool(feas[s])
    vals = [v for v in (res["penalty_lambda_min_feasible"], lam_safe) if v is not None]
    res["penalty_recommendation"] = max(vals) if vals else None
    lm = res["penalty_lambda_min_feasible"]
    res["is_well_tuned"] = (bool(lm < w <= 10 * lam_safe)
                            if lm is not None and lam_safe is not None else None)
    return res


def _constraint_values(n: int, c: dict) -> np.ndarray:
    w = np.zeros(n)
    if "weights" in c:
        for i, v in c["weights"].items():
            w[i] = v
    else:
        w[c.get("qubits", list(range(n)))] = 1.0
    lo = n // 2
    vl = A.bits_matrix(1 << lo, lo) @ w[:lo]
    vh = A.bits_matrix(1 << (n - lo), n - lo) @ w[lo:]
    return (vh[:, None] + vl[None, :]).reshape(-1)


def _satisfied(v: np.ndarray, c: dict) -> np.ndarray:
    b, tol = c["bound"], 1e-9 * max(1.0, abs(c["bound"]))
    kind = c["type"]
    if kind in ("max_cardinality", "inequality"):
        return v <= b + tol
    if kind == "min_cardinality":
        return v >= b - tol
    return np.abs(v - b) <= tol


def _constraints(st: _State) -> tuple[list[dict] | None, np.ndarray | None]:
    cons = st.sub.options.constraints
    if not cons:
        return None, None
    if st.E is None or len(cons) > 16:
        return [{"index": i, "type": c["type"], "violation_rate": None,
                 "violation_rate_qaoa": None, "is_redundant": None, "recommended_lambda": None}
                for i, c in enumerate(cons)], None
    sats = [_satisfied(_constraint_values(st.n, c), c) for c in cons]
    allsat = np.logical_and.reduce(sats)
    rows = []
    probs = st.psi_probs
    for i, (c, s) in enumerate(zip(cons, sats, strict=True)):
        others = np.logical_and.reduce([x for j, x in enumerate(sats) if j != i]) if len(
            sats) > 1 else np.ones_like(s)
        rows.append({
            "index": i, "type": c["type"],
            "violation_rate": float(1.0 - s.mean()),
            "violation_rate_qaoa": float(probs[~s].sum()) if probs is not None else None,
            "is_redundant": bool(np.all(s | ~others)),
            "recommended_lambda": None,
        })
    return rows, allsat


# ----------------------------------------------------------------------------------------------
# Hardness (§3.10)
# ----------------------------------------------------------------------------------------------
def _hardness(st: _State, s: dict, spec: dict | None, base: dict, frus: dict) -> dict:
    comps: dict[str, dict] = {}
    n_eff = s["largest_reduced_component"]
    tw = s["treewidth_estimate"]
    L = float(n_eff)
    if tw is not None and n_eff > 0:
        L = min(L, tw + math.log2(n_eff))
    comps["exact_cost"] = {"raw": L, "score": _clip((L - 20) / 40),
                           "formula": "clip((log2 ops - 20) / 40), log2 ops = min(n_eff, tw + "
                                      "log2 n_eff)"}
    if base.get("sa_success_rate") is not None:
        p = base["sa_success_rate"]
        comps["heuristic"] = {"raw": p, "score": 1.0 - p, "formula": "1 - SA hit rate"}
    if frus["frustration_index"] is not None:
        f = frus["frustration_index"]
        comps["frustration"] = {"raw": f, "score": _clip(2 * f), "formula": "clip(2 f)"}
    if spec:
        nlm = spec["n_local_minima"]
        comps["ruggedness"] = {"raw": nlm, "score": _clip(math.log2(nlm) / (0.2 * st.n)),
                               "formula": "clip(log2 N_lm / (0.2 n))"}
        if spec["cost_gap_normalized"]:
            d = spec["cost_gap_normalized"]
            comps["gap"] = {"raw": d, "score": _clip(math.log10(1 / d) / 4),
                            "formula": "clip(log10(1/delta) / 4)"}
    else:
        R = base["greedy_runs"]
        dr = base["distinct_greedy_minima"]
        comps["ruggedness"] = {"raw": dr, "score": (dr - 1) / (R - 1),
                               "formula": "(D_R - 1) / (R - 1), R greedy descents"}
    if s["precision_bits"] is not None:
        b = s["precision_bits"]
        comps["precision"] = {"raw": b, "score": _clip((b - 8) / 12),
                              "formula": "clip((log2 weight_ratio - 8) / 12)"}
    for k, v in comps.items():
        v["weight"] = HARDNESS_WEIGHTS[k]
    wsum = sum(v["weight"] for v in comps.values())
    score = 100.0 * sum(v["weight"] * v["score"] for v in comps.values()) / wsum
    witnesses = s["easy_witnesses"]
    if witnesses:
        diff, reason = "easy", f"certificate: {witnesses[0]}"
    elif L <= EASY_LOG2_OPS:
        diff, reason = "easy", f"exact solution costs about 2^{L:.1f} operations (at most 2^20)"
    else:
        diff = ("hard" if score >= DIFFICULTY_THRESHOLDS["hard"] else
                "moderate" if score >= DIFFICULTY_THRESHOLDS["moderate"] else "easy")
        reason = f"hardness score {score:.1f}/100"
    return {
        "difficulty": diff, "difficulty_reason": reason, "hardness_score": score,
        "method": METHOD, "components": comps,
        "thresholds": {"easy_log2_ops": EASY_LOG2_OPS, **DIFFICULTY_THRESHOLDS},
        "n_variables": st.n, "n_terms": s["n_terms"], "density": s["density"],
        "weight_range": s["weight_range"], "weight_ratio": s["weight_ratio"],
        "advice": reason,
        "cost_spectrum_estimated": spec is None,
        "cost_gap": spec["cost_gap"] if spec else None,
        "cost_gap_normalized": spec["cost_gap_normalized"] if spec else None,
        "ground_state_degeneracy": spec["ground_state_degeneracy"] if spec else None,
        "energy_min": spec["energy_min"] if spec else base["best_energy"],
        "energy_max": spec["energy_max"] if spec else base["best_found_max_energy"],
        "frustration_index": frus["frustration_index"],
        "global_flip_symmetric": s["global_flip_symmetric"],
        "treewidth_estimate": s["treewidth_estimate"],
        "matrix_spectral_gap": s["matrix_spectral_gap"],
        "matrix_condition_number": s["matrix_condition_number"],
    }


def _formulation_quality(s: dict, spec: dict | None) -> float | None:
    if not spec or not spec["cost_gap_normalized"] or s["weight_ratio"] is None:
        return None
    d = spec["cost_gap_normalized"]
    return (35 * (1 - _clip(math.log10(s["weight_ratio"]) / 6))
            + 35 * _clip(1 - math.log10(1 / d) / 4)
            + 10 * (1 - s["density"]) + 20 / spec["ground_state_degeneracy"])


# ----------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------
def analyze(sub: A.Submission, *, seed: int | None = None,
            time_budget: float = DEFAULT_TIME_BUDGET) -> dict:
    """Run the local analysis of one submission.

    Returns ``{"hardness", "report", "recommendations"}`` (characterization.md §2), JSON-safe.
    ``hardness``, ``certificate``, ``classical_baseline`` and ``formulation_quality`` are
    returned only when the options ask for the hardness analysis (preset ``deep``), like the
    cloud; ``report.local`` always carries the structure, spectrum, baseline and reference
    tables the engine computed.
    """
    seed = A.seed_for(sub.problem) if seed is None else seed
    st = _State(sub=sub, rng=np.random.default_rng(seed), seed=seed)
    budget = _Budget(time_budget)
    struct = budget.run("structure", lambda: _structure(st, budget), optional=False)
    spec = (budget.run("spectrum", lambda: _spectrum(st), optional=False)
            if st.n <= A.EXACT_MAX_N else None)
    base = budget.run("baseline", lambda: _baseline(st, budget, spec), optional=False)
    refs = sub.references
    refs_source = "submitted"
    if not refs:
        refs = (base["best_state"],)
        refs_source = "best_known (none submitted)"
    frus = _frustration(st)
    ref_rows = _references(st, refs, base, struct)
    qaoa = budget.run("qaoa", lambda: _qaoa(st, budget, refs, spec, base), optional=False)
    for row in ref_rows:
        if st.psi_probs is not None:
            row["qaoa_probability"] = float(st.psi_probs[A.bits_to_index(row["state"])])
    pen = _penalty(st, ref_rows)
    cons, allsat = _constraints(st)
    report: dict[str, Any] = {"num_qubits": st.n, "reference_states": list(refs)}
    report.update(qaoa["fields"])
    opts = sub.options
    report["structural_sensitivity"] = _sensitivity(st) if opts.structural_sensitivity else None
    feas_mask = allsat if allsat is not None else (pen or {}).get("feasible_mask")
    report["feasibility_rate"] = (float(st.psi_probs[feas_mask].sum())
                                  if feas_mask is not None and st.psi_probs is not None else None)
    report["constraint_diagnostics"] = cons
    if pen:
        for k in ("penalty_lambda_safe", "penalty_lambda_min_feasible",
                  "penalty_lambda_min_feasible_estimated", "penalty_recommendation"):
            report[k] = pen[k]
        report["penalty_tuning"] = {"is_well_tuned": pen["is_well_tuned"],
                                    "optimal_lambda": pen["penalty_recommendation"]}
    greedy_ar = None
    if spec and spec["energy_max"] > spec["energy_min"]:
        greedy_ar = float(np.mean((spec["energy_max"] - st.greedy_energies)
                                  / (spec["energy_max"] - spec["energy_min"])))
    markers = []
    if struct["global_flip_symmetric"]:
        markers.append("bitflip_symmetric")
    r1 = report.get("approximation_ratio")
    if r1 is not None and greedy_ar is not None and r1 < greedy_ar:
        markers.append("p1_below_greedy")
    certified = bool(struct["easy_witnesses"])
    no_adv = certified or "p1_below_greedy" in markers
    hardness = _hardness(st, struct, spec, base, frus) if opts.hardness else None
    if hardness is not None:
        report["certificate"] = {
            "certified_easy": certified, "no_lowdepth_advantage_expected": no_adv,
            "uncertain": not certified and not no_adv,
            "easy_witnesses": struct["easy_witnesses"], "lowdepth_markers": markers,
            "quantum_curiosity": None,
            "structural": {"is_psd": struct["is_psd"], "rank": struct["rank"],
                           "submodular": struct["submodular"],
                           "bounded_treewidth": struct["bounded_treewidth"],
                           "certified_easy": certified, "witnesses": struct["easy_witnesses"]},
        }
        report["classical_baseline"] = {k: base[k] for k in (
            "greedy_energy", "sa_energy", "best_energy", "distinct_optima",
            "exact_ground_energy", "relaxation_bound", "relaxation_method", "sa_success_rate")}
        report["formulation_quality"] = _formulation_quality(struct, spec)
    local = {
        "source": "local", "engine": ENGINE, "method": METHOD, "seed": seed,
        "tier": "exact" if spec else "heuristic",
        "preset": opts.preset, "encoding": sub.encoding,
        "reference_states_source": refs_source,
        "reference_states": ref_rows,
        "reference_hamming": _pairwise_hamming(refs),
        "structure": struct, "spectrum": spec, "classical_baseline": base,
        "frustration": frus, "qaoa": qaoa["local"],
        "greedy_random_start_mean_ar": greedy_ar, "lowdepth_markers": markers,
        "penalty": {k: v for k, v in pen.items() if k != "feasible_mask"} if pen else None,
        "uniform_feasibility": float(allsat.mean()) if allsat is not None else None,
        "definitions": DEFINITIONS,
        "notes": list(sub.notes) + st.notes + _option_notes(opts),
        "skipped": budget.skipped, "timings": budget.timings,
    }
    report["local"] = local
    response = _clean({"hardness": hardness, "report": report})
    response["recommendations"] = recommendations(response, layers=opts.layers)
    return response


def _pairwise_hamming(refs: tuple[str, ...]) -> list[list[int]] | None:
    if len(refs) > 32:
        return None
    return [[sum(a != b for a, b in zip(s, t, strict=True)) for t in refs] for s in refs]


def _option_notes(opts: A.Options) -> list[str]:
    notes = []
    if opts.subspace:
        notes.append("subspace options accepted; the local engine analyses the full space "
                     "(statevector up to 20 variables, closed forms above)")
    return notes


# ----------------------------------------------------------------------------------------------
# Recommendations (§3.11): each cites its response path and the value that fired it
# ----------------------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _rec(rid: str, level: str, metric: str, value: Any, threshold: Any,
         parts: list[tuple[str, bool]]) -> dict:
    """``parts``: (text, emphasised). ``text`` is plain; ``html`` escapes and bolds."""
    text = "".join(t for t, _ in parts)
    html = "".join(f"<strong>{_html.escape(t)}</strong>" if b else _html.escape(t)
                   for t, b in parts)
    return {"id": rid, "level": level, "metric": metric, "value": value,
            "threshold": threshold, "text": text, "html": html}


def recommendations(resp: dict, *, layers: int = 1) -> list[dict]:
    """The rules of §3.11 evaluated on a finished response (deterministic)."""
    rep = resp["report"]
    loc = rep["local"]
    s, spec, base = loc["structure"], loc["spectrum"], loc["classical_baseline"]
    out: list[dict] = []
    L = "report.local."
    if spec:
        g = spec["ground_state_degeneracy"]
        out.append(_rec("exact_solved", "info", L + "spectrum.energy_min", spec["energy_min"],
                        None, [("Optimum E* = ", False), (_fmt(spec["energy_min"]), True),
                               (f" ({g} minimiser(s), e.g. ", False),
                               (spec["ground_states"][0], True),
                               (") found by enumeration; use it as the reference.", False)]))
    if loc["reference_states_source"] == "submitted":
        for i, r in enumerate(loc["reference_states"]):
            if r["gap_to_optimum"] > (spec["tolerance"] if spec else 1e-9):
                where = (f"rank {r['rank']} of 2^{rep['num_qubits']}" if r.get("rank")
                         else "compared with the best known state")
                out.append(_rec("reference_suboptimal", "warn",
                                f"{L}reference_states[{i}].gap_to_optimum",
                                r["gap_to_optimum"], 0.0,
                                [("Reference ", False), (r["state"], True),
                                 (" has E = ", False), (_fmt(r["energy"]), True),
                                 (f", {where}, ", False), (_fmt(r["gap_to_optimum"]), True),
                                 (" above the optimum." if spec else " above the best known.",
                                  False)]))
            if r.get("feasible") is False:
                out.append(_rec("reference_infeasible", "action",
                                f"{L}reference_states[{i}].penalty", r["penalty"],
                                loc["penalty"].get("penalty_min"),
                                [("Reference ", False), (r["state"], True),
                                 (" violates the penalty terms (P = ", False),
                                 (_fmt(r["penalty"]), True), (").", False)]))
    if s["easy_witnesses"]:
        out.append(_rec("certified_easy", "action", L + "structure.easy_witnesses",
                        s["easy_witnesses"], None,
                        [("Solvable exactly by a classical method: ", False),
                         (s["easy_witnesses"][0], True),
                         ("; QAOA is not needed for the optimum.", False)]))
    if s["n_components"] > 1:
        out.append(_rec("decompose", "action", L + "structure.n_components", s["n_components"],
                        1, [("Problem splits into ", False), (str(s["n_components"]), True),
                            (" independent parts (largest sizes ", False),
                            (", ".join(map(str, s["component_sizes"][:8])), True),
                            ("); solve them separately.", False)]))
    if s["n_fixable"] > 0:
        out.append(_rec("fix_variables", "action", L + "structure.n_fixable", s["n_fixable"], 0,
                        [(str(s["n_fixable"]), True),
                         (" variables are fixed by dominance; the reduced problem has ", False),
                         (str(s["reduced_n"]), True), (" variables.", False)]))
    if s["global_flip_symmetric"]:
        out.append(_rec("flip_symmetry", "warn", L + "structure.global_flip_symmetric", True,
                        None, [("Every state has the energy of its complement", True),
                               ("; fix one variable to halve the space and break the pairing "
                                "(the X mixer cannot).", False)]))
    if spec and spec["cost_gap_normalized"] is not None and spec["cost_gap_normalized"] < 1e-3:
        out.append(_rec("small_gap", "warn", L + "spectrum.cost_gap_normalized",
                        spec["cost_gap_normalized"], 1e-3,
                        [("First excited level is ", False),
                         (_fmt(spec["cost_gap_normalized"]), True),
                         (" of the range above the optimum.", False)]))
    if spec and spec["ground_state_degeneracy"] > 1:
        out.append(_rec("degenerate", "info", L + "spectrum.ground_state_degeneracy",
                        spec["ground_state_degeneracy"], 1,
                        [(str(spec["ground_state_degeneracy"]), True),
                         (" optimal assignments.", False)]))
    b = s["precision_bits"]
    if b is not None and b > 12:
        out.append(_rec("precision", "warn", L + "structure.precision_bits", b, 12,
                        [("Coefficients span ", False), (_fmt(b), True),
                         (" bits; rescale or reformulate.", False)]))
    out.extend(_penalty_recs(loc, rep))
    r1, rg = rep.get("approximation_ratio"), loc["greedy_random_start_mean_ar"]
    if r1 is not None and rg is not None and r1 < rg:
        out.append(_rec("p1_weak", "warn", "report.approximation_ratio", r1, rg,
                        [("The p=1 QAOA output is on average worse (r = ", False),
                         (_fmt(r1), True),
                         (") than a greedy descent from a random start (mean r = ", False),
                         (_fmt(rg), True), (").", False)]))
    c = rep.get("concentration_ratio")
    if c is not None and c < 1.5:
        out.append(_rec("low_concentration", "warn", "report.concentration_ratio", c, 1.5,
                        [("p=1 puts only ", False), (_fmt(c), True),
                         ("x uniform mass on the references; add layers.", False)]))
    if (base["sa_success_rate"] is not None and base["sa_success_rate"] >= 0.9
            and base["proven_optimal"]):
        out.append(_rec("heuristic_easy", "info", L + "classical_baseline.sa_success_rate",
                        base["sa_success_rate"], 0.9,
                        [("Simulated annealing reaches the proven optimum in ", False),
                         (f"{100 * base['sa_success_rate']:.0f}%", True), (" of runs.", False)]))
    hard = resp.get("hardness")
    if hard and hard["difficulty"] == "hard":
        out.append(_rec("hard", "info", "hardness.difficulty", "hard", None,
                        [("Hard by the local index (", False),
                         (f"{hard['hardness_score']:.0f}/100", True),
                         ("): consider decomposition or classical preprocessing.", False)]))
    if s["degree"] <= 2 and s["n_couplings"]:
        m = s["n_couplings"]
        out.append(_rec("circuit_cost", "info", L + "structure.n_couplings", m, None,
                        [(f"{layers} layer(s) need ", False), (str(m * layers), True),
                         (" ZZ rotations; depth at least the max degree ", False),
                         (str(s["degree_max"]), True), (" per layer.", False)]))
    return out


def _penalty_recs(loc: dict, rep: dict) -> list[dict]:
    pen = loc.get("penalty")
    if not pen:
        return []
    out = []
    lm, w = pen.get("penalty_lambda_min_feasible"), pen["current_weight"]
    if lm is not None and w <= lm:
        out.append(_rec("penalty_too_small", "action", "report.penalty_lambda_min_feasible", lm,
                        w, [("Raise the penalty weight above ", False), (_fmt(lm), True),
                            (" (now ", False), (_fmt(w), True), (").", False)]))
    rho = pen.get("objective_range_share")
    if rho is not None and rho < 0.05:
        target = rep.get("penalty_recommendation")
        out.append(_rec("penalty_too_large", "warn", "report.local.penalty.objective_range_share",
                        rho, 0.05, [("The objective spans only ", False), (_fmt(rho), True),
                                    (" of the energy range; lower the weight toward ", False),
                                    (_fmt(target), True), (".", False)]))
    return out
