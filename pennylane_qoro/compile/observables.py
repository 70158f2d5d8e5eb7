"""Measurements -> dense Pauli terms and the linear recipes that turn term values into results.

Analytic execution (no shots) asks the service for ⟨P⟩ of dense Pauli strings (qoro-api.md §3.4:
character i acts on qubit ``q[i]``, i.e. on ``wire_order[i]``). Every supported measurement is a
linear map of such values, sometimes followed by a square:

* ``expval(H)``   = Σ c_P ⟨P⟩                     (H from ``pauli_rep``)
* ``var(H)``      = ⟨H²⟩ − ⟨H⟩², H² reduced to Pauli words by PauliSentence multiplication
* ``probs(wires)``: p(b) = 2⁻ᵏ Σ_S (−1)^{b·S} ⟨Z_S⟩ over all 2ᵏ subsets S (inverse Walsh–Hadamard);
  ``probs(op=P)`` for a Pauli word P uses P's letters instead of Z on its wires
* ``expval/var`` of a mid-circuit-measurement value (no observable): probs of its wires, then
  its eigenvalues.

Pure: no I/O, clock or device state. Imports numpy and PennyLane only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from threading import Lock

import numpy as np
import pennylane as qml
from pennylane.exceptions import DeviceError
from pennylane.measurements import ExpectationMP, ProbabilityMP, VarianceMP
from pennylane.pauli import PauliSentence

from .dense import content_key, dense_matrix, is_diagonal, pauli_rows

#: The device named in error messages when the caller does not pass its own ``name``.
DEVICE_NAME = "qoro.maestro"

#: Analytic probabilities need 2^k Pauli terms; beyond this many wires the group gets too big.
MAX_ANALYTIC_PROBS_WIRES = 10

#: Recipes of dense observables kept per process (keyed by matrix content and wire order).
DENSE_CACHE_SIZE = 16
_DATA_KEYED = frozenset({"Hermitian", "BasisStateProjector", "StateVectorProjector",
                         "SparseHamiltonian"})
_dense_cache: OrderedDict[tuple, Recipe] = OrderedDict()
_dense_lock = Lock()


@dataclass(frozen=True, eq=False)
class Recipe:
    """How one analytic measurement is computed from Pauli-term expectation values.

    ``y = matrix @ [⟨t⟩ for t in terms]`` (the all-identity term is 1), then ``kind`` finishes:
    ``"expval"`` → ``y[0]``; ``"var"`` → ``y[1] - y[0]**2``; ``"probs"`` → ``y`` (clipped, summing
    to 1); ``"eig_expval"`` / ``"eig_var"`` → moments of ``eigvals`` under the probabilities ``y``.
    """

    kind: str
    terms: tuple[str, ...]
    matrix: np.ndarray
    eigvals: np.ndarray | None = None

    def evaluate(self, values: np.ndarray) -> np.floating | np.ndarray:
        """Finish the measurement from the term values (``values[i]`` ↔ ``terms[i]``).

        >>> r = recipe(qml.expval(qml.Z(0) + 2.0 * qml.Identity(0)), [0])
        >>> r.terms
        ('Z', 'I')
        >>> float(r.evaluate(np.array([0.5, 1.0])))
        2.5
        """
        y = self.matrix @ values
        if self.kind == "expval":
            return np.float64(y[0])
        if self.kind == "var":
            return np.float64(max(y[1] - y[0] ** 2, 0.0))
        probs = _clean_probs(y)
        if self.kind == "probs":
            return probs
        mean = probs @ self.eigvals
        if self.kind == "eig_expval":
            return np.float64(mean)
        return np.float64(max(probs @ self.eigvals**2 - mean**2, 0.0))

    def linear(self, values: np.ndarray) -> np.ndarray:
        """The linear statistic ``matrix @ values`` that parameter-shift rules combine."""
        return self.matrix @ values

    def derivative(self, dy: np.ndarray, y0: np.ndarray) -> np.floating | np.ndarray:
        """The measurement's derivative from the derivative ``dy`` of :meth:`linear` and its
        value ``y0`` at the unshifted parameters (see :func:`finish_derivative`)."""
        return finish_derivative(self.kind, dy, y0, self.eigvals)


def finish_derivative(kind: str, dy, y0, eigvals: np.ndarray | None = None):
    """Chain rule from a linear statistic's derivative to a measurement's derivative.

    The statistic ``y`` is linear in the state's expectation values, so a parameter-shift rule
    gives ``dy`` exactly; ``kind`` says how the result depends on ``y``:

    * ``"expval"``: ``y[0]``; ``"var"``: ``y[1] - y[0]**2`` (``y`` = first two moments);
    * ``"probs"``: ``y`` itself;
    * ``"eig_expval"`` / ``"eig_var"``: moments of ``eigvals`` under the probabilities ``y``.

    >>> float(finish_derivative("var", np.array([0.5, 0.0]), np.array([0.2, 1.0])))
    -0.2
    """
    if kind == "expval":
        return np.float64(dy[0])
    if kind == "var":
        return np.float64(dy[1] - 2.0 * y0[0] * dy[0])
    if kind == "probs":
        return np.asarray(dy, dtype=np.float64)
    mean, dmean = y0 @ eigvals, dy @ eigvals
    if kind == "eig_expval":
        return np.float64(dmean)
    return np.float64(dy @ eigvals**2 - 2.0 * mean * dmean)


def _clean_probs(y: np.ndarray) -> np.ndarray:
    """Remove round-off: probabilities are >= 0 and sum to 1."""
    p = np.clip(np.real(y), 0.0, None)
    total = p.sum()
    return p / total if total > 0 else p


def dense_term(word: dict, wire_index: dict, n_qubits: int) -> str:
    """A PauliWord ``{wire: "X"|"Y"|"Z"}`` as a dense string, character i ↔ qubit i (§3.4).

    >>> dense_term({"b": "X", 0: "Z"}, {0: 0, "a": 1, "b": 2}, 3)
    'ZIX'
    """
    chars = ["I"] * n_qubits
    for wire, letter in word.items():
        chars[wire_index[wire]] = letter
    return "".join(chars)


def is_z_diagonal(rep: PauliSentence | None) -> bool:
    """Whether a Pauli representation has Z letters only, i.e. is diagonal in the
    computational basis (sampled results read it straight off the outcomes).

    >>> is_z_diagonal((qml.Z(0) @ qml.Z(1) + 2 * qml.Identity(0)).pauli_rep)
    True
    >>> is_z_diagonal(qml.X(0).pauli_rep), is_z_diagonal(None)
    (False, False)
    """
    return rep is not None and all(set(word.values()) <= {"Z"} for word in rep)


def pauli_sentence(obs, name: str = DEVICE_NAME) -> PauliSentence:
    """The Pauli decomposition of an observable.

    Uses ``obs.pauli_rep``; observables without one (Hermitian, Projector, Hadamard) are
    decomposed from their matrix with ``qml.pauli_decompose``.

    Args:
        obs (Operator): the observable.
        name (str): the device named in the error.

    Raises:
        DeviceError: the observable has neither a Pauli representation nor a matrix.
    """
    rep = obs.pauli_rep
    if rep is not None:
        return rep
    if obs.has_sparse_matrix and not obs.has_matrix:  # SparseHamiltonian
        dense = obs.sparse_matrix(wire_order=obs.wires).toarray()
        return qml.pauli_decompose(dense, wire_order=obs.wires, pauli=True)
    if not obs.has_matrix:
        raise DeviceError(
            f"Observable {obs} is not supported on {name}: it has no Pauli decomposition."
        )
    return qml.pauli_decompose(obs.matrix(), wire_order=obs.wires, pauli=True)


def check_decomposable(obs, name: str = DEVICE_NAME) -> None:
    """Raise unless analytic ``expval``/``var`` of ``obs`` can be computed: it has a Pauli
    representation or a (sparse) matrix. Decomposes nothing.

    Raises:
        DeviceError: the observable has neither.
    """
    if obs.pauli_rep is None and not (obs.has_matrix or obs.has_sparse_matrix):
        raise DeviceError(
            f"Observable {obs} is not supported on {name}: it has no Pauli decomposition."
        )


def dense_recipe(mp, wire_order: Sequence) -> Recipe:
    """The recipe of ``expval``/``var`` of an observable given by its matrix (no Pauli
    representation), cached by matrix content: a diagonal matrix reads the 2^k Z-subset
    probabilities with its diagonal as eigenvalues; any other is decomposed by the vectorised
    transform of ``compile/dense.py`` (``var`` decomposes the matrix's square).

    >>> r = dense_recipe(qml.expval(qml.Projector([1], wires=[0])), [0])
    >>> r.kind, r.terms, r.eigvals.tolist()
    ('eig_expval', ('I', 'Z'), [0.0, 1.0])
    """
    obs = mp.obs
    # Hermitian / Projector / SparseHamiltonian are defined by their data (a Projector's basis
    # state is 8 numbers, its matrix 65536): key on that; anything else on its matrix.
    matrix = None if type(obs).__name__ in _DATA_KEYED else dense_matrix(obs)
    digest = content_key(*(obs.data if matrix is None else (matrix,)))
    key = (type(mp).__name__, type(obs).__name__, digest, tuple(obs.wires), tuple(wire_order))
    with _dense_lock:
        found = _dense_cache.get(key)
        if found is not None:
            _dense_cache.move_to_end(key)
            return found
    if matrix is None:
        matrix = dense_matrix(obs)
    wire_index = {w: i for i, w in enumerate(wire_order)}
    n, wires = len(wire_order), list(obs.wires)
    if is_diagonal(matrix):
        base = probs_recipe(wires, "Z" * len(wires), wire_index, n)
        kind = "eig_expval" if isinstance(mp, ExpectationMP) else "eig_var"
        made = Recipe(kind, base.terms, base.matrix, np.real(np.diagonal(matrix)).copy())
    else:
        positions = [wire_index[w] for w in wires]
        squares = [matrix] if isinstance(mp, ExpectationMP) else [matrix, matrix @ matrix]
        terms, rows = pauli_rows(squares, positions, n)
        made = Recipe("expval" if len(squares) == 1 else "var", terms, rows)
    with _dense_lock:
        _dense_cache[key] = made
        while len(_dense_cache) > DENSE_CACHE_SIZE:
            _dense_cache.popitem(last=False)
    return made


def _linear_row(ps: PauliSentence, terms: dict, wire_index: dict, n: int) -> dict[int, float]:
    """Column -> coefficient of a PauliSentence over the growing term table ``terms``."""
    row: dict[int, float] = {}
    for word, coeff in ps.items():
        key = dense_term(word, wire_index, n)
        col = terms.setdefault(key, len(terms))
        row[col] = row.get(col, 0.0) + float(np.real(coeff))
    return row


def _matrix(rows: Sequence[dict[int, float]], n_cols: int) -> np.ndarray:
    mat = np.zeros((len(rows), n_cols))
    for i, row in enumerate(rows):
        for col, c in row.items():
            mat[i, col] = c
    return mat


def recipe(mp, wire_order: Sequence) -> Recipe:
    """The analytic recipe of one measurement over a wire order.

    Args:
        mp (MeasurementProcess): ``ExpectationMP``, ``VarianceMP`` or ``ProbabilityMP``.
        wire_order (Sequence): device wire order; position i is qubit ``q[i]``.

    Returns:
        Recipe: terms (dense, may include the all-identity term) and the combination.

    Raises:
        DeviceError: unsupported measurement or observable, or probabilities on more than
            ``MAX_ANALYTIC_PROBS_WIRES`` wires.
    """
    wire_index = {w: i for i, w in enumerate(wire_order)}
    n = len(wire_order)
    if isinstance(mp, ExpectationMP | VarianceMP) and mp.obs is not None:
        if mp.obs.pauli_rep is None:
            check_decomposable(mp.obs)
            return dense_recipe(mp, wire_order)
        ps = mp.obs.pauli_rep
        terms: dict[str, int] = {}
        rows = [_linear_row(ps, terms, wire_index, n)]
        kind = "expval"
        if isinstance(mp, VarianceMP):
            square = ps @ ps
            square.simplify()
            rows.append(_linear_row(square, terms, wire_index, n))
            kind = "var"
        return Recipe(kind, tuple(terms), _matrix(rows, len(terms)))
    if isinstance(mp, ProbabilityMP):
        wires = mp.wires if len(mp.wires) else wire_order
        return probs_recipe(wires, basis_letters(mp.obs, wires), wire_index, n)
    if isinstance(mp, ExpectationMP | VarianceMP) and mp.mv is not None:
        base = probs_recipe(mp.wires, "Z" * len(mp.wires), wire_index, n)
        kind = "eig_expval" if isinstance(mp, ExpectationMP) else "eig_var"
        return Recipe(kind, base.terms, base.matrix, np.asarray(mp.eigvals(), dtype=float))
    raise DeviceError(f"Measurement {mp} is not supported analytically on {DEVICE_NAME}.")


def basis_letters(obs, wires, name: str = DEVICE_NAME) -> str:
    """Per wire, the Pauli whose eigenbasis ``probs(op=obs)`` is taken in (Z without op).

    Raises:
        DeviceError: ``obs`` is not a Pauli word (the message names the device ``name``).
    """
    if obs is None:
        return "Z" * len(wires)
    rep = obs.pauli_rep
    words = list(rep) if rep is not None else []
    if len(words) != 1 or not np.isclose(abs(rep[words[0]]), 1.0):
        raise DeviceError(
            f"Analytic probs(op={obs}) is not supported on {name}: only Pauli-word "
            "observables have a basis the service can measure; use probs(wires=...) or shots."
        )
    return "".join(words[0].get(w, "Z") for w in wires)


def probs_recipe(wires: Sequence, letters: str, wire_index: dict, n_qubits: int) -> Recipe:
    """Probabilities on ``wires`` from the 2^k subset products of ``letters`` (inverse WHT).

    Index b of the result has ``wires[0]`` as its most significant bit (PennyLane's order).

    Raises:
        DeviceError: more than ``MAX_ANALYTIC_PROBS_WIRES`` wires.
    """
    k = len(wires)
    if k > MAX_ANALYTIC_PROBS_WIRES:
        raise DeviceError(
            f"Analytic probs on {k} wires needs 2^{k} expectation values; {DEVICE_NAME} "
            f"supports at most {MAX_ANALYTIC_PROBS_WIRES} wires analytically. Use shots."
        )
    terms = []
    for mask in range(2**k):
        chars = ["I"] * n_qubits
        for j, wire in enumerate(wires):
            if mask >> (k - 1 - j) & 1:
                chars[wire_index[wire]] = letters[j]
        terms.append("".join(chars))
    return Recipe("probs", tuple(terms), _walsh_hadamard(k) / 2**k)


@lru_cache(maxsize=16)
def _walsh_hadamard(k: int) -> np.ndarray:
    """Sylvester matrix H[b, m] = (-1)^popcount(b & m), indices MSB-first (kron order)."""
    mat = np.ones((1, 1))
    for _ in range(k):
        mat = np.kron(np.array([[1.0, 1.0], [1.0, -1.0]]), mat)
    mat.setflags(write=False)
    return mat
