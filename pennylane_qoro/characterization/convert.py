"""Conversion of the user's problem into its canonical :class:`~.problem.Problem` (§1.3).

Owns :func:`canonicalize`: a QUBO matrix (numpy, nested list, scipy.sparse) read as
E(x) = x^T Q x, a QUBO/HUBO dict of index (or label) tuples, a legacy comma-key dict (keys read
by the shared codec of :mod:`pennylane_qoro.protocol.qubo`), or a PennyLane Hamiltonian made of
``Z``/``I`` words (Z_i = 1 - 2 x_i). Labels map to wire indices by divi's rule (integers in
order, anything else sorted by repr) or an explicit ``wire_order``.

Every bad input raises a :class:`~.errors.ProblemError` (a ``ValueError``) naming the entry,
before any request is made.

Imports numpy, scipy, the standard library, ``protocol`` and this package; a Hamiltonian is
read through its ``pauli_rep``, so PennyLane is never imported here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..protocol.errors import WireDecodeError
from ..protocol.qubo import decode_legacy_key
from .errors import ProblemError, ProblemTooLargeError
from .problem import Problem

MAX_VARIABLES = 65_536           # beyond this the helper refuses before any request
MAX_HAMILTONIAN_ORDER = 20       # a Z word of k wires expands into 2^k monomials


def _finite(value: Any, where: str) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise ProblemError(f"{where}: a coefficient must be a number, got a bool")
    try:
        c = complex(value)
    except (TypeError, ValueError):
        raise ProblemError(
            f"{where}: a coefficient must be a real number, got {type(value).__name__}"
        ) from None
    if abs(c.imag) > 1e-12 * max(1.0, abs(c.real)):
        raise ProblemError(f"{where}: coefficient {value!r} is complex")
    if not math.isfinite(c.real):
        raise ProblemError(f"{where}: coefficient is {c.real!r}; only finite numbers are allowed")
    return float(c.real)


def _label_order(labels: Iterable[Hashable]) -> list[Hashable]:
    """Integers in numeric order, anything else sorted by repr (divi's rule, §1.3)."""
    labels = list(dict.fromkeys(labels))
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in labels):
        return sorted(labels)
    return sorted(labels, key=repr)


class _Builder:
    """Accumulates terms over labels, then fixes the label -> wire index map."""

    def __init__(self, source: str):
        self.source = source
        self.by_key: dict[tuple, float] = {}
        self.offset = 0.0
        self.labels: list[Hashable] = []
        self.permutations: dict[tuple, dict[tuple, float]] = {}

    def add(self, key: tuple, value: float, where: str, *, check: bool = True) -> None:
        """Add ``value`` to the monomial ``key``; x^2 = x, so repeated labels collapse.

        With ``check``, two orderings of one monomial (like Q_ij and Q_ji) must carry equal
        values: they then add up (the symmetric convention); different values are ambiguous.
        """
        if not key:
            self.offset += value
            return
        for lab in key:
            try:
                hash(lab)
            except TypeError:
                raise ProblemError(f"{where}: variable {lab!r} is not hashable") from None
        self.labels.extend(key)
        ordered = tuple(sorted(key, key=repr))
        if check:
            seen = self.permutations.setdefault(ordered, {})
            if seen:
                other, v0 = next(iter(seen.items()))
                if not math.isclose(v0, value, rel_tol=1e-9, abs_tol=0.0):
                    raise ProblemError(
                        f"{where}: conflicting coefficients for one monomial: {other!r} = "
                        f"{v0!r} and {key!r} = {value!r}; give each monomial once, or both "
                        "orderings with equal values (symmetric form)"
                    )
            seen[key] = value
        canon = tuple(dict.fromkeys(ordered))
        self.by_key[canon] = self.by_key.get(canon, 0.0) + value

    def build(self, n_variables: int | None, wire_order: Sequence[Hashable] | None) -> Problem:
        if wire_order is not None:
            order = list(wire_order)
            if len(set(order)) != len(order):
                raise ProblemError("wire_order has repeated labels")
            index = {lab: i for i, lab in enumerate(order)}
            missing = [lab for lab in dict.fromkeys(self.labels) if lab not in index]
            if missing:
                raise ProblemError(f"variable(s) {missing[:5]} are not in wire_order")
            n = len(order)
        elif all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                 for v in self.labels):
            bad = [v for v in self.labels if v < 0]
            if bad:
                raise ProblemError(f"index {bad[0]} is out of range: indices must be >= 0")
            n = max(self.labels, default=-1) + 1
            if n_variables is not None:
                if n > n_variables:
                    raise ProblemError(
                        f"index {n - 1} is out of range for n_variables={n_variables}"
                    )
                n = n_variables
            order = list(range(n))
            index = {i: i for i in range(n)}
        else:
            order = _label_order(self.labels)
            index = {lab: i for i, lab in enumerate(order)}
            n = len(order)
        if n_variables is not None and n != n_variables:
            raise ProblemError(f"the problem has {n} variables but n_variables={n_variables}")
        _check_size(n)
        terms: dict[tuple[int, ...], float] = {}
        for key, c in self.by_key.items():
            idx = tuple(sorted(int(index[lab]) for lab in key))
            terms[idx] = terms.get(idx, 0.0) + c
        terms = {k: v for k, v in terms.items() if v != 0.0}
        if not terms:
            raise ProblemError(f"the problem ({self.source}) is empty: no non-zero term "
                               "besides a constant")
        return Problem(n=n, terms=terms, offset=self.offset,
                       variables=tuple(int(v) if isinstance(v, np.integer) else v
                                       for v in order), source=self.source)


