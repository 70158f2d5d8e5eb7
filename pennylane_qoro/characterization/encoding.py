"""The wire form of a problem: legacy comma-key dict or ``factored_v1`` (§1.4-1.6).

Owns :func:`encode_problem`, the choice under divi 0.15.1's rule (QUBO, n >= 64, >= 0.5 n^2
terms, strictly smaller), lossless candidates preferred on ties, the lossy candidate only within
1e-3 relative error and 950 000 bytes, and :class:`WireQubo`, what was chosen and how lossy it
is. The byte formats themselves are the shared codecs of :mod:`pennylane_qoro.protocol.qubo`
(design rule 2); this module only picks the factors and the candidate.

Imports numpy, the standard library, ``protocol`` and this package.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..protocol.polynomial import eigen_noise_floor
from ..protocol.qubo import FACTORED_FORMAT, decode_factored_qubo, encode_factored_qubo
from .errors import ProblemError
from .problem import Problem

MAX_REQUEST_BYTES = 10_000_000   # ~10 MB proxy body limit on submit_qubo (characterization.md §1.6)

# divi 0.15.1's factored_v1 rule (characterization.md §1.5-1.6)
FACTORED_MIN_N = 64
FACTORED_MIN_DENSITY = 0.5
TRUNCATION_THRESHOLD = 1e-2
TRUNCATION_BUDGET = 950_000
TRUNCATION_MAX_ERROR = 1e-3


@dataclass(frozen=True)
class WireQubo:
    """The ``qubo`` field of a submission and how it was chosen.

    Attributes:
        qubo (dict): the legacy comma-key dict or the ``factored_v1`` envelope.
        encoding (str): ``"legacy"`` or ``"factored_v1"``.
        lossy (bool): a truncated factored payload (off-diagonal error <= 1e-3 relative).
        max_relative_error (float): max|Q_sent - Q| / max|Q| of what was sent.
        size (int): compact JSON size in bytes.
    """

    qubo: dict
    encoding: str
    lossy: bool = False
    max_relative_error: float = 0.0
    size: int = 0


def json_size(payload: Any) -> int:
    """Compact JSON byte length (divi compares sizes this way, §1.6)."""
    return len(json.dumps(payload, separators=(",", ":")))


def _eigh_drop_noise(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenpairs of M above the shared noise floor (§1.5)."""
    lam, V = np.linalg.eigh(M)
    floor = eigen_noise_floor(lam)
    if floor == 0.0:
        return lam[:0], V[:, :0]
    keep = np.abs(lam) > floor
    return lam[keep], V[:, keep]


def _envelope(lam: np.ndarray, V: np.ndarray, diag: np.ndarray) -> dict:
    """The envelope of eigenpairs: F = V diag(sqrt|lambda|), signs = sign(lambda), 0 -> +1."""
    return encode_factored_qubo(V * np.sqrt(np.abs(lam)), np.where(lam >= 0.0, 1.0, -1.0), diag)


def _truncated(lam: np.ndarray, V: np.ndarray, diag: np.ndarray, Q: np.ndarray) -> dict | None:
    n = Q.shape[0]
    if not lam.size:
        return None
    order = np.argsort(np.abs(lam))[::-1]
    lam, V = lam[order], V[:, order]
    k_mag = int(np.sum(np.abs(lam) >= TRUNCATION_THRESHOLD * abs(lam[0])))
    budget = TRUNCATION_BUDGET - 16 * n - 200
    if budget <= 0:
        return None
    k = min(k_mag, max(1, budget // (16 * n + 5)))
    if k == lam.size:
        return None
    # keep the diagonal exact: add the dropped pairs' diagonal contribution to d (§1.5)
    d = diag + (V[:, k:] ** 2) @ lam[k:]
    env = _envelope(lam[:k], V[:, :k], d)
    if json_size(env) > TRUNCATION_BUDGET:
        return None
    return env


def encode_factored(problem: Problem) -> tuple[dict, bool]:
    """The smallest of the three ``factored_v1`` candidates (A, B lossless; C lossy).

    Returns:
        (envelope, lossy).
    """
    if not problem.is_quadratic:
        raise ProblemError("factored_v1 carries QUBOs only (degree <= 2)")
    Q = problem.to_matrix()
    n = problem.n
    diag = Q.diagonal().copy()
    lam_a, V_a = _eigh_drop_noise(Q - np.diag(diag))
    cands: list[tuple[dict, bool]] = [(_envelope(lam_a, V_a, diag), False)]
    lam_b, V_b = _eigh_drop_noise(Q)
    cands.append((_envelope(lam_b, V_b, np.zeros(n)), False))
    trunc = _truncated(lam_a, V_a, diag, Q)
    if trunc is not None and _relative_error(trunc, Q) <= TRUNCATION_MAX_ERROR:
        cands.append((trunc, True))
    cands.sort(key=lambda c: (json_size(c[0]), c[1]))
    return cands[0]


def _relative_error(env: Mapping[str, Any], Q: np.ndarray) -> float:
    top = float(np.abs(Q).max())
    return float(np.abs(decode_factored_qubo(env) - Q).max()) / top if top else 0.0


def encode_problem(problem: Problem) -> WireQubo:
    """Pick the wire form the way divi 0.15.1 does (characterization.md §1.6).

    Legacy for any HUBO, for n < 64 and when the dict has fewer than 0.5 n^2 terms; otherwise
    ``factored_v1`` when its compact JSON is strictly smaller.
    """
    legacy = problem.to_legacy()
    n = problem.n
    if not problem.is_quadratic or n < FACTORED_MIN_N or len(legacy) < FACTORED_MIN_DENSITY * n * n:
        return WireQubo(qubo=legacy, encoding="legacy", size=json_size(legacy))
    env, lossy = encode_factored(problem)
    size_f, size_l = json_size(env), json_size(legacy)
    if size_f < size_l:
        err = _relative_error(env, problem.to_matrix())
        return WireQubo(qubo=env, encoding=FACTORED_FORMAT, lossy=lossy, max_relative_error=err,
                        size=size_f)
    return WireQubo(qubo=legacy, encoding="legacy", size=size_l)
