"""Problems for characterization: conversion, canonical form and wire encoding (client side).

Owns (characterization.md §1.3-1.6, §1.10):

- :func:`canonicalize`: a QUBO matrix (numpy, nested list, scipy.sparse), a QUBO/HUBO dict of
  index tuples, a legacy comma-key dict, or a PennyLane Hamiltonian made of ``Z``/``I`` words
  (Z_i = 1 - 2 x_i) -> :class:`Problem`, the exact polynomial E(x) = offset + sum_T c_T prod x,
  with the constant offset kept (it is never sent, §1.3, and is reported by the result);
- :func:`encode_problem`: the choice of wire form, legacy comma-key dict or ``factored_v1``
  under divi 0.15.1's rule (QUBO, n >= 64, >= 0.5 n^2 terms, strictly smaller), lossless
  candidates preferred on ties, the lossy candidate only within 1e-3 relative error and
  950 000 bytes. The byte formats themselves are the shared codecs of ``client/wire.py``
  (design rule 2); this module only picks the factors and the candidate;
- :func:`reference_states`: validation of user bitstrings and the seeded greedy candidate sent
  when the user gives none (the cloud needs at least one, §1.7).

Every bad input raises a :class:`~.errors.ProblemError` (a ``ValueError``) naming the problem,
before any request is made. Bit order: character i of a bitstring is variable i.

Imports numpy, scipy, the standard library and ``client/wire.py`` (the QUBO codecs); PennyLane
only lazily, for Hamiltonians.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..client.errors import WireDecodeError
from ..client.wire import (
    decode_factored_qubo,
    decode_legacy_key,
    encode_factored_qubo,
    encode_legacy_qubo,
)
from .errors import ProblemError, ProblemTooLargeError, ReferenceStateError

MAX_VARIABLES = 65_536           # beyond this the helper refuses before any request
MAX_REQUEST_BYTES = 10_000_000   # ~10 MB proxy body limit on submit_qubo (characterization.md §1.6)
MAX_HAMILTONIAN_ORDER = 20       # a Z word of k wires expands into 2^k monomials

# divi 0.15.1's factored_v1 rule (characterization.md §1.5-1.6)
FACTORED_MIN_N = 64
FACTORED_MIN_DENSITY = 0.5
EIG_TOL_REL = 1e-12
TRUNCATION_THRESHOLD = 1e-2
TRUNCATION_BUDGET = 950_000
TRUNCATION_MAX_ERROR = 1e-3

_BITS = re.compile(r"[01]+")


@dataclass(frozen=True)
class Problem:
    """A binary polynomial E(x) = offset + sum_T c_T prod_{i in T} x_i over x in {0,1}^n.

    Attributes:
        n (int): number of variables (wire indices 0..n-1).
        terms (dict): ``{ascending index tuple: coefficient}``, non-empty tuples, no zeros.
        offset (float): the constant term; not transmitted, reported back by the result.
        variables (tuple): the label of each wire index (e.g. Hamiltonian wires).
        source (str): what the problem was built from.
    """

    n: int
    terms: dict[tuple[int, ...], float]
    offset: float = 0.0
    variables: tuple[Hashable, ...] = ()
    source: str = "terms"
    _arrays: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def degree(self) -> int:
        return max((len(k) for k in self.terms), default=0)

    @property
    def is_quadratic(self) -> bool:
        return self.degree <= 2

    def _groups(self) -> list[tuple[np.ndarray, np.ndarray]]:
        if "groups" not in self._arrays:
            by: dict[int, list] = {}
            for k, c in self.terms.items():
                by.setdefault(len(k), []).append((k, c))
            self._arrays["groups"] = [
                (np.array([k for k, _ in rows], dtype=np.int64).reshape(len(rows), d),
                 np.array([c for _, c in rows], dtype=np.float64))
                for d, rows in sorted(by.items())
            ]
        return self._arrays["groups"]

    def energies(self, states: np.ndarray) -> np.ndarray:
        """Energies (offset included) of the 0/1 rows of ``states`` (shape (R, n))."""
        X = np.asarray(states, dtype=np.float64).reshape(-1, self.n)
        out = np.full(X.shape[0], self.offset)
        for idx, coef in self._groups():
            out += X[:, idx].prod(axis=2) @ coef
        return out

    def energy(self, state: str | Sequence[int]) -> float:
        """Energy (offset included) of one assignment; a string's character i is variable i."""
        bits = _bits_of(state, self.n, "state")
        return float(self.energies(np.array([bits]))[0])

    def to_legacy(self) -> dict[str, float]:
        """The comma-key wire dict (§1.4): ascending indices, linear terms as ``"i"``."""
        return encode_legacy_qubo(self.terms)

    def to_matrix(self) -> np.ndarray:
        """Symmetric Q with E(x) = x^T Q x + offset (QUBO only): Q_ii = a_i, Q_ij = b_ij / 2."""
        if not self.is_quadratic:
            raise ProblemError("a problem with terms of degree > 2 has no QUBO matrix")
        Q = np.zeros((self.n, self.n))
        for k, c in self.terms.items():
            if len(k) == 1:
                Q[k[0], k[0]] += c
            else:
                Q[k[0], k[1]] += c / 2.0
                Q[k[1], k[0]] += c / 2.0
        return Q

    def ising_terms(self) -> tuple[float, dict[tuple[int, ...], float]]:
        """(constant, {index tuple: coefficient of prod Z}) with x_i = (1 - Z_i) / 2."""
        out: dict[tuple[int, ...], float] = {}
        const = self.offset
        for k, c in self.terms.items():
            scale = c / 2.0 ** len(k)
            for r in range(len(k) + 1):
                for sub in _combinations(k, r):
                    v = scale * (-1.0) ** r
                    if sub:
                        out[sub] = out.get(sub, 0.0) + v
                    else:
                        const += v
        return const, {k: v for k, v in out.items() if v != 0.0}

    def cost_hamiltonian(self) -> Any:
        """The problem as a PennyLane Hamiltonian on wires ``variables`` (diagonal = E(x))."""
        import pennylane as qml

        const, terms = self.ising_terms()
        coeffs = [const]
        ops = [qml.Identity(self.variables[0])]
        for k, v in terms.items():
            coeffs.append(v)
            ops.append(qml.prod(*[qml.Z(self.variables[i]) for i in k]) if len(k) > 1
                       else qml.Z(self.variables[k[0]]))
        return qml.Hamiltonian(coeffs, ops)


