"""Per-device reuse of what a measurement-only transform made of a batch's shared measurements.

The shifted tapes of a parameter-shift batch share their measurement objects, so PennyLane's
qubit-wise grouping and diagonalisation need run once per batch instead of once per tape (at
16 qubits: 1.7 s -> 0.2 s for 192 sampled tapes). A :class:`MeasurementReuse` holds those
results for ONE device (the device creates one per transform and passes it into its
pipeline); nothing here is module-global.

Imports PennyLane's tape type only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from pennylane.tape import QuantumScript

__all__ = ["MeasurementReuse"]

Compute = Callable[[QuantumScript], tuple[Sequence[QuantumScript], Callable]]


class MeasurementReuse:
    """Reuses what a per-tape transform made of a tape's MEASUREMENTS for later tapes holding
    the same measurement objects and shots.

    Only results that are "the input's operations + extra operations, new measurements" are
    reused, rebuilt around each tape's own operations; the cached post-processing function
    depends on the measurements and shots alone. Entries hold their measurement objects, so
    an ``id`` in a key cannot be recycled while the entry lives. The table is guarded by a
    lock (one device may run batches from several threads); ``compute`` runs outside it.

    Args:
        size (int): entries kept (oldest dropped first).
    """

    def __init__(self, size: int = 16):
        self._size = size
        self._entries: dict = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def apply(self, tape: QuantumScript, compute: Compute):
        """``compute(tape)``, or the stored result for the same measurements rebuilt around
        ``tape``'s operations."""
        key = (tuple(map(id, tape.measurements)), tape.shots)
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None:
            _, outputs, fn = entry
            ops = tape.operations
            return [
                tape.copy(operations=ops + list(extra), measurements=list(mps))
                for extra, mps in outputs
            ], fn
        tapes, fn = compute(tape)
        outputs = _extras(tape, tapes)
        if outputs is not None:
            with self._lock:
                if len(self._entries) >= self._size:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[key] = (tuple(tape.measurements), outputs, fn)
        return tapes, fn


def _extras(tape: QuantumScript, tapes: Sequence[QuantumScript]) -> tuple | None:
    """Per output tape, (extra operations, measurements) if it is the input's operations
    (same names and wires, in order) followed by extra ones; else None."""
    n = len(tape.operations)
    outputs = []
    for out in tapes:
        head = out.operations[:n]
        if (
            len(head) != n
            or out.shots != tape.shots
            or any(
                a.name != b.name or a.wires != b.wires
                for a, b in zip(head, tape.operations, strict=True)
            )
        ):
            return None
        outputs.append((tuple(out.operations[n:]), tuple(out.measurements)))
    return tuple(outputs)
