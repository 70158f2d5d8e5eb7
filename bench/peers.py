"""The rows of the benchmark: one callable per device that runs one gradient step.

A row is ``qml.grad`` of the workload's cost on one device (``qoro.maestro`` on the embedded
service, ``maestro.qubit``, ``lightning.qubit``, ``default.qubit``) or the raw-Maestro floor on
exactly the circuits of the step (serial and on a thread pool, ``bench/floor.py``). Rows of
``qoro.maestro`` also expose the device (for ``qml.Tracker``) and the client's counters.

Imports PennyLane, the plugin and the bench workload; starts nothing by itself (the caller
passes the embedded service's URL and token).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pennylane as qml
from pennylane.devices import ExecutionConfig

from . import floor
from .workload import cost_qnode, initial_params

QORO = "qoro.maestro"
QORO_DEVICE_GRAD = "qoro.maestro [device]"
MAESTRO_QUBIT = "maestro.qubit"
LIGHTNING = "lightning.qubit"
DEFAULT = "default.qubit"
FLOOR_SERIAL = "floor: Maestro serial"
FLOOR_THREADED = "floor: Maestro threads"

#: default.qubit runs only up to this many qubits (it is the slowest peer by far).
DEFAULT_QUBIT_MAX_N = 12
#: maestro.qubit with shots estimates expval(H) from samples of H's eigenvalues, which it gets
#: from a dense eigendecomposition of the 2^n x 2^n Hamiltonian (measured: 0.9 s per step at
#: n = 8, 206 s at n = 12); beyond this size its sampled row is left out.
MAESTRO_QUBIT_SHOTS_MAX_N = 8


@dataclass
class Row:
    """One benchmark row: ``step()`` runs one gradient step and returns the gradient."""

    name: str
    step: Callable[[], Any]
    device: Any = None  # the PennyLane device, for rows that have one
    is_floor: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def stats(self):
        """The qoro client's counters (``ClientStats``), or ``None`` for other rows."""
        client = getattr(self.device, "client", None)
        return getattr(client, "stats", None)


def device_gradients_supported(n: int, url: str, token: str) -> bool:
    """Whether ``QoroDevice`` offers ``diff_method="device"`` (issue 10) for this workload.

    This is the hook for the device-gradient row: it appears as soon as
    ``QoroDevice.supports_derivatives`` says yes for the workload's tape, and is absent
    (with a note in the results) until then.
    """
    dev = qml.device(QORO, wires=n, url=url, api_key=token)
    with qml.queuing.AnnotatedQueue() as q:
        from .workload import ansatz, hamiltonian

        ansatz(initial_params(n), n)
        qml.expval(hamiltonian(n))
    tape = qml.tape.QuantumScript.from_queue(q)
    config = ExecutionConfig(gradient_method="device")
    try:
        return bool(dev.supports_derivatives(config, tape))
    except Exception:  # an implementation in progress may raise: no row then
        return False


def _grad_row(name: str, dev, n: int, shots: int | None, diff_method: str) -> Row:
    cost = cost_qnode(dev, n, shots, diff_method=diff_method)
    params = initial_params(n)
    grad = qml.grad(cost)
    return Row(name, lambda: grad(params), device=dev)


def _floor_row(name: str, n: int, shots: int | None, threads: int) -> Row:
    runner = floor.make_runner(n, shots, threads)
    return Row(name, runner, is_floor=True, notes=[f"{threads} thread(s)"])


def skipped(n: int, shots: int | None) -> dict[str, str]:
    """Peers left out at this size, and why."""
    out = {}
    if n > DEFAULT_QUBIT_MAX_N:
        out[DEFAULT] = f"run only for n <= {DEFAULT_QUBIT_MAX_N}"
    if shots and n > MAESTRO_QUBIT_SHOTS_MAX_N:
        out[MAESTRO_QUBIT] = (
            "with shots it builds expval(H) from a dense 2^n x 2^n eigendecomposition of H "
            f"(206 s per step at n = 12); run only for n <= {MAESTRO_QUBIT_SHOTS_MAX_N}"
        )
    return out


def build_rows(
    n: int, shots: int | None, url: str, token: str, *, device_grad: bool
) -> list[Row]:
    """Every row for one qubit count and shot setting, in table order (see :func:`skipped`)."""
    left_out = skipped(n, shots)
    rows = [
        _grad_row(
            QORO, qml.device(QORO, wires=n, url=url, api_key=token), n, shots, "parameter-shift"
        )
    ]
    if device_grad:
        dev = qml.device(QORO, wires=n, url=url, api_key=token)
        rows.append(_grad_row(QORO_DEVICE_GRAD, dev, n, shots, "device"))
    for name in (MAESTRO_QUBIT, LIGHTNING):
        if name not in left_out:
            rows.append(_grad_row(name, qml.device(name, wires=n), n, shots, "parameter-shift"))
    if DEFAULT not in left_out:
        rows.append(_grad_row(DEFAULT, qml.device(DEFAULT, wires=n), n, shots, "parameter-shift"))
    threads = floor.default_threads()
    rows.append(_floor_row(FLOOR_SERIAL, n, shots, 1))
    rows.append(_floor_row(FLOOR_THREADED, n, shots, threads))
    return rows
