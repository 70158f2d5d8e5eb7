"""PennyLane noise channels as Maestro's per-qubit layers (findings verified vs default.mixed).

After every gate, on each qubit of the gate, Maestro applies in this fixed order:

1. amplitude damping (``set_t1``; ``set_t1_2q`` after 2q gates) OR thermal relaxation
   (``set_thermal_relaxation``; ``set_thermal_relaxation_2q`` after 2q gates);
2. one Pauli channel: the all-gates slot (``set_depolarizing`` / ``set_bit_flip`` /
   ``set_dephasing`` / ``set_qubit_noise``: one slot per qubit, the last call wins) composed with
   ``set_1q_gate_depolarizing``, ``set_2q_gate_depolarizing`` and ``set_phase_damping`` (these
   commute);
3. ``set_generalized_amplitude_damping``;  4. ``set_kraus_channel([q])``;
5. ``set_kraus_channel([a, b])`` and 6. ``set_2q_depolarizing(a, b)`` (2q gates on {a, b}).

:class:`WireNoise` collects what PennyLane puts on one qubit after one gate, split into those
families, and checks that Maestro's order gives the same channel (4x4 superoperators).

Imports numpy and PennyLane only.
"""

from __future__ import annotations

import itertools

import numpy as np
import pennylane as qml

__all__ = ["PAULI", "NotExpressible", "WireNoise", "pauli_calls", "ptm", "superop"]

TOL = 1e-12
_I = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.diag([1.0, -1.0]).astype(complex)
PAULI = (_I, _X, _Y, _Z)
_PAULI2 = [np.kron(a, b) for a, b in itertools.product(PAULI, repeat=2)]


class NotExpressible(ValueError):
    """The PennyLane noise has no exact Maestro equivalent (the message says why)."""


def superop(kraus) -> np.ndarray:
    """Column-stacking superoperator ``sum_k K (x) conj(K)`` of a Kraus list."""
    return sum(np.kron(k, k.conj()) for k in kraus)


def ptm(kraus) -> np.ndarray:
    """The 16x16 Pauli transfer matrix of a two-qubit channel."""
    return np.array([[np.real(np.trace(pi @ sum(k @ pj @ k.conj().T for k in kraus))) / 4
                      for pj in _PAULI2] for pi in _PAULI2])


def _lambdas(ch) -> np.ndarray | None:
    """PTM diagonal (lx, ly, lz) of a one-qubit Pauli channel, or ``None``.

    Only the Pauli families get here as numbers: other channels (a ``QubitChannel``'s Kraus
    matrices) carry parameters ``float`` cannot read."""
    name = ch.name
    if name not in _PAULI_CHANNELS or (name == "PauliError" and len(ch.wires) != 1):
        return None
    p = float(ch.parameters[0])
    if name == "DepolarizingChannel":
        d = 1 - 4 * p / 3
        return np.array([d, d, d])
    if name == "BitFlip":
        return np.array([1, 1 - 2 * p, 1 - 2 * p])
    if name == "PhaseFlip":
        return np.array([1 - 2 * p, 1 - 2 * p, 1])
    if name == "PhaseDamping":
        c = np.sqrt(1 - p)
        return np.array([c, c, 1])
    f = 1 - 2 * p  # PauliError: its letter is a hyperparameter in PennyLane 0.45
    return {"X": np.array([1, f, f]), "Y": np.array([f, 1, f]),
            "Z": np.array([f, f, 1]), "I": np.ones(3)}[ch.hyperparameters["operators"]]


_PAULI_CHANNELS = frozenset(
    {"DepolarizingChannel", "BitFlip", "PhaseFlip", "PhaseDamping", "PauliError"}
)


def _probs(lam: np.ndarray) -> np.ndarray:
    lx, ly, lz = lam
    return np.array([1 + lx - ly - lz, 1 - lx + ly - lz, 1 - lx - ly + lz]) / 4


def pauli_calls(q: int, lam: np.ndarray, exact: dict | None = None) -> list[tuple]:
    """The one slot setter for a Pauli channel with PTM diagonal ``lam`` on qubit ``q``.

    ``exact`` maps a family to the user's own parameter (so p=0.02 is sent as 0.02, not as
    the round-off of the composition)."""
    if np.allclose(lam, 1, atol=TOL):
        return []
    px, py, pz = (float(v) for v in np.clip(_probs(lam), 0, 1))
    exact = exact or {}
    if abs(px - py) < TOL and abs(py - pz) < TOL:
        return [("set_depolarizing", [q, exact.get("DepolarizingChannel", 3 * px)], {})]
    if py < TOL and pz < TOL:
        return [("set_bit_flip", [q, exact.get("BitFlip", px)], {})]
    if px < TOL and py < TOL:
        return [("set_dephasing", [q, exact.get("PhaseFlip", pz)], {})]
    return [("set_qubit_noise", [q, px, py, pz], {})]


