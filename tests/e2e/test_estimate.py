"""``pennylane_qoro.estimate`` against what a real run records.

For analytic, sampled, device-gradient, parameter-shift, broadcast and noisy calls, the
estimate's jobs, circuits and shots equal the tracker's totals of the same call run for real,
its credits equal what the local service's ledger then debits, and its upload bytes equal the
request-body bytes the client sent. The estimate itself submits nothing, writes no journal
row, records nothing in the tracker and leaves a seeded device's randomness as it was.

Real HTTP to the real local service, real Maestro, real PennyLane.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pennylane as qml
import pytest

import pennylane_qoro
from pennylane_qoro.client import QoroClient
from pennylane_qoro.client.journal import open_journal

NOISE = qml.NoiseModel({qml.noise.op_eq("RX"): qml.noise.partial_wires(qml.DepolarizingChannel,
                                                                       0.02)})


def _circuit(dev, shots=None, diff_method="best", broadcast=False,  # type: ignore[no-untyped-def]
             z_only=False):
    last = qml.Z(2) if z_only else qml.X(2)  # sampled noisy runs measure in the Z basis only

    @qml.qnode(dev, diff_method=diff_method)
    def circuit(w):
        qml.RX(w[0], 0)
        qml.RY(w[1], 1)
        qml.CNOT([0, 1])
        qml.RX(w[0] * 0.5, 2)
        return qml.expval(qml.Z(0) @ qml.Z(1) + 0.3 * last), qml.probs(wires=[1, 2])

    circuit = qml.set_shots(circuit, shots) if shots else circuit
    if broadcast:
        return lambda w: circuit(qml.numpy.array([w[0] + np.arange(3) * 0.1, [w[1]] * 3]))
    return circuit


def _scalar(circuit):  # type: ignore[no-untyped-def]
    """A cost function for gradients (probs dropped)."""
    return lambda w: circuit(w)[0]


W = qml.numpy.array([0.4, -0.3], requires_grad=True)

CASES = {
    "analytic": ({}, lambda dev: _circuit(dev)),
    "shots": ({}, lambda dev: _circuit(dev, shots=300)),
    "shot_vector": ({}, lambda dev: _circuit(dev, shots=[(100, 2), 250])),
    "device_gradient": ({}, lambda dev: qml.grad(_scalar(_circuit(dev, diff_method="device")))),
    "device_gradient_shots": (
        {}, lambda dev: qml.grad(_scalar(_circuit(dev, shots=200, diff_method="device")))),
    "parameter_shift": (
        {}, lambda dev: qml.grad(_scalar(_circuit(dev, diff_method="parameter-shift")))),
    "broadcast": ({}, lambda dev: _circuit(dev, broadcast=True)),
    "noisy": ({"noise_model": NOISE}, lambda dev: _circuit(dev)),
    "noisy_shots": ({"noise_model": NOISE}, lambda dev: _circuit(dev, shots=200, z_only=True)),
}


def _balance(client: QoroClient) -> Decimal:
    return Decimal(client.credits()["balance"])


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_estimate_equals_the_run(case, service, client, journal_path) -> None:
    options, build = CASES[case]
    dev = qml.device("qoro.maestro", wires=3, url=service.url, api_key=service.token, seed=11,
                     **options)
    fn = build(dev)
    balance = _balance(client)
    with qml.Tracker(dev) as quiet:
        est = pennylane_qoro.estimate(fn, W)
    assert quiet.totals == {} and dev.client.stats.jobs == 0  # nothing ran, nothing recorded
    assert _balance(client) == balance and open_journal(journal_path).entries() == []

    sent = dev.client.stats.bytes_sent
    with qml.Tracker(dev) as tracker:
        fn(W)
    totals = tracker.totals
    print(f"\n{case}:\n{est}")
    assert est.jobs == totals["jobs"] == dev.client.stats.jobs
    assert est.circuits == totals["circuits"]
    assert est.shots == totals.get("shots", 0)
    assert est.credits == balance - _balance(client)  # the ledger's debit
    assert est.upload_bytes == dev.client.stats.bytes_sent - sent
    assert "total" in str(est) and str(est.credits) in str(est)


def test_the_estimate_leaves_a_seeded_device_as_it_was(service) -> None:
    def device():  # type: ignore[no-untyped-def]
        return qml.device("qoro.maestro", wires=3, url=service.url, api_key=service.token,
                          seed=99)

    estimated = device()
    circuit = _circuit(estimated, shots=[(50, 3)])
    pennylane_qoro.estimate(circuit, W)
    after_estimate = circuit(W)
    plain = _circuit(device(), shots=[(50, 3)])(W)
    for a, b in zip(after_estimate, plain, strict=True):
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_cached_job_costs_nothing(service) -> None:
    dev = qml.device("qoro.maestro", wires=3, url=service.url, api_key=service.token,
                     cache=True)
    fn = qml.grad(_scalar(_circuit(dev, diff_method="device")))
    cold = pennylane_qoro.estimate(fn, W)
    assert cold.cache_hits == 0 and cold.credits > 0
    fn(W)
    warm = pennylane_qoro.estimate(fn, W)
    assert warm.jobs == cold.jobs and warm.cache_hits == warm.jobs
    assert warm.credits == 0 and warm.upload_bytes == 0
    assert "(cached)" in str(warm)


def test_the_estimate_knows_the_one_request_path(service) -> None:
    """Without a journal, once the service has advertised job/submit/, a small job is one
    request: the estimate counts that request's bytes, as the run sends them."""
    dev = qml.device("qoro.maestro", wires=3, url=service.url, api_key=service.token, seed=5,
                     journal=False)
    fn = _circuit(dev)
    fn(W)  # the first job learns what the service offers
    assert dev.client.single_request_jobs
    est = pennylane_qoro.estimate(fn, W)
    sent, requests = dev.client.stats.bytes_sent, dev.client.stats.requests
    fn(W)
    assert est.items[0].requests == 1 == dev.client.stats.requests - requests
    assert est.upload_bytes == dev.client.stats.bytes_sent - sent
