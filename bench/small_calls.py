"""Small calls on the embedded service against PennyLane's own simulators (issue 19).

``python -m bench small-calls`` prints, each row timed round-robin with its peers in the same
run (one call of each device per round, the order rotated every round, medians reported):

1. a 4-qubit QNode call (RX/RY layer, CNOT chain, ``expval(Z0)``): ``qoro.maestro`` on the
   embedded service vs ``default.qubit`` and ``lightning.qubit``;
2. a 20x20 ``qml.kernels.square_kernel_matrix`` (5 qubits, ``AngleEmbedding`` then its
   adjoint, ``probs``; 190 QNode calls per matrix) vs ``lightning.qubit``;
3. an 8-wire dense ``qml.Projector`` (a random basis state) and a 10-wire ``qml.Hermitian``
   analytic expval vs ``default.qubit``;
4. the cloud's view: the same 4-qubit call and a 4-qubit gradient step through a TCP relay on
   127.0.0.1 that delays each direction by half of ``--rtt`` (``bench/delay_proxy.py``), with
   HTTP requests per call and the wall time against ``requests x rtt``.

Prints numbers and the issue's goals as held or missed; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import pennylane as qml

from .delay_proxy import DelayProxy
from .timing import machine

QORO = "qoro.maestro"


def interleaved(calls: dict[str, Callable[[], object]], rounds: int,
                warmup: int = 3) -> dict[str, float]:
    """Median seconds per call of each entry, timed round-robin with the order rotated."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    items = list(calls.items())
    for r in range(rounds):
        for name, call in items[r % len(items):] + items[:r % len(items)]:
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def qnode_4q(dev) -> Callable[[np.ndarray], object]:
    @qml.qnode(dev)
    def circuit(x):
        for i in range(4):
            qml.RX(x[i], wires=i)
            qml.RY(x[(i + 1) % 4], wires=i)
        for i in range(3):
            qml.CNOT(wires=[i, i + 1])
        return qml.expval(qml.PauliZ(0))

    return circuit


def kernel_matrix(dev, xs: np.ndarray) -> Callable[[], object]:
    wires = range(xs.shape[1])

    @qml.qnode(dev)
    def overlap(x1, x2):
        qml.AngleEmbedding(x1, wires=wires)
        qml.adjoint(qml.AngleEmbedding)(x2, wires=wires)
        return qml.probs(wires=wires)

    return lambda: qml.kernels.square_kernel_matrix(xs, lambda a, b: overlap(a, b)[0])


def dense_expval(dev, obs: qml.operation.Operator, n: int) -> Callable[[], object]:
    rng = np.random.default_rng(1)
    angles = rng.uniform(0, np.pi, (2, n))

    @qml.qnode(dev)
    def circuit():
        for i in range(n):
            qml.RY(angles[0, i], wires=i)
            qml.RZ(angles[1, i], wires=i)
        for i in range(n - 1):
            qml.CNOT(wires=[i, i + 1])
        return qml.expval(obs)

    return circuit


def _qoro(wires: int, url: str, token: str | None, **kw):
    return qml.device(QORO, wires=wires, url=url, api_key=token, **kw)


def _embedded(wires: int):
    """The device every newcomer meets: ``url="local"``, reached in-process."""
    return _qoro(wires, "local", None)


def _row(label: str, med: dict[str, float], peers: tuple[str, ...]) -> None:
    print(f"  {label}")
    for name, value in med.items():
        ratios = "  ".join(f"{value / med[p]:5.2f}x {p}" for p in peers if p != name)
        print(f"    {name:<22} {value * 1e3:9.3f} ms  {ratios}", flush=True)


