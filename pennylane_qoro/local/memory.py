"""The service's memory budget: estimated simulator state per circuit and method, and admission.

Every worker may hold a simulator state at once (a 28-qubit statevector is 4 GiB), so without a
budget a few wide jobs started side by side exhaust the machine. The estimate of ONE circuit's
state, by simulation method (qoro-api.md §2.13 codes, ``simulation_type``):

==========================  ==============================================================
Statevector (the default)   ``16 * 2**n`` bytes: one complex128 amplitude per basis state
DensityMatrix               ``16 * 4**n``: the full ``2**n x 2**n`` complex matrix
MatrixProductState,         ``32 * n * chi**2``: n site tensors of ``chi x 2 x chi`` complex
MatrixProductOperator       numbers, ``chi`` the job's ``max_bond_dimension`` capped at the
                            exact bound ``2**(n // 2)``; unset, a nominal :data:`MPS_CHI`
                            (the bond dimension then follows the circuit's entanglement,
                            which no width-based estimate knows)
Stabilizer,                 ``2n * (2n + 1)`` bytes: the tableau, a byte per bit
ExtendedStabilizer
TensorNetwork, Pauli-       not estimated (no fixed state): :data:`CIRCUIT_OVERHEAD` only
Propagator, PathIntegral
==========================  ==============================================================

plus :data:`CIRCUIT_OVERHEAD` per circuit. Only the state is counted: Maestro's working copies
come on top, which the default budget -- half of the physical memory -- leaves room for.

A job needs ``state(widest circuit) * k`` bytes, ``k`` the circuits it runs at once:
``min(workers, circuits, budget // state)``; the runner runs it on at most ``k`` workers.
:class:`MemoryGate` admits a job only while its need fits beside the jobs running, otherwise
it stays PENDING and is retried when one of them ends. Waiting jobs start in arrival order and
no later job overtakes them, so a wide job is never starved by a stream of narrow ones. A
circuit whose state alone exceeds the budget can never run: :func:`check_fits` refuses it at
submission (400), naming the qubit count, the method and the budget.

Imports only the standard library.
"""

from __future__ import annotations

import os
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "CIRCUIT_OVERHEAD",
    "DEFAULT_FRACTION",
    "FALLBACK_BUDGET",
    "MPS_CHI",
    "MemoryGate",
    "default_budget",
    "format_bytes",
    "method_name",
    "parse_size",
    "state_bytes",
    "too_large",
]

CIRCUIT_OVERHEAD = 1 << 20
"""Bytes counted per circuit besides its state (Maestro's per-simulation set-up)."""
MPS_CHI = 64
"""Bond dimension assumed for an MPS/MPO job that sets no ``max_bond_dimension``."""
DEFAULT_FRACTION = 0.5
"""The default budget's share of the machine's physical memory."""
FALLBACK_BUDGET = 8 << 30
"""The default budget where the physical memory cannot be read (8 GiB)."""

# simulation_type codes (maestro.SimulationType values, qoro-api.md §2.13)
_METHODS = {0: "Statevector", 1: "MatrixProductState", 2: "Stabilizer", 3: "TensorNetwork",
            4: "PauliPropagator", 5: "ExtendedStabilizer", 6: "PathIntegral",
            7: "DensityMatrix", 8: "MatrixProductOperator"}
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def method_name(options: Mapping[str, Any]) -> str:
    """The simulation method a job's normalized options select (Statevector by default).

    >>> method_name({}), method_name({"simulation_type": 7})
    ('Statevector', 'DensityMatrix')
    """
    return _METHODS.get(options.get("simulation_type", 0), "Statevector")


