"""Latency and core use of the embedded local service. Run ``python -m bench.latency``.

1. A 1-circuit 4-qubit EXECUTE job, ``job/init/`` -> ``add_circuits/`` -> ``status/`` polls ->
   ``resultsV2/``, against the embedded service (``pennylane_qoro.local.start()``): the median
   over many jobs, spoken over plain ``requests`` (polling every 0.5 ms, so the number measures
   the service, not a polling interval), through the project's ``QoroClient`` with its default
   polling, and as a ``qoro.maestro`` QNode. Peer: the same circuit run by Maestro directly in
   this process. ``python -m bench`` reuses :func:`measure_latency`.
2. A 193-row template job at 16 qubits (one forward + 192 parameter-shifted rows), run on a
   service with 1 worker and on one with one worker per core: the ratio shows the rows spread
   over the cores.

Prints numbers only; nothing here is asserted (style.md rule 14).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import maestro
import numpy as np
import requests

from pennylane_qoro.local import serve, start
from pennylane_qoro.protocol.text import compress_text

from .timing import machine

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
GHZ4 = (f"{HEAD}qreg q[4];\ncreg c[4];\nh q[0];\ncx q[0],q[1];\ncx q[1],q[2];\ncx q[2],q[3];\n"
        "measure q -> c;\n")


def raw_job(session: requests.Session, url: str) -> dict:
    """One job over the bare protocol; returns the results page."""
    job_id = session.post(f"{url}/job/init/", json={
        "tag": "bench", "job_type": "EXECUTE", "use_packing": False,
        "simulator_cluster": "qoro_maestro"}).json()["job_id"]
    r = session.post(f"{url}/job/{job_id}/add_circuits/", json={
        "circuits": {"ghz": compress_text(GHZ4)}, "mode": "append", "finalized": "true",
        "shots": 1000})
    r.raise_for_status()
    while session.get(f"{url}/job/{job_id}/status/").json()["status"] in ("PENDING", "RUNNING"):
        time.sleep(0.0005)
    return session.get(f"{url}/job/{job_id}/resultsV2/?limit=100&offset=0").json()


def timed(fn: Callable[[], object], reps: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def summary(times: list[float]) -> str:
    ms = sorted(t * 1e3 for t in times)
    return (f"median {statistics.median(ms):6.2f} ms   p10 {ms[len(ms) // 10]:6.2f}   "
            f"p90 {ms[9 * len(ms) // 10]:6.2f}   (n={len(ms)})")


def device_latency(url: str, token: str, reps: int) -> list[float]:
    """Seconds per call of a 1-circuit 4-qubit QNode (the GHZ circuit, 1000 shots) on
    ``qoro.maestro``: what a user waits for, PennyLane included."""
    import pennylane as qml

    dev = qml.device("qoro.maestro", wires=4, url=url, api_key=token)

    # diff_method=None: an evaluation, no gradient transform set up on each call (with
    # jax 0.10 installed PennyLane 0.45 retries a failing plxpr import for it, ~2.5 ms).
    @qml.qnode(dev, shots=1000, diff_method=None)
    def ghz():
        qml.Hadamard(0)
        for k in range(3):
            qml.CNOT([k, k + 1])
        return qml.counts()

    return timed(ghz, reps)


def measure_latency(url: str, token: str, reps: int) -> dict[str, float]:
    """Median milliseconds of the 1-circuit 4-qubit job, four ways (no printing).

    ``direct_ms``: Maestro in-process; ``service_ms``: the bare protocol over ``requests``
    with 0.5 ms polling (the service's own floor); ``client_ms``: ``QoroClient.run`` with the
    client's default polling (as the device uses it); ``device_ms``: a ``qoro.maestro`` QNode.
    """
    from pennylane_qoro.client.jobs import JobSpec, QoroClient

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    client = QoroClient(url, token, progress=False)
    spec = JobSpec(circuits=(("ghz", GHZ4),), shots=1000)
    runs = {
        "direct_ms": timed(
            lambda: maestro.simple_execute(GHZ4, maestro.SimulatorConfig(), shots=1000), reps
        ),
        "service_ms": timed(lambda: raw_job(session, url), reps),
        "client_ms": timed(lambda: client.run(spec), reps),
        "device_ms": device_latency(url, token, reps),
    }
    session.close()
    client.close()
    return {key: statistics.median(times) * 1e3 for key, times in runs.items()}


def latency(reps: int) -> dict[str, float]:
    """Print and return :func:`measure_latency` on the embedded service."""
    url, token = start()
    out = measure_latency(url, token, reps)
    labels = {
        "direct_ms": "Maestro simple_execute in-process",
        "service_ms": "service, bare requests (init->results)",
        "client_ms": "service, QoroClient.run (default polling)",
        "device_ms": "qoro.maestro QNode (PennyLane included)",
    }
    for key, label in labels.items():
        print(f"  {label:<42} median {out[key]:7.2f} ms")
    print(f"  service / direct Maestro: {out['service_ms'] / out['direct_ms']:.1f}x")
    return out


def template_job(url: str, token: str, n: int = 16, params: int = 96) -> float:
    """Seconds for one 1 + 2*params row template job at ``n`` qubits (init -> results)."""
    names = [f"theta_{i}" for i in range(params)]
    lines = []
    for i, name in enumerate(names):
        q = i % n
        lines.append(f"ry({name}) q[{q}];\n")
        if q == n - 1:
            lines += [f"cx q[{k}],q[{k + 1}];\n" for k in range(n - 1)]
    template = (f"{HEAD}qreg q[{n}];\ncreg c[{n}];\n" + "".join(lines)
                + "".join(f"measure q[{k}] -> c[{k}];\n" for k in range(n)))
    base = np.random.default_rng(0).uniform(-np.pi, np.pi, params)
    rows = [{"label": "fwd", "values": base.tolist()}]
    for i in range(params):
        for sign in (+1, -1):
            shifted = base.copy()
            shifted[i] += sign * np.pi / 2
            rows.append({"label": f"p{i}{'+' if sign > 0 else '-'}", "values": shifted.tolist()})
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    t = time.perf_counter()
    job_id = session.post(f"{url}/job/init/", json={"job_type": "EXECUTE"}).json()["job_id"]
    session.post(f"{url}/job/{job_id}/add_circuits/", json={
        "circuit_template": compress_text(template), "parameter_names": names,
        "parameter_sets": rows, "mode": "append", "finalized": "true", "shots": 1000,
    }).raise_for_status()
    while session.get(f"{url}/job/{job_id}/status/").json()["status"] in ("PENDING", "RUNNING"):
        time.sleep(0.005)
    offset = 0
    while True:
        page = session.get(f"{url}/job/{job_id}/resultsV2/?limit=100&offset={offset}").json()
        if page["next"] is None:
            break
        offset += 100
    assert page["count"] == len(rows) == 193
    return time.perf_counter() - t


def cores(reps: int) -> dict[str, float]:
    times = {}
    for workers in (1, None):
        with serve(workers=workers) as svc:
            template_job(svc.url, svc.token)  # warm-up
            times[workers] = statistics.median(
                template_job(svc.url, svc.token) for _ in range(reps))
    n_cores = machine()["cores"]
    print(f"  1 worker          {times[1]:7.3f} s")
    print(f"  {n_cores} workers (cores) {times[None]:7.3f} s   speed-up "
          f"{times[1] / times[None]:.2f}x")
    return {"one_worker_s": times[1], "all_cores_s": times[None]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200, help="jobs timed for the latency")
    parser.add_argument("--template-reps", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    args = parser.parse_args()
    print("machine:", machine())
    print("1-circuit 4-qubit job, init -> results, embedded service:")
    lat = latency(args.reps)
    print("193-row template job at 16 qubits, 1000 shots per row:")
    cpu = cores(args.template_reps)
    if args.json:
        print(json.dumps({**lat, **cpu}))


if __name__ == "__main__":
    main()