def _describe(ch) -> str:
    pars = ", ".join(f"{float(v):g}" if not isinstance(v, str) else repr(v)
                     for v in ch.parameters) if ch.name != "QubitChannel" else "K"
    return f"{ch.name}({pars})"


class WireNoise:
    """The channels PennyLane puts on one qubit after one gate, by Maestro family."""

    def __init__(self):
        self.seq: list = []
        self.lam = np.ones(3)
        self.ad = 0.0
        self.thermal: tuple | None = None
        self.gad: tuple | None = None
        self.kraus: list | None = None
        self.paulis: list = []

    @property
    def exact(self) -> dict[str, float]:
        """The user's own parameter when one Pauli channel makes up the slot."""
        if len(self.paulis) == 1 and self.paulis[0].name in ("DepolarizingChannel", "BitFlip",
                                                              "PhaseFlip"):
            return {self.paulis[0].name: float(self.paulis[0].parameters[0])}
        return {}

    def add(self, ch) -> None:
        self.seq.append(ch)
        lam = _lambdas(ch)
        if lam is not None:
            self.lam = self.lam * lam
            self.paulis.append(ch)
            return
        name = ch.name
        if name == "AmplitudeDamping":
            gamma = float(ch.parameters[0])
            self.ad = 1 - (1 - self.ad) * (1 - gamma) if self.ad else gamma
        elif name == "ThermalRelaxationError":
            if self.thermal is not None:
                raise NotExpressible("two ThermalRelaxationError channels after one gate")
            self.thermal = tuple(float(v) for v in ch.parameters)  # (pe, t1, t2, tq)
        elif name == "GeneralizedAmplitudeDamping":
            if self.gad is not None:
                raise NotExpressible("two GeneralizedAmplitudeDamping channels after one gate")
            self.gad = tuple(float(v) for v in ch.parameters)  # (gamma, p)
        elif name == "QubitChannel":
            ks = [np.asarray(k, dtype=complex) for k in ch.kraus_matrices()]
            self.kraus = ks if self.kraus is None else [a @ b for a in ks for b in self.kraus]
        else:
            raise NotExpressible(f"the channel {name} has no Maestro equivalent")

    def describe(self) -> str:
        return " then ".join(_describe(c) for c in self.seq) or "no noise"

    def key(self) -> tuple:
        return (tuple(np.round(self.lam, 12)), round(self.ad, 12), self.thermal, self.gad,
                None if self.kraus is None else np.round(superop(self.kraus), 12).tobytes())

    def _maestro_superop(self) -> np.ndarray:
        s = np.eye(4, dtype=complex)
        layers = []
        if self.ad:
            layers.append(qml.AmplitudeDamping.compute_kraus_matrices(self.ad))
        if self.thermal:
            layers.append(qml.ThermalRelaxationError.compute_kraus_matrices(*self.thermal))
        px, py, pz = _probs(self.lam)
        layers.append([np.sqrt(max(1 - px - py - pz, 0)) * _I, np.sqrt(max(px, 0)) * _X,
                       np.sqrt(max(py, 0)) * _Y, np.sqrt(max(pz, 0)) * _Z])
        if self.gad:
            layers.append(qml.GeneralizedAmplitudeDamping.compute_kraus_matrices(*self.gad))
        if self.kraus is not None:
            layers.append(self.kraus)
        for kraus in layers:
            s = superop(kraus) @ s
        return s

    def check_order(self, where: str) -> None:
        """Refuse channels in an order Maestro does not apply, unless they commute."""
        s = np.eye(4, dtype=complex)
        for ch in self.seq:
            s = superop(ch.kraus_matrices()) @ s
        if np.max(np.abs(self._maestro_superop() - s)) > 1e-10:
            raise NotExpressible(
                f"{where}: {self.describe()} is not in Maestro's fixed order (amplitude "
                "damping / thermal relaxation, then Pauli channels, then generalized "
                "amplitude damping, then Kraus) and the channels do not commute")
