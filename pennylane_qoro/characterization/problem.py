"""The canonical problem of the characterization helper (client side, characterization.md §1.3).

Owns :class:`Problem`: the exact polynomial E(x) = offset + sum_T c_T prod_{i in T} x_i over
x in {0,1}^n that :func:`~.convert.canonicalize` builds from the user's input, with the constant
offset kept (it is never sent, §1.3, and is reported by the result), and its readings: energies,
the legacy wire dict, the QUBO matrix, the Ising terms and a PennyLane cost Hamiltonian. The
maths shared with the local service (term groups, Q, the Walsh expansion) is
:mod:`pennylane_qoro.protocol.polynomial`; the wire dict is :mod:`pennylane_qoro.protocol.qubo`.

Bit order: character i of a bitstring is variable i (:func:`bits_of`).

Imports numpy, the standard library, ``protocol`` and this package's errors; PennyLane only
lazily, for :meth:`Problem.cost_hamiltonian`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..protocol.polynomial import TermGroups, group_terms, qubo_matrix, walsh_expansion
from ..protocol.qubo import encode_legacy_qubo
from .errors import ProblemError, ReferenceStateError


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

    def groups(self) -> TermGroups:
        """The terms as one ``(idx, coef)`` array pair per degree (computed once)."""
        if "groups" not in self._arrays:
            self._arrays["groups"] = group_terms(self.terms.items())
        return self._arrays["groups"]

    def energies(self, states: np.ndarray) -> np.ndarray:
        """Energies (offset included) of the 0/1 rows of ``states`` (shape (R, n))."""
        X = np.asarray(states, dtype=np.float64).reshape(-1, self.n)
        out = np.full(X.shape[0], self.offset)
        for idx, coef in self.groups():
            out += X[:, idx].prod(axis=2) @ coef
        return out

    def energy(self, state: str | Sequence[int]) -> float:
        """Energy (offset included) of one assignment; a string's character i is variable i."""
        bits = bits_of(state, self.n, "state")
        return float(self.energies(np.array([bits]))[0])

    def to_legacy(self) -> dict[str, float]:
        """The comma-key wire dict (§1.4): ascending indices, linear terms as ``"i"``."""
        return encode_legacy_qubo(self.terms)

    def to_matrix(self) -> np.ndarray:
        """Symmetric Q with E(x) = x^T Q x + offset (QUBO only): Q_ii = a_i, Q_ij = b_ij / 2."""
        if not self.is_quadratic:
            raise ProblemError("a problem with terms of degree > 2 has no QUBO matrix")
        return qubo_matrix(self.n, self.groups())

    def ising_terms(self) -> tuple[float, dict[tuple[int, ...], float]]:
        """(constant, {index tuple: coefficient of prod Z}) with x_i = (1 - Z_i) / 2."""
        w = walsh_expansion(self.terms.items(), self.offset)
        const = w.pop(())
        return const, {k: v for k, v in w.items() if v != 0.0}

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


def bits_of(state: Any, n: int, where: str) -> list[int]:
    """One assignment as n 0/1 ints: a bitstring (character i = variable i) or a 0/1 sequence.

    Raises:
        ReferenceStateError: characters other than 0/1, or not n wide; ``where`` names it.
    """
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
