"""Independent oracles and inputs shared by the local-analysis tests.

Every closed form and every reported number is checked against an independent enumeration
(itertools / dense x^T Q x), on seeded random instances and on known ones; these helpers build
the instances and the brute-force energies.
"""

from __future__ import annotations

import itertools

import numpy as np

from pennylane_qoro.local.analysis.submission import Submission, parse_submission

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


def submit(terms_or_wire: dict, refs: list[str] | None = None, **options) -> Submission:
    q = terms_or_wire if all(isinstance(k, str) for k in terms_or_wire) else wire(terms_or_wire)
    body = {"qubo": q, "reference_states": refs or []}
    if options:
        body["options"] = options
    return parse_submission(body)


def get_path(resp: dict, path: str):
    """Resolve a recommendation's metric path like ``report.local.x[2].y``."""
    cur = resp
    for part in path.split("."):
        name, _, idx = part.partition("[")
        cur = cur[name]
        if idx:
            cur = cur[int(idx.rstrip("]"))]
    return cur
