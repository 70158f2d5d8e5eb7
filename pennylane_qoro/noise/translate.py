"""``qml.NoiseModel`` -> Maestro setter calls, exact or refused.

PennyLane conditions are arbitrary Boolean functions of an operation, so the model is evaluated
on the gates the device actually emits (the compiled tapes of a batch): every noise function
whose condition holds is run, the channels it queues are recorded, and the result must have
Maestro's structure (``channels.py``) -- the same noise after every one-qubit gate on a qubit,
the same after every two-qubit gate touching it, only on the gate's own wires, in Maestro's
layer order -- or a :class:`~.channels.NotExpressible` says which gate, channel and condition
break it. Readout noise (``meas_map``) maps to ``set_readout_error*`` for computational-basis
samples.

Imports numpy and PennyLane only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pennylane as qml

from .channels import NotExpressible, WireNoise, pauli_calls, ptm, superop

__all__ = ["Translator"]

_CACHE_LIMIT = 20_000  # analysed gates kept per model (each differing angle is one)
_NO_NOISE_GATES = ("Identity", "Barrier")  # Maestro adds no noise after id / barrier
_SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)


@dataclass
class _Seen:
    noise: WireNoise
    gate: str
    conds: str
    key: tuple


def _op_text(op) -> str:
    return f"{op.name}{list(op.wires)}"


class Translator:
    """Evaluates one ``qml.NoiseModel`` on compiled tapes (cached per operation).

    Args:
        model (qml.NoiseModel): the user's model.
    """

    def __init__(self, model: qml.NoiseModel):
        self.model = model
        self._cache: dict[int, tuple[list, list[str]]] = {}
        self._analysed: dict[tuple, tuple] = {}

    def _record(self, op) -> tuple[list, list[str]]:
        """The channels the model inserts after ``op`` and the conditions that fired."""
        key = op.hash
        if key in self._cache:
            return self._cache[key]
        chans, conds = [], []
        for cond, fn in self.model.model_map.items():
            if not cond(op):
                continue
            conds.append(repr(cond))
            queued = qml.tape.make_qscript(fn)(op, **self.model.metadata).operations
            if any(qml.equal(op, o) for o in queued):
                at = next(i for i, o in enumerate(queued) if qml.equal(op, o))
                if at:
                    raise NotExpressible(
                        f"{cond!r} puts {queued[0].name} BEFORE {_op_text(op)}; "
                        "Maestro applies noise only after a gate")
                queued = queued[1:]
            for ch in queued:
                if not isinstance(ch, qml.operation.Channel):
                    raise NotExpressible(
                        f"{cond!r} inserts the operation {ch.name}, not a noise channel")
            chans += queued
        self._cache[key] = (chans, conds)
        return chans, conds

    def gate_calls(self, tapes: Sequence, wire_index: Mapping) -> list[tuple]:
        """Setter calls ``(method, args, kwargs)`` for the gates of ``tapes``.

        Raises:
            NotExpressible: the model's noise on these gates has no exact Maestro form.
        """
        per: dict[tuple[int, str], _Seen] = {}
        pair: dict[frozenset, tuple[bytes, list, str]] = {}
        big_gate_qubits: dict[int, str] = {}
        for tape in tapes:
            for op in tape.operations:
                self._one_gate(op, wire_index, per, pair, big_gate_qubits)
        calls = self._qubit_calls(per)
        calls += _pair_calls(pair)
        noisy = {c[1][0] for c in calls if isinstance(c[1][0], int)}
        for c in calls:
            if isinstance(c[1][0], list):
                noisy.update(c[1][0])
            if c[0] in ("set_2q_depolarizing",):
                noisy.update(c[1][:2])
        for q, gate in big_gate_qubits.items():
            if q in noisy:
                raise NotExpressible(
                    f"{gate} acts on 3 or more wires; Maestro applies only part of a qubit's "
                    "noise after such gates. Decompose it into 1- and 2-qubit gates first "
                    "(qml.transforms.decompose)")
        return calls

    def _one_gate(self, op, wire_index, per, pair, big_gate_qubits) -> None:
        qubits = tuple(wire_index[w] for w in op.wires)
        memo = (op.hash, qubits)
        if memo not in self._analysed:  # shifted tapes repeat almost every gate
            if len(self._analysed) > _CACHE_LIMIT:  # a long training loop: start afresh
                self._analysed.clear()
                self._cache.clear()
            self._analysed[memo] = self._analyse(op, wire_index, qubits)
        kind, *rest = self._analysed[memo]
        if kind == "skip":
            return
        if kind == "big":
            big_gate_qubits.update({q: rest[0] for q in qubits})
            return
        cls, noises, digest, two, where, text = rest
        for q, noise, key in noises:
            seen = per.get((q, cls))
            if seen is not None and seen.key != key:
                raise NotExpressible(
                    f"{cls} gates on qubit {q} get different noise: {seen.gate} gets "
                    f"{seen.noise.describe()} ({seen.conds}) but {where} gets "
                    f"{noise.describe()} ({text}). Maestro's noise depends only on the qubit "
                    "and on whether a gate acts on 1 or 2 qubits")
            if seen is None:
                per[(q, cls)] = _Seen(noise, where, text, key)
        if cls == "2q":
            pk = frozenset(qubits)
            if pk in pair and pair[pk][0] != digest:
                raise NotExpressible(f"2-qubit gates on qubits {sorted(pk)} get different "
                                     f"two-qubit noise ({pair[pk][2]} and {where})")
            pair.setdefault(pk, (digest, two, where))

    def _analyse(self, op, wire_index, qubits) -> tuple:
        """What the model puts after one gate, by qubit and Maestro family (cached)."""
        chans, conds = self._record(op)
        where = _op_text(op)
        if op.name in _NO_NOISE_GATES:
            if chans:
                raise NotExpressible(f"noise after {where} (from {', '.join(conds)}): Maestro "
                                     "applies no noise after identity or barrier gates")
            return ("skip",)
        if len(qubits) >= 3:
            if chans:
                raise NotExpressible(
                    f"noise after the {len(qubits)}-qubit gate {where} (from "
                    f"{', '.join(conds)}): Maestro's noise follows 1- and 2-qubit gates only; "
                    "decompose it first (qml.transforms.decompose)")
            return ("big", where)
        cls = "1q" if len(qubits) == 1 else "2q"
        wn = {q: WireNoise() for q in qubits}
        two: list[list[np.ndarray]] = []
        for ch in chans:
            cw = [wire_index[w] for w in ch.wires]
            if not set(cw) <= set(qubits):
                raise NotExpressible(
                    f"{ch.name} on wires {list(ch.wires)} after {where} (from "
                    f"{', '.join(conds)}): Maestro puts noise only on the gate's own wires")
            if len(cw) == 1:
                if two:
                    raise NotExpressible(
                        f"a one-qubit channel after a two-qubit channel on {where}: Maestro "
                        "applies the two-qubit channels last")
                wn[cw[0]].add(ch)
            elif ch.name == "QubitChannel":
                ks = [np.asarray(k, dtype=complex) for k in ch.kraus_matrices()]
                if cw[0] > cw[1]:  # ascending qubit order; PennyLane's first wire is the MSB
                    ks = [_SWAP @ k @ _SWAP for k in ks]
                two.append(ks)
            else:
                raise NotExpressible(f"the {len(cw)}-wire channel {ch.name} after {where} has "
                                     "no Maestro equivalent")
        for noise in wn.values():
            noise.check_order(where)
        digest = b""
        if cls == "2q":
            s = np.eye(16, dtype=complex)
            for ks in two:
                s = superop(ks) @ s
            digest = np.round(s, 12).tobytes()
        noises = [(q, noise, noise.key()) for q, noise in wn.items()]
        return ("gate", cls, noises, digest, two, where, ", ".join(conds) or "no condition")

    @staticmethod
    def _qubit_calls(per: dict[tuple[int, str], _Seen]) -> list[tuple]:
        calls: list[tuple] = []
        for q in sorted({q for q, _ in per}):
            one, both = per.get((q, "1q")), per.get((q, "2q"))
            a = (one or both).noise
            b = (both or one).noise  # a gate class absent from the batch takes the other's
            calls += _damping_calls(q, a, b)
            calls += _pauli_layer_calls(q, a, b)
            if a.gad != b.gad or (a.kraus is None) != (b.kraus is None) or (
                    a.kraus is not None
                    and np.max(np.abs(superop(a.kraus) - superop(b.kraus))) > 1e-12):
                raise NotExpressible(
                    f"qubit {q}: GeneralizedAmplitudeDamping / QubitChannel differ between "
                    "1- and 2-qubit gates; Maestro applies them after every gate")
            if a.gad:
                calls.append(("set_generalized_amplitude_damping", [q, *a.gad], {}))
            if a.kraus is not None:
                calls.append(("set_kraus_channel", [[q], [k.tolist() for k in a.kraus]], {}))
        return calls


def _damping_calls(q: int, a: WireNoise, b: WireNoise) -> list[tuple]:
    calls: list[tuple] = []
    if a.thermal or b.thermal:
        if a.ad or b.ad:
            raise NotExpressible(
                f"AmplitudeDamping and ThermalRelaxationError on qubit {q}: Maestro refuses "
                "set_t1 together with set_thermal_relaxation (T1 would count twice)")
        pe, t1, t2, tq = a.thermal or (0.0, 1.0, 1.0, 0.0)
        calls.append(("set_thermal_relaxation", [q, tq, t1, t2], {"excited_population": pe}))
        if b.thermal != a.thermal:
            pe, t1, t2, tq = b.thermal or (0.0, 1.0, 1.0, 0.0)
            calls.append(("set_thermal_relaxation_2q", [q, tq, t1, t2],
                          {"excited_population": pe}))
    if a.ad or b.ad:
        calls.append(("set_t1", [q, a.ad], {}))
        if b.ad != a.ad:
            calls.append(("set_t1_2q", [q, b.ad], {}))
    return calls


def _pauli_layer_calls(q: int, a: WireNoise, b: WireNoise) -> list[tuple]:
    if np.allclose(a.lam, b.lam, atol=1e-12):
        return pauli_calls(q, a.lam, a.exact)
    # Maestro's only gate-class Pauli layers are depolarizing: base slot x class factor.
    for base, other, method, exact, mine in (
            (a.lam, b.lam, "set_2q_gate_depolarizing", a.exact, b.exact),
            (b.lam, a.lam, "set_1q_gate_depolarizing", b.exact, a.exact)):
        if np.all(np.abs(base) > 1e-12):
            d = other / base
            if np.allclose(d, d[0], atol=1e-12) and -1 / 3 - 1e-12 <= d[0] <= 1 + 1e-12:
                p = float(3 * (1 - d[0]) / 4)
                if np.allclose(base, 1, atol=1e-12):  # the class has it alone: user's value
                    p = mine.get("DepolarizingChannel", p)
                return [*pauli_calls(q, base, exact), (method, [q, p], {})]
    raise NotExpressible(
        f"qubit {q}: the Pauli noise after 1-qubit and after 2-qubit gates differ by more "
        "than a depolarizing channel (Maestro's gate-class layers are depolarizing only)")


def _pair_calls(pair: dict) -> list[tuple]:
    calls: list[tuple] = []
    for key, (_, two, _where) in pair.items():
        if not two:
            continue
        lo, hi = sorted(key)
        ks = two[0]
        for more in two[1:]:
            ks = [m @ k for m in more for k in ks]
        t = ptm(ks)
        diag = np.diag(t)
        if np.allclose(t, np.diag(diag), atol=1e-12) and np.allclose(diag[1:], diag[1],
                                                                      atol=1e-12):
            calls.append(("set_2q_depolarizing", [lo, hi, float(15 * (1 - diag[1]) / 16)], {}))
        else:  # Maestro's targets[0] is the least significant bit
            calls.append(("set_kraus_channel",
                          [[lo, hi], [(_SWAP @ k @ _SWAP).tolist() for k in ks]], {}))
    return calls


def readout_calls(model: qml.NoiseModel, sampled: Sequence, analytic: Sequence,
                  wire_order: Sequence) -> list[tuple]:
    """``meas_map`` -> ``set_readout_error*`` for the sampled tapes of a batch.

    Maestro flips the classical bit at each ``measure``; that equals PennyLane's channel
    before a computational-basis measurement (the device refuses rotated sampled measurements
    under a ``qml.NoiseModel`` before this runs).

    Raises:
        NotExpressible: readout noise on an analytic tape (expectation jobs have no readout),
            a channel that is not a classical bit flip, or different readout noise for one
            qubit in different measurements.
    """
    if not model.meas_map:
        return []
    wire_index = {w: i for i, w in enumerate(wire_order)}
    for tape in analytic:
        for mp in tape.measurements:
            for cond in model.meas_map:
                if cond(mp):
                    raise NotExpressible(
                        f"{cond!r} puts readout noise on {mp} of an analytic tape: "
                        "Maestro applies readout error to samples only; run with shots "
                        "(qml.set_shots)")
    per: dict[int, tuple | None] = {}
    for tape in sampled:
        for mp in tape.measurements:
            wires = list(mp.wires) or list(wire_order)
            got: dict[int, tuple] = {}
            for cond, fn in model.meas_map.items():
                if not cond(mp):
                    continue
                for ch in qml.tape.make_qscript(fn)(mp, **model.metadata).operations:
                    got[wire_index[ch.wires[0]]] = _readout(ch, wire_index, repr(cond))
            for q in (wire_index[w] for w in wires):
                call = got.get(q)
                if q in per and per[q] != call:
                    raise NotExpressible(
                        f"qubit {q} is measured with different readout noise in different "
                        "measurements; Maestro has one readout error per qubit")
                per[q] = call
    return [c for _, c in sorted(per.items()) if c is not None]


def _readout(ch, wire_index: Mapping, cond: str) -> tuple:
    q = wire_index[ch.wires[0]]
    if ch.name == "BitFlip":
        return ("set_readout_error_symmetric", [q, float(ch.parameters[0])], {})
    if isinstance(ch, qml.operation.Channel) and len(ch.wires) == 1:
        ks = [np.asarray(k, dtype=complex) for k in ch.kraus_matrices()]
        a = float(sum(abs(k[1, 0]) ** 2 for k in ks))  # P(1 | 0)
        b = float(sum(abs(k[0, 1]) ** 2 for k in ks))  # P(0 | 1)
        # Before a Z measurement only populations matter: the channel must not turn
        # coherences into populations (then it is the classical confusion (a, b)).
        leak = sum(k @ np.array([[0, 1], [0, 0]]) @ k.conj().T for k in ks)
        if np.max(np.abs(np.diag(leak))) < 1e-10:
            return ("set_readout_error", [q, a, b], {})
    raise NotExpressible(f"the readout channel {ch.name} (from {cond}) is not a classical bit "
                         "flip: it mixes coherences into the measured populations, Maestro's "
                         "readout error is a classical confusion per qubit")