def _combinations(items: tuple[int, ...], r: int) -> Iterable[tuple[int, ...]]:
    import itertools

    return itertools.combinations(items, r)


# ----------------------------------------------------------------------------------------------
# Conversion
# ----------------------------------------------------------------------------------------------
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
            for sub in _combinations(tuple(wires), r):
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


# ----------------------------------------------------------------------------------------------
# Wire encoding (§1.4-1.6)
# ----------------------------------------------------------------------------------------------
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
    lam, V = np.linalg.eigh(M)
    top = float(np.abs(lam).max()) if lam.size else 0.0
    if top == 0.0:
        return lam[:0], V[:, :0]
    keep = np.abs(lam) > max(EIG_TOL_REL, lam.size * np.finfo(np.float64).eps) * top
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
        return WireQubo(qubo=env, encoding="factored_v1", lossy=lossy, max_relative_error=err,
                        size=size_f)
    return WireQubo(qubo=legacy, encoding="legacy", size=size_l)


# ----------------------------------------------------------------------------------------------
# Reference states
# ----------------------------------------------------------------------------------------------
def _bits_of(state: Any, n: int, where: str) -> list[int]:
    if isinstance(state, str):
        bad = sorted(set(state) - {"0", "1"})
        if bad or not state:
            raise ReferenceStateError(
                f"{where} = {state!r} must be a non-empty string of 0 and 1"
                + (f" (found {bad})" if bad else "")
            )
        bits = [1 if ch == "1" else 0 for ch in state]
    else:
        try:
            raw = list(np.asarray(state).reshape(-1).tolist())
        except (TypeError, ValueError):
            raise ReferenceStateError(f"{where} is neither a bitstring nor a 0/1 sequence") \
                from None
        if any(v not in (0, 1) for v in raw):
            raise ReferenceStateError(f"{where} = {state!r} must contain only 0 and 1")
        bits = [int(v) for v in raw]
    if len(bits) != n:
        raise ReferenceStateError(f"{where} has {len(bits)} bits; the problem has {n} variables")
    return bits


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
    out = ["".join(map(str, _bits_of(s, n, f"reference_states[{i}]")))
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
    for idx, coef in problem._groups():
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
    best = X[int(problem.energies(X).argmin())]
    return "".join("1" if v > 0.5 else "0" for v in best)