def small_call_rows(url: str, token: str, rounds: int) -> dict[str, dict[str, float]]:
    """The 4-qubit call and the kernel matrix; medians in seconds."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 3, 4)
    devs = {QORO: _embedded(4), f"{QORO} (HTTP)": _qoro(4, url, token),
            "default.qubit": qml.device("default.qubit", wires=4),
            "lightning.qubit": qml.device("lightning.qubit", wires=4)}
    calls = {name: (lambda f=qnode_4q(dev): f(x)) for name, dev in devs.items()}
    out = {"qnode_4q": interleaved(calls, rounds)}
    _row("4-qubit QNode call", out["qnode_4q"], ("default.qubit", "lightning.qubit"))
    xs = rng.uniform(0, np.pi, (20, 5))
    kdevs = {QORO: _embedded(5), "default.qubit": qml.device("default.qubit", wires=5),
             "lightning.qubit": qml.device("lightning.qubit", wires=5)}
    kcalls = {name: kernel_matrix(dev, xs) for name, dev in kdevs.items()}
    out["kernel_20x20"] = interleaved(kcalls, max(3, rounds // 40), warmup=1)
    _row("20x20 square_kernel_matrix (5 qubits, probs)", out["kernel_20x20"],
         ("lightning.qubit", "default.qubit"))
    return out


def dense_rows(url: str, token: str, rounds: int,
               only: tuple[str, ...] | None = None) -> dict[str, dict[str, float]]:
    """Dense observables: 8-wire Projector and 10-wire Hermitian expvals (``only``: these)."""
    rng = np.random.default_rng(2)
    out = {}
    state = rng.integers(0, 2, 8)
    a = rng.normal(size=(1 << 10, 1 << 10)) + 1j * rng.normal(size=(1 << 10, 1 << 10))
    cases = {
        "projector_8w": (8, qml.Projector(state, wires=range(8))),
        "hermitian_10w": (10, qml.Hermitian((a + a.conj().T) / 2, wires=range(10))),
    }
    for key, (n, obs) in cases.items():
        if only is not None and key not in only:
            continue
        devs = {QORO: _embedded(n), "default.qubit": qml.device("default.qubit", wires=n)}
        calls = {name: dense_expval(dev, obs, n) for name, dev in devs.items()}
        out[key] = interleaved(calls, max(3, rounds // 10), warmup=1)
        _row(f"{key}: analytic expval", out[key], ("default.qubit",))
    return out


def proxy_rows(url: str, token: str, rtt: float, rounds: int) -> dict[str, float]:
    """Small call and gradient step through a delaying relay: wall time and requests."""
    out: dict[str, float] = {}
    with DelayProxy(url, delay=rtt / 2) as proxied:
        dev = _qoro(4, proxied, token)
        f = qnode_4q(dev)
        x = qml.numpy.array(np.linspace(0.1, 0.7, 4), requires_grad=True)
        for label, call in (("call", lambda: f(x)), ("grad", lambda: qml.grad(f)(x))):
            call()
            before, start = dev.client.stats.requests, time.perf_counter()
            for _ in range(rounds):
                call()
            wall = (time.perf_counter() - start) / rounds
            requests = (dev.client.stats.requests - before) / rounds
            out[f"{label}_s"], out[f"{label}_requests"] = wall, requests
            print(f"    {label:<6} {wall * 1e3:8.1f} ms  {requests:4.1f} requests  "
                  f"(requests x rtt = {requests * rtt * 1e3:6.1f} ms, "
                  f"server + client time {max(0.0, wall - requests * rtt) * 1e3:6.1f} ms)",
                  flush=True)
    return out


def goals(res: dict) -> list[tuple[str, bool]]:
    q, k = res["small"]["qnode_4q"], res["small"]["kernel_20x20"]
    out = [("4-qubit call <= 2.5x default.qubit", q[QORO] <= 2.5 * q["default.qubit"]),
           ("kernel matrix <= 1.5x lightning.qubit", k[QORO] <= 1.5 * k["lightning.qubit"])]
    if "dense" in res:
        p = res["dense"]["projector_8w"]
        out.append(("8-wire Projector expval <= 3x default.qubit",
                    p[QORO] <= 3 * p["default.qubit"]))
    if "proxy" in res:
        p, rtt = res["proxy"], res["rtt"]
        out.append(("50 ms rtt: requests per small job <= 4", p["call_requests"] <= 4))
        out.append(("50 ms rtt: call wall <= 4 rtt + server time",
                    p["call_s"] <= 4 * rtt + (res["small"]["qnode_4q"][QORO])))
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench small-calls",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="rounds of the 4-qubit call")
    parser.add_argument("--rtt", type=float, default=0.05, help="injected round trip, seconds")
    parser.add_argument("--no-dense", action="store_true")
    parser.add_argument("--no-proxy", action="store_true")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    from pennylane_qoro.local import start

    url, token = start()
    print(f"machine: {machine()}")
    res: dict = {"rtt": args.rtt, "small": small_call_rows(url, token, args.rounds)}
    if not args.no_dense:
        res["dense"] = dense_rows(url, token, args.rounds)
    if not args.no_proxy:
        print(f"  through a relay adding {args.rtt * 1e3:.0f} ms per round trip (4 qubits)")
        res["proxy"] = proxy_rows(url, token, args.rtt, max(5, args.rounds // 20))
    for label, held in goals(res):
        print(f"  [{'held' if held else 'MISSED'}] {label}")
    return res


if __name__ == "__main__":
    main()
