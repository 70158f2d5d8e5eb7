"""A typed builder for Maestro noise models in PennyLane wire labels.

:class:`NoiseBuilder` covers Maestro's setter families (Pauli, gate-class depolarizing, pair
depolarizing, amplitude / phase damping, thermal relaxation, generalized amplitude damping,
Kraus, correlated phase flip, readout, idle, coherent, crosstalk and correlated noise) with
Maestro's own semantics: each channel follows every gate on the qubit (or the gate class the
method says). Values are checked when added, with the same table the service uses
(``protocol.noise``); wire labels are mapped to qubit indices, and checked against the device's
wires, by :meth:`NoiseBuilder.calls`, exactly as circuits map them (position in the device's
wire order).

Imports ``protocol.noise`` and the standard library only.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

from ..protocol.noise import NoiseModelError, encode_value, validate_noise_model

__all__ = ["NoiseBuilder"]

_ALL = None  # every device wire


def _wires(wires: Any) -> list | None:
    if wires is None:
        return None
    if isinstance(wires, str) or not isinstance(wires, Iterable):
        return [wires]
    return list(wires)


def _pairs(pairs: Any) -> list[tuple]:
    pairs = list(pairs)
    if len(pairs) == 2 and not any(isinstance(p, list | tuple) for p in pairs):
        pairs = [tuple(pairs)]  # one pair given as (a, b)
    out = []
    for p in pairs:
        if not isinstance(p, list | tuple) or len(p) != 2 or p[0] == p[1]:
            raise ValueError(f"a wire pair must be two distinct wires, got {p!r}")
        out.append(tuple(p))
    return out


class NoiseBuilder:
    """Maestro noise in PennyLane wire labels; pass it as ``qml.device(..., noise_model=b)``.

    Every method returns the builder, so calls chain. ``wires=None`` means every device wire.

    >>> nb = NoiseBuilder().depolarizing(0.01).amplitude_damping(0.02, wires=["a"])
    >>> nb.calls(["a", "b"])[:2]  # doctest: +NORMALIZE_WHITESPACE
    [{'method': 'set_depolarizing', 'args': [0, 0.01], 'kwargs': {}},
     {'method': 'set_depolarizing', 'args': [1, 0.01], 'kwargs': {}}]
    >>> NoiseBuilder().bit_flip(1.5)
    Traceback (most recent call last):
    ...
    ValueError: bit_flip: p is a probability and must be in [0, 1], got 1.5
    """

    def __init__(self):
        self._items: list[tuple[str, str, Any, list, dict]] = []

    def __repr__(self) -> str:
        return f"NoiseBuilder({', '.join(m for _, m, *_ in self._items)})"

    # -- bookkeeping ---------------------------------------------------------------------
    def _add(self, name: str, method: str, kind: str, where: Any, values: list,
             kwargs: dict | None = None) -> NoiseBuilder:
        """Record one family; ``kind``: "wire" (one call per wire), "pair", "targets"."""
        kwargs = dict(kwargs or {})
        probe = [0] if kind == "wire" else [0, 1] if kind == "pair" else [[0]]
        try:  # the service's own table checks every value now (qubit 0 stands in)
            validate_noise_model([{"method": method, "args": probe + encode_value(values),
                                   "kwargs": encode_value(kwargs)}], where=name)
        except NoiseModelError as exc:
            message = str(exc).replace(f"{name}[0] {method}: ", f"{name}: ")
            raise ValueError(message) from None
        self._items.append((name, method, (kind, where), values, kwargs))
        return self

    def calls(self, wire_order: Sequence[Hashable]) -> list[dict[str, Any]]:
        """The wire form for a device whose wires are ``wire_order`` (qubit i = position i).

        Raises:
            ValueError: a wire that is not a device wire.
        """
        index = {w: i for i, w in enumerate(wire_order)}

        def q(name: str, w: Hashable) -> int:
            if w not in index:
                raise ValueError(f"{name}: wire {w!r} is not a device wire "
                                 f"(device wires: {list(wire_order)})")
            return index[w]

        out = []
        for name, method, (kind, where), values, kwargs in self._items:
            if kind == "wire":
                for w in list(wire_order) if where is _ALL else where:
                    out.append([method, [q(name, w), *values], kwargs])
            elif kind == "pair":
                for a, b in where:
                    out.append([method, [q(name, a), q(name, b), *values], kwargs])
            else:
                out.append([method, [[q(name, w) for w in where], *values], kwargs])
        return [{"method": m, "args": encode_value(a), "kwargs": encode_value(k)}
                for m, a, k in out]

    # -- Pauli ---------------------------------------------------------------------------
    def depolarizing(self, p: float, wires=None, *, after: str = "all") -> NoiseBuilder:
        """``qml.DepolarizingChannel(p)`` after every gate (``after="1q"`` / ``"2q"``: only
        after one- / two-qubit gates; these compose with the all-gates channel)."""
        method = {"all": "set_depolarizing", "1q": "set_1q_gate_depolarizing",
                  "2q": "set_2q_gate_depolarizing"}.get(after)
        if method is None:
            raise ValueError(f"depolarizing: after must be 'all', '1q' or '2q', got {after!r}")
        return self._add("depolarizing", method, "wire", _wires(wires), [float(p)])

    def bit_flip(self, p: float, wires=None) -> NoiseBuilder:
        """``qml.BitFlip(p)`` after every gate (shares the Pauli slot: the last one wins)."""
        return self._add("bit_flip", "set_bit_flip", "wire", _wires(wires), [float(p)])

    def phase_flip(self, p: float, wires=None) -> NoiseBuilder:
        """``qml.PhaseFlip(p)`` after every gate (shares the Pauli slot)."""
        return self._add("phase_flip", "set_dephasing", "wire", _wires(wires), [float(p)])

    def pauli(self, px: float, py: float, pz: float, wires=None) -> NoiseBuilder:
        """X, Y, Z errors with these probabilities after every gate (the Pauli slot)."""
        return self._add("pauli", "set_qubit_noise", "wire", _wires(wires),
                         [float(px), float(py), float(pz)])

    def two_qubit_depolarizing(self, p: float, pairs) -> NoiseBuilder:
        """Two-qubit depolarizing ``(1-p) rho + p/15 sum P rho P`` after 2q gates on a pair."""
        return self._add("two_qubit_depolarizing", "set_2q_depolarizing", "pair",
                         _pairs(pairs), [float(p)])

    # -- damping -------------------------------------------------------------------------
    def amplitude_damping(self, gamma: float, wires=None, *,
                          gamma_2q: float | None = None) -> NoiseBuilder:
        """``qml.AmplitudeDamping(gamma)`` after every gate; ``gamma_2q`` replaces it after
        two-qubit gates (0 switches it off there)."""
        self._add("amplitude_damping", "set_t1", "wire", _wires(wires), [float(gamma)])
        if gamma_2q is not None:
            self._add("amplitude_damping", "set_t1_2q", "wire", _wires(wires),
                      [float(gamma_2q)])
        return self

    def phase_damping(self, gamma: float, wires=None) -> NoiseBuilder:
        """``qml.PhaseDamping(gamma)`` after every gate."""
        return self._add("phase_damping", "set_phase_damping", "wire", _wires(wires),
                         [float(gamma)])

    def thermal_relaxation(self, t1: float, t2: float, gate_time: float, wires=None, *,
                           excited_population: float = 0.0,
                           gate_time_2q: float | None = None) -> NoiseBuilder:
        """``qml.ThermalRelaxationError(pe, t1, t2, gate_time)`` after every gate;
        ``gate_time_2q`` is the duration used after two-qubit gates (0: none there)."""
        if t1 > 0 and t2 > 2 * t1:
            raise ValueError(f"thermal_relaxation: T2 must be <= 2*T1, got T1={t1}, T2={t2}")
        kw = {"excited_population": float(excited_population)}
        self._add("thermal_relaxation", "set_thermal_relaxation", "wire", _wires(wires),
                  [float(gate_time), float(t1), float(t2)], kw)
        if gate_time_2q is not None:
            self._add("thermal_relaxation", "set_thermal_relaxation_2q", "wire",
                      _wires(wires), [float(gate_time_2q), float(t1), float(t2)], kw)
        return self

    def generalized_amplitude_damping(self, gamma: float, excited_population: float,
                                      wires=None) -> NoiseBuilder:
        """``qml.GeneralizedAmplitudeDamping(gamma, excited_population)`` after every gate
        (density-matrix or MPO simulation only)."""
        return self._add("generalized_amplitude_damping", "set_generalized_amplitude_damping",
                         "wire", _wires(wires), [float(gamma), float(excited_population)])

    def kraus(self, matrices, wires) -> NoiseBuilder:
        """A channel given by Kraus matrices on one wire (after every gate on it) or on two
        wires (after 2q gates on that pair; PennyLane's order, the first wire most
        significant). Density-matrix or MPO simulation only."""
        wires = _wires(wires)
        mats = [[[complex(x) for x in row] for row in m] for m in
                (m.tolist() if hasattr(m, "tolist") else m for m in matrices)]
        if len(wires) == 2:  # Maestro's targets[0] is the least significant bit
            perm = (0, 2, 1, 3)
            mats = [[[m[perm[i]][perm[j]] for j in range(4)] for i in range(4)] for m in mats]
        return self._add("kraus", "set_kraus_channel", "targets", wires, [mats])

    def correlated_phase_flip(self, p: float, pairs, *, correlation: float = 1.0):
        """ZZ phase flips after 2q gates on a pair (density-matrix or MPO simulation only)."""
        return self._add("correlated_phase_flip", "set_correlated_phase_flip", "pair",
                         _pairs(pairs), [float(p)], {"correlation": float(correlation)})

    # -- readout and idle ----------------------------------------------------------------
    def readout(self, p_meas1_prep0: float, p_meas0_prep1: float | None = None,
                wires=None) -> NoiseBuilder:
        """Classical readout flips at each measurement (samples only)."""
        if p_meas0_prep1 is None:
            return self._add("readout", "set_readout_error_symmetric", "wire", _wires(wires),
                             [float(p_meas1_prep0)])
        return self._add("readout", "set_readout_error", "wire", _wires(wires),
                         [float(p_meas1_prep0), float(p_meas0_prep1)])

    def idle(self, t1: float, t2: float, wires=None, *, excited_population: float = 0.0,
             detuning_hz: float = 0.0) -> NoiseBuilder:
        """Relaxation during ``delay`` instructions."""
        if t1 > 0 and t2 > 2 * t1:
            raise ValueError(f"idle: T2 must be <= 2*T1, got T1={t1}, T2={t2}")
        return self._add("idle", "set_idle_noise", "wire", _wires(wires),
                         [float(t1), float(t2)],
                         {"excited_population": float(excited_population),
                          "detuning_hz": float(detuning_hz)})

    # -- coherent and correlated (sampled per realization, even on a density matrix) ------
    def coherent_rotation(self, rx: float, ry: float, rz: float, wires=None) -> NoiseBuilder:
        """Over-rotations with random signs per realization."""
        return self._add("coherent_rotation", "set_coherent_rotation", "wire", _wires(wires),
                         [float(rx), float(ry), float(rz)])

    def coherent(self, kind: str, p: float, wires=None) -> NoiseBuilder:
        """Coherent ``"bit_flip"``, ``"dephasing"`` or ``"depolarizing"`` noise of strength p."""
        if kind not in ("bit_flip", "dephasing", "depolarizing"):
            raise ValueError(f"coherent: kind must be bit_flip, dephasing or depolarizing, "
                             f"got {kind!r}")
        return self._add("coherent", f"set_coherent_{kind}", "wire", _wires(wires), [float(p)])

    def crosstalk(self, strength: float, pairs) -> NoiseBuilder:
        """ZZ crosstalk of this strength between wire pairs."""
        return self._add("crosstalk", "set_crosstalk", "pair", _pairs(pairs), [float(strength)])

    def correlated_ou(self, sigma: float, alpha: float, gate_time: float, wires=None, *,
                      after_1q: bool = True, after_2q: bool = True) -> NoiseBuilder:
        """Ornstein-Uhlenbeck correlated dephasing."""
        return self._add("correlated_ou", "set_correlated_ou", "wire", _wires(wires),
                         [float(sigma), float(alpha), float(gate_time)],
                         {"after_1q": bool(after_1q), "after_2q": bool(after_2q)})

    def one_over_f(self, total_power: float, f_min: float, f_max: float, num_bands: int,
                   gate_time: float, wires=None) -> NoiseBuilder:
        """1/f dephasing noise built from ``num_bands`` OU bands."""
        return self._add("one_over_f", "set_1_over_f_noise", "wire", _wires(wires),
                         [float(total_power), float(f_min), float(f_max), int(num_bands),
                          float(gate_time)])
