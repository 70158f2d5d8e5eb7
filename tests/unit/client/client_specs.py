"""Circuits and job specs for the client's behaviour tests (run for real by the local service).

``qasm(v)`` flips the qubits of ``v``'s set bits and measures all, so its histogram is the
single key ``format(v, "03b")`` (c[0] rightmost, qoro-api.md §4.5): ``bound_spec(n)``'s circuit
``c{i}`` always answers ``{format(i % 8, "03b"): shots}``. ``slow_spec()`` is a job that runs
for seconds, to catch it while it is active (tests cancel it when done).
"""

from __future__ import annotations

import random
import string

from pennylane_qoro.client import JobSpec

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
SLOW_QUBITS = 20


def qasm(value: int = 0, n: int = 3, body: str = "") -> str:
    """An ``n``-qubit program: x on the set bits of ``value``, then ``body``, all measured."""
    flips = "".join(f"x q[{k}];\n" for k in range(n) if value >> k & 1)
    measure = "".join(f"measure q[{k}] -> c[{k}];\n" for k in range(n))
    return f"{HEAD}qreg q[{n}];\ncreg c[{n}];\n{flips}{body}{measure}"


QASM = qasm(0)


def noise(n: int, seed: int) -> str:
    """An incompressible QASM comment of n characters (so gzip cannot shrink the body)."""
    rng = random.Random(seed)
    return "// " + "".join(rng.choices(string.ascii_letters + string.digits, k=n)) + "\n"


def bound_spec(n: int = 3, **kw) -> JobSpec:
    """``n`` circuits ``c{i}`` = ``qasm(i % 8)``; 100 shots unless given."""
    kw.setdefault("shots", 100)
    return JobSpec(circuits=tuple((f"c{i}", qasm(i % 8)) for i in range(n)), **kw)


def slow_spec(n: int = 40) -> JobSpec:
    """``n`` circuits of ~0.1 s each on 20 qubits: a job still active seconds after submit."""
    k = SLOW_QUBITS
    body = "".join(f"h q[{i}];\n" for i in range(k)) + "".join(
        f"cx q[{i}],q[{i + 1}];\nrz(0.{i + 1}) q[{i + 1}];\n" for i in range(k - 1)) * 4
    return JobSpec(circuits=tuple((f"s{i}", qasm(0, k, body)) for i in range(n)), shots=10)
