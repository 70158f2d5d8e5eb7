"""Reference states: the user's, validated, or a seeded greedy candidate (§1.7).

Owns :func:`reference_states` (bitstrings or 0/1 sequences, character i = variable i, each as
wide as the problem) and :func:`greedy_reference`, the candidate sent when the user gives none
(the cloud needs at least one).

Imports numpy, scipy, ``protocol`` and this package.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..protocol.polynomial import row_to_bits
from .errors import ReferenceStateError
from .problem import Problem, bits_of


def reference_states(states: Any, n: int) -> list[str]:
    """Validate reference states: one bitstring or 0/1 sequence, or a list of them.

    Character i is variable i. Duplicates are dropped (order kept).

    Raises:
        ReferenceStateError: empty list, characters other than 0/1, or the wrong width.
    """
    if isinstance(states, str) or (isinstance(states, np.ndarray) and states.ndim == 1):
        states = [states]
    try:
        items = list(states)
    except TypeError:
        raise ReferenceStateError("reference_states must be a bitstring or a list of them") \
            from None
    if not items:
        raise ReferenceStateError("reference_states is empty; pass None to let the helper "
                                  "pick a greedy candidate")
    out = ["".join(map(str, bits_of(s, n, f"reference_states[{i}]")))
           for i, s in enumerate(items)]
    return list(dict.fromkeys(out))


def greedy_reference(problem: Problem, *, seed: int = 0, starts: int = 8) -> str:
    """A candidate optimum: the best of seeded steepest descents (used when none is given).

    Not a proof of anything: a reference state is a candidate for the reference-dependent
    diagnostics (characterization.md §1.7).
    """
    n = problem.n
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(starts, n)).astype(np.float64)
    lin = np.zeros(n)
    parts = []
    for idx, coef in problem.groups():
        if idx.shape[1] == 1:
            np.add.at(lin, idx[:, 0], coef)
            continue
        for p in range(idx.shape[1]):
            others = np.delete(idx, p, axis=1)
            scatter = sp.csr_matrix((coef, (idx[:, p], np.arange(len(coef)))),
                                    shape=(n, len(coef)))
            parts.append((others, scatter))
    rows = np.arange(starts)
    for _ in range(2 * n + 10):
        G = np.tile(lin, (starts, 1))
        for others, scatter in parts:
            G += (scatter @ X[:, others].prod(axis=2).T).T
        D = (1.0 - 2.0 * X) * G
        j = D.argmin(axis=1)
        act = D[rows, j] < -1e-12 * max(1.0, float(np.abs(D).max()))
        if not act.any():
            break
        X[rows[act], j[act]] = 1.0 - X[rows[act], j[act]]
    return row_to_bits(X[int(problem.energies(X).argmin())])
