"""The floor: raw Maestro on exactly the circuits of one gradient step, no PennyLane device.

The tapes of a step (forward + parameter-shift) are built with PennyLane's own ``param_shift``,
converted once to OpenQASM, and then timed with ``maestro.simple_estimate`` (analytic) or
``maestro.simple_execute`` (shots), serially and on a thread pool (Maestro releases the GIL).
Conversion is outside the timed region: this is what the simulator alone costs.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import maestro
import pennylane as qml

from .workload import ansatz, hamiltonian, initial_params


def step_tapes(n: int) -> list[qml.tape.QuantumScript]:
    """Forward tape + every shifted tape of one parameter-shift gradient step."""
    params = initial_params(n)
    with qml.queuing.AnnotatedQueue() as q:
        ansatz(params, n)
        qml.expval(hamiltonian(n))
    tape = qml.tape.QuantumScript.from_queue(q)
    # Only gate angles are trainable (the Hamiltonian's coefficients are not), as in the QNode.
    tape.trainable_params = list(range(sum(op.num_params for op in tape.operations)))
    shifted, _ = qml.gradients.param_shift(tape)
    return [tape, *shifted]


def pauli_terms(n: int) -> str:
    """H's Pauli words as Maestro's dense strings (character i = qubit i)."""
    words = []
    for pw in hamiltonian(n).pauli_rep:
        words.append("".join(pw.get(w, "I") for w in range(n)))
    return ";".join(words)


def circuits(n: int, shots: int | None) -> list[str]:
    """QASM of the step's tapes.

    Analytic: one circuit per tape. Sampling: H has two qubit-wise commuting groups (the ZZ
    terms and the X terms), so each tape is measured twice, once after a layer of Hadamards.
    """
    wires = list(range(n))
    out = []
    for tape in step_tapes(n):
        bases = [[]] if shots is None else [[], [qml.Hadamard(w) for w in wires]]
        for rotation in bases:
            bare = qml.tape.QuantumScript(tape.operations + rotation, [qml.expval(qml.Z(0))])
            out.append(
                qml.to_openqasm(bare, wires=wires, rotations=False, measure_all=shots is not None)
            )
    return out


def make_runner(n: int, shots: int | None, threads: int):
    """A zero-argument callable running the whole step on raw Maestro."""
    qasms = circuits(n, shots)
    terms = pauli_terms(n)
    config = maestro.SimulatorConfig()

    if shots is None:
        def one(q):
            return maestro.simple_estimate(q, terms, config)
    else:
        def one(q):
            return maestro.simple_execute(q, config, shots=shots)

    if threads <= 1:
        return lambda: [one(q) for q in qasms]
    pool = ThreadPoolExecutor(max_workers=threads)
    return lambda: list(pool.map(one, qasms))


def default_threads() -> int:
    return os.cpu_count() or 2