def state_bytes(n_qubits: int, options: Mapping[str, Any]) -> int:
    """Estimated bytes of one ``n_qubits`` circuit's simulator state (module table), with
    :data:`CIRCUIT_OVERHEAD`.

    >>> state_bytes(10, {}) - CIRCUIT_OVERHEAD  # 16 * 2**10
    16384
    >>> state_bytes(10, {"simulation_type": 7}) - CIRCUIT_OVERHEAD  # 16 * 4**10
    16777216
    >>> state_bytes(10, {"simulation_type": 1, "max_bond_dimension": 4}) - CIRCUIT_OVERHEAD
    5120
    """
    method = method_name(options)
    n = max(0, n_qubits)
    if method == "Statevector":
        state = 16 << n
    elif method == "DensityMatrix":
        state = 16 << (2 * n)
    elif method in ("MatrixProductState", "MatrixProductOperator"):
        chi = min(options.get("max_bond_dimension") or MPS_CHI, 1 << (n // 2))
        state = 32 * n * chi * chi
    elif method in ("Stabilizer", "ExtendedStabilizer"):
        state = 2 * n * (2 * n + 1)
    else:
        state = 0
    return state + CIRCUIT_OVERHEAD


def too_large(n_qubits: int, options: Mapping[str, Any], budget: int) -> str | None:
    """Why a circuit of ``n_qubits`` can never run under ``budget``, or ``None`` if it can.

    >>> print(too_large(20, {}, 8 << 20))  # doctest: +NORMALIZE_WHITESPACE
    20 qubits: Statevector simulation needs about 17.0 MiB for its state, over the local
    service's memory budget of 8.0 MiB (qoro-local serve --memory-budget)
    >>> too_large(10, {}, 8 << 20) is None
    True
    """
    need = state_bytes(n_qubits, options)
    if need <= budget:
        return None
    return (f"{n_qubits} qubits: {method_name(options)} simulation needs about "
            f"{format_bytes(need)} for its state, over the local service's memory budget of "
            f"{format_bytes(budget)} (qoro-local serve --memory-budget)")


def format_bytes(n: int) -> str:
    """A byte count for messages.

    >>> format_bytes(512), format_bytes(3 << 29)
    ('512 B', '1.5 GiB')
    """
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def parse_size(text: str) -> int:
    """A byte count from ``"8GiB"``, ``"512 MiB"``, ``"64k"`` or ``"1000000"`` (binary units).

    >>> parse_size("8GiB"), parse_size("512 MiB"), parse_size("64k"), parse_size("1000")
    (8589934592, 536870912, 65536, 1000)

    Raises:
        ValueError: not a positive size.
    """
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", text, re.IGNORECASE)
    if found is None:
        raise ValueError(f"not a memory size: {text!r} (e.g. 8GiB, 512MiB)")
    value = int(float(found[1]) * _UNITS[found[2].lower()])
    if value <= 0:
        raise ValueError(f"a memory budget must be positive: {text!r}")
    return value


def default_budget() -> int:
    """:data:`DEFAULT_FRACTION` of the physical memory (:data:`FALLBACK_BUDGET` if unknown)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return FALLBACK_BUDGET
    return int(total * DEFAULT_FRACTION) if total > 0 else FALLBACK_BUDGET


class MemoryGate:
    """Admits jobs while their memory need fits the budget; the rest wait in arrival order.

    Args:
        budget (int): bytes the running jobs may need together.
        workers (int): the runner's workers (a job runs at most this many circuits at once).

    >>> gate = MemoryGate(100 << 20, workers=2)
    >>> gate.parallel(10, {}, circuits=5)
    2
    """

    def __init__(self, budget: int, *, workers: int):
        if budget <= 0:
            raise ValueError(f"the memory budget must be positive, got {budget}")
        self.budget = budget
        self.workers = workers
        self._lock = threading.Lock()
        self._held: dict[str, int] = {}
        self._waiting: deque[tuple[str, Callable[[], None]]] = deque()
        self._woken: str | None = None

    @property
    def used(self) -> int:
        """Bytes reserved by the admitted jobs."""
        with self._lock:
            return sum(self._held.values())

    def parallel(self, n_qubits: int, options: Mapping[str, Any], *, circuits: int) -> int:
        """How many circuits of a job run at once: ``min(workers, circuits, budget // state)``,
        at least 1."""
        per = state_bytes(n_qubits, options)
        return max(1, min(self.workers, circuits, self.budget // per))

    def need(self, n_qubits: int, options: Mapping[str, Any], *, circuits: int) -> int:
        """Bytes a job of ``circuits`` circuits, the widest of ``n_qubits``, reserves."""
        return state_bytes(n_qubits, options) * self.parallel(n_qubits, options,
                                                              circuits=circuits)

    def admit(self, job_id: str, need: int, retry: Callable[[], None]) -> bool:
        """Reserve ``need`` bytes for ``job_id`` if they fit and no earlier job waits; else
        queue ``retry`` (called when memory frees and the job is first in line)."""
        with self._lock:
            if job_id in self._held:
                return True
            first = not self._waiting or self._waiting[0][0] == job_id
            if first and sum(self._held.values()) + need <= self.budget:
                if self._waiting:
                    self._waiting.popleft()
                self._held[job_id] = need
                self._woken = None
                admitted = True
            else:
                if all(waiting != job_id for waiting, _ in self._waiting):
                    self._waiting.append((job_id, retry))
                if self._woken == job_id:
                    self._woken = None  # woken but still too big: wait for the next release
                admitted = False
        if admitted:
            self._wake()  # the next in line may fit beside it
        return admitted

    def release(self, job_id: str) -> None:
        """Give back ``job_id``'s reservation, or drop it from the line (idempotent)."""
        with self._lock:
            freed = self._held.pop(job_id, None) is not None
            before = len(self._waiting)
            self._waiting = deque(w for w in self._waiting if w[0] != job_id)
            if len(self._waiting) != before and self._woken == job_id:
                self._woken = None
            freed = freed or len(self._waiting) != before
        if freed:
            self._wake()

    def waiting(self) -> list[str]:
        """Ids of the jobs waiting for memory, first in line first."""
        with self._lock:
            return [job_id for job_id, _ in self._waiting]

    def _wake(self) -> None:
        """Retry the first waiting job (once per release; it re-queues if it still waits)."""
        with self._lock:
            if not self._waiting or self._woken is not None:
                return
            job_id, retry = self._waiting[0]
            self._woken = job_id
        retry()
