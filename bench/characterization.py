"""Characterization benchmark: local analysis time for n = 20 dense and n = 200 sparse QUBOs.

Prints, for each problem and preset, the median time of ``analyze`` (the engine alone) and of a
full ``characterize`` call over HTTP against the embedded service, and, as peers measured in the
same run, the exact-tier enumeration against a naive ``x^T Q x`` over all states (n = 20).

Run: ``python -m bench.characterization`` (not collected by pytest).
"""

from __future__ import annotations

import itertools
import json

import numpy as np

from pennylane_qoro.characterization import characterize
from pennylane_qoro.client import QoroClient
from pennylane_qoro.local import analysis as A
from pennylane_qoro.local import serve
from pennylane_qoro.local.analysis import engine as R

from .timing import machine, median_time


def dense(n: int, seed: int = 1) -> dict[tuple[int, ...], float]:
    rng = np.random.default_rng(seed)
    terms = {(i,): float(rng.normal()) for i in range(n)}
    terms.update({(i, j): float(rng.normal()) for i, j in itertools.combinations(range(n), 2)})
    return terms


def sparse(n: int, degree: int = 4, seed: int = 2) -> dict[tuple[int, ...], float]:
    """A random graph with about n * degree / 2 couplings and all linear terms."""
    rng = np.random.default_rng(seed)
    terms = {(i,): float(rng.normal()) for i in range(n)}
    while len(terms) < n + n * degree // 2:
        i, j = sorted(rng.choice(n, 2, replace=False).tolist())
        terms[(i, j)] = float(rng.normal())
    return terms


def naive_enumeration(n: int, terms: dict) -> np.ndarray:
    """The peer: all 2^n states as a 0/1 matrix, then x^T Q x row by row (einsum)."""
    Q = np.zeros((n, n))
    for k, c in terms.items():
        if len(k) == 1:
            Q[k[0], k[0]] += c
        else:
            Q[k[0], k[1]] += c
    X = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.float64)
    return np.einsum("si,ij,sj->s", X, Q, X)


def main() -> None:
    print(json.dumps(machine(), indent=1))
    problems = {"dense n=20": (20, dense(20)), "sparse n=200": (200, sparse(200))}

    n, terms = problems["dense n=20"]
    poly = A.Polynomial.from_terms(n, terms)
    t_ours = median_time(lambda: A.exact_energies(poly), reps=5)
    t_naive = median_time(lambda: naive_enumeration(n, terms), reps=3)
    assert np.allclose(A.exact_energies(poly), naive_enumeration(n, terms))
    print(f"\nexact spectrum, dense n=20 (2^20 states): half-split GEMM {t_ours:.3f} s, "
          f"naive x^T Q x {t_naive:.3f} s  -> {t_naive / t_ours:.1f}x")

    print(f"\n{'problem':<14}{'preset':<10}{'analyze [s]':>12}{'characterize/HTTP [s]':>24}"
          f"{'overhead':>10}  tier / regime / difficulty")
    with serve() as svc, QoroClient(svc.url, svc.token, progress=False) as client:
        for name, (_, terms) in problems.items():
            wire = {",".join(map(str, k)): v for k, v in terms.items()}
            for preset in ("fast", "standard", "deep"):
                sub = A.parse_submission({"qubo": wire, "reference_states": [],
                                          "options": {"preset": preset}})
                out = {}

                def run_engine(sub: A.Submission = sub, out: dict = out) -> None:
                    out["r"] = R.analyze(sub)

                t_engine = median_time(run_engine, reps=3)

                calls = itertools.count(1)

                def run_http(terms: dict = terms, preset: str = preset,
                             calls: itertools.count = calls) -> None:
                    # the service caches analyses by problem: scale every call's coefficients
                    # by a different factor so each one is analysed afresh
                    f = 1.0 + 1e-6 * next(calls)
                    characterize({k: f * v for k, v in terms.items()}, client=client,
                                 preset=preset)

                t_http = median_time(run_http, reps=3)
                rep = out["r"]["report"]
                diff = (out["r"]["hardness"] or {}).get("difficulty", "-")
                print(f"{name:<14}{preset:<10}{t_engine:>12.3f}{t_http:>24.3f}"
                      f"{t_http / t_engine:>9.2f}x  {rep['local']['tier']} / {rep['regime']} / "
                      f"{diff}")
    print("\ncharacterize/HTTP = client-side conversion + greedy reference + init + submit "
          "(analysis) + result fetch, each call on a freshly scaled problem (no cache hit).")


if __name__ == "__main__":
    main()