def _check_size(n: int) -> None:
    if n > MAX_VARIABLES:
        raise ProblemTooLargeError(
            f"the problem has {n} variables; the helper's limit is {MAX_VARIABLES}"
        )


def _sum_by_key(keys: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique sorted keys and the sum of the values of each."""
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inv, vals, minlength=len(uniq))


def _from_matrix(Q: Any, source: str) -> _Builder:
    if sp.issparse(Q):
        if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
            raise ProblemError(f"the QUBO matrix must be square, got shape {Q.shape}")
        coo = sp.coo_matrix(Q)
        rows, cols, vals = coo.row, coo.col, coo.data
        n = Q.shape[0]
        dense = None
    else:
        try:
            dense = np.asarray(Q)
        except (TypeError, ValueError) as exc:
            raise ProblemError(f"cannot read the QUBO matrix: {exc}") from None
        if dense.dtype == object or dense.ndim != 2 or dense.shape[0] != dense.shape[1]:
            raise ProblemError(
                f"the QUBO matrix must be a square 2-d numeric array, got shape {dense.shape}"
            )
        if not (np.issubdtype(dense.dtype, np.number) or dense.dtype == bool):
            raise ProblemError(f"the QUBO matrix must be numeric, got dtype {dense.dtype}")
        n = dense.shape[0]
        rows, cols = np.nonzero(dense)
        vals = dense[rows, cols]
    if n == 0:
        raise ProblemError("the QUBO matrix is empty (0 x 0)")
    _check_size(n)
    vals = np.asarray(vals)
    if np.iscomplexobj(vals):
        if np.any(np.abs(vals.imag) > 0):
            raise ProblemError("the QUBO matrix has complex entries")
        vals = vals.real
    vals = vals.astype(np.float64)
    bad = ~np.isfinite(vals)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ProblemError(f"Q[{rows[k]}, {cols[k]}] = {vals[k]}; only finite numbers allowed")
    b = _Builder(source)
    b.labels.extend(range(n))  # every row is a variable, even an all-zero one (§1.3)
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    diag = rows == cols
    linear = np.bincount(rows[diag], vals[diag], minlength=n)
    off = ~diag
    lo, hi = np.minimum(rows[off], cols[off]), np.maximum(rows[off], cols[off])
    key, v, upper = lo * n + hi, vals[off], rows[off] < cols[off]
    ku, vu = _sum_by_key(key[upper], v[upper])
    kl, vl = _sum_by_key(key[~upper], v[~upper])
    _, iu, il = np.intersect1d(ku, kl, assume_unique=True, return_indices=True)
    clash = (vu[iu] != 0) & (vl[il] != 0) & ~np.isclose(vu[iu], vl[il], rtol=1e-9, atol=0.0)
    if clash.any():
        k = int(np.flatnonzero(clash)[0])
        i, j = divmod(int(ku[iu[k]]), n)
        raise ProblemError(
            f"the QUBO matrix is neither symmetric nor triangular: Q[{i}, {j}] = "
            f"{float(vu[iu[k]])!r} but Q[{j}, {i}] = {float(vl[il[k]])!r}; pass a symmetric "
            "(x^T Q x) or a "
            "triangular matrix"
        )
    keys, pair = _sum_by_key(np.concatenate([ku, kl]), np.concatenate([vu, vl]))
    b.by_key.update({(int(i),): float(linear[i]) for i in np.flatnonzero(linear)})
    # the pair coefficient of x_i x_j is Q_ij + Q_ji
    b.by_key.update(zip(zip((keys // n).tolist(), (keys % n).tolist(), strict=True),
                        pair.tolist(), strict=True))
    return b


def _from_dict(d: Mapping[Any, Any]) -> _Builder:
    keys = list(d)
    if not keys:
        raise ProblemError("the problem dict is empty")
    if all(isinstance(k, str) for k in keys):
        return _from_legacy(d)
    if any(isinstance(k, str) for k in keys):
        raise ProblemError("the problem dict mixes string (wire) keys and tuple keys")
    b = _Builder("qubo_dict")
    for k, v in d.items():
        key = k if isinstance(k, tuple) else (k,)
        b.add(key, _finite(v, f"term {k!r}"), f"term {k!r}")
    if any(len(k) > 2 for k in b.by_key):
        b.source = "hubo_dict"
    return b


def _from_legacy(d: Mapping[str, Any]) -> _Builder:
    """Read a user's wire dict: keys by the shared codec, values as leniently as any input."""
    b = _Builder("wire_dict")
    for k, v in d.items():
        try:
            key = decode_legacy_key(k)  # "" is the constant ()
        except WireDecodeError as exc:
            raise ProblemError(f"wire dict: {exc}") from None
        b.add(key, _finite(v, f"term {k!r}"), f"term {k!r}")
    return b


def _from_hamiltonian(H: Any) -> _Builder:
    rep = getattr(H, "pauli_rep", None)
    if rep is None:
        raise ProblemError(f"{type(H).__name__} has no Pauli representation; pass a "
                           "Hamiltonian made of Z and identity words")
    b = _Builder("ising_hamiltonian")
    for word, coeff in rep.items():
        c = _finite(coeff, f"coefficient of {word}")
        if c == 0.0:
            continue
        bad = {w: p for w, p in word.items() if p not in ("Z", "I")}
        if bad:
            raise ProblemError(f"term {c} * {word} has {sorted(set(bad.values()))}: only Z/I "
                               "words describe an Ising cost (diagonal) Hamiltonian")
        wires = [w for w, p in word.items() if p == "Z"]
        if len(wires) > MAX_HAMILTONIAN_ORDER:
            raise ProblemTooLargeError(
                f"term {word} acts on {len(wires)} wires; the limit is {MAX_HAMILTONIAN_ORDER}"
            )
        # prod_{i in S} Z_i = prod (1 - 2 x_i) = sum_{U subset S} (-2)^|U| x_U
        for r in range(len(wires) + 1):
            for sub in itertools.combinations(tuple(wires), r):
                b.add(tuple(sub), c * (-2.0) ** r, f"term {word}", check=False)
    b.labels.extend(H.wires.tolist() if hasattr(H.wires, "tolist") else list(H.wires))
    return b


def canonicalize(
    problem: Any,
    *,
    n_variables: int | None = None,
    wire_order: Sequence[Hashable] | None = None,
) -> Problem:
    """Convert a supported problem into its canonical :class:`Problem`.

    Args:
        problem: a square QUBO matrix (numpy array, nested list, scipy.sparse) read as
            E(x) = x^T Q x (Q_ij and Q_ji add up; symmetric or triangular); a dict
            ``{(i, j): w, (i,): a, (): c}`` (QUBO or HUBO, labels may be any hashable); a wire
            dict ``{"0": -1.0, "0,1": 2.0}``; a PennyLane Hamiltonian of Z/I words
            (Z = 1 - 2x, so E(x) = <x|H|x>); or a :class:`Problem`.
        n_variables (int | None): pin the number of variables (trailing variables without
            terms); indices must be below it.
        wire_order (Sequence | None): the label of each wire index, for dicts with labels and
            Hamiltonians (default: integers in order, other labels sorted by repr).

    Returns:
        Problem: the exact polynomial with its constant offset.

    Raises:
        ProblemError: empty, non-square, conflicting, non-finite, out-of-range or unsupported
            input (the message names the entry); ProblemTooLargeError beyond the limits.

    >>> canonicalize({(0, 1): 2.0, (0,): -1.0, (): 0.5}).to_legacy()
    {'0': -1.0, '0,1': 2.0}
    """
    if n_variables is not None and (isinstance(n_variables, bool) or
                                    not isinstance(n_variables, (int, np.integer))
                                    or n_variables < 1):
        raise ProblemError(f"n_variables must be a positive integer, got {n_variables!r}")
    if isinstance(problem, Problem):
        if n_variables is None or n_variables == problem.n:
            return problem
        builder = _Builder(problem.source)
        builder.by_key = {k: v for k, v in problem.terms.items()}
        builder.offset = problem.offset
        builder.labels = list(range(problem.n))
    elif hasattr(problem, "pauli_rep"):
        builder = _from_hamiltonian(problem)
    elif sp.issparse(problem):
        builder = _from_matrix(problem, "qubo_matrix")
    elif isinstance(problem, Mapping):
        builder = _from_dict(problem)
    elif isinstance(problem, (np.ndarray, list, tuple)):
        builder = _from_matrix(problem, "qubo_matrix")
    else:
        raise ProblemError(
            f"unsupported problem type {type(problem).__name__}: pass a square matrix, a dict "
            "of index tuples, a wire dict or a PennyLane Z/I Hamiltonian"
        )
    return builder.build(n_variables, wire_order)
