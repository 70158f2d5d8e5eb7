"""Load on the local service: concurrent clients, each running jobs back to back.

Run ``python -m bench.load`` (defaults: 16 clients x 50 jobs, one token per client, a fresh
in-process service with one worker per core). Each client is a ``QoroClient`` in its own
thread; each job is one or two 1-2 qubit circuits with a certain outcome, so every result is
checked. A job's latency is the wall time of ``QoroClient.run`` (init, upload, polls, results).

Prints (and with ``--json PATH`` writes) the job count, wrong results, errors, throughput and
latency percentiles p50 / p90 / p99 / max. ``--url``/``--token`` load an already running
service instead (all clients then share that token). Nothing is asserted here (style.md rule
14); ``tests/e2e/test_load.py`` runs a smaller load and checks it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field

from pennylane_qoro.client import JobSpec, QoroClient
from pennylane_qoro.local import serve

from .timing import machine

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
SHOTS = 10


def job(client: int, i: int) -> tuple[JobSpec, dict[str, dict[str, int]]]:
    """Job ``i`` of client ``client``: its spec and the exact expected results."""
    n = 1 + (client + i) % 2
    circuits, expected = [], {}
    for c in range(1 + i % 2):
        bits = (client * 7 + i + c) % (1 << n)
        flips = "".join(f"x q[{k}];\n" for k in range(n) if bits >> k & 1)
        measure = "".join(f"measure q[{k}] -> c[{k}];\n" for k in range(n))
        label = f"k{client}-j{i}-c{c}"
        circuits.append((label, f"{HEAD}qreg q[{n}];\ncreg c[{n}];\n{flips}{measure}"))
        expected[label] = {format(bits, f"0{n}b"): SHOTS}
    return JobSpec(circuits=tuple(circuits), shots=SHOTS, tag=f"load-{client}"), expected


@dataclass
class Report:
    """What one load run measured."""

    clients: int
    jobs_per_client: int
    jobs: int = 0
    wrong: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)

    def summary(self) -> dict:
        lat = sorted(self.latencies)
        out = {k: v for k, v in asdict(self).items() if k != "latencies"}
        out["errors"] = len(self.errors)
        out["first_errors"] = self.errors[:5]
        out["jobs_per_second"] = self.jobs / self.seconds if self.seconds else 0.0
        if lat:
            out |= {
                "p50_ms": 1e3 * statistics.median(lat),
                "p90_ms": 1e3 * _percentile(lat, 0.90),
                "p99_ms": 1e3 * _percentile(lat, 0.99),
                "max_ms": 1e3 * lat[-1],
            }
        return out


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1]


def run_load(url: str, tokens: list[str], jobs_per_client: int, *,
             poll_interval: float = 0.05) -> Report:
    """Run ``len(tokens)`` clients (one per token) of ``jobs_per_client`` jobs each."""
    report = Report(clients=len(tokens), jobs_per_client=jobs_per_client)
    lock = threading.Lock()
    start = threading.Barrier(len(tokens) + 1)

    def client_thread(k: int, token: str) -> None:
        with QoroClient(url, api_key=token, progress=False, poll_interval=poll_interval,
                        first_poll=0.002) as client:
            start.wait()
            for i in range(jobs_per_client):
                spec, expected = job(k, i)
                began = time.perf_counter()
                try:
                    result = client.run(spec)
                except Exception as exc:  # reported, not raised: the run goes on
                    with lock:
                        report.errors.append(f"client {k} job {i}: {type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - began
                with lock:
                    report.jobs += 1
                    report.latencies.append(elapsed)
                    report.wrong += result.results != expected

    threads = [threading.Thread(target=client_thread, args=(k, t), name=f"load-{k}")
               for k, t in enumerate(tokens)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    report.seconds = time.perf_counter() - began
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=50, help="jobs per client")
    parser.add_argument("--workers", type=int, default=None, help="service workers")
    parser.add_argument("--shared-token", action="store_true",
                        help="all clients use one token (default: one token each)")
    parser.add_argument("--url", help="an already running service (needs --token)")
    parser.add_argument("--token", help="token for --url")
    parser.add_argument("--json", help="write the summary as JSON to this path ('-': stdout)")
    args = parser.parse_args(argv)
    if bool(args.url) != bool(args.token):
        parser.error("--url and --token go together")

    context = nullcontext(None) if args.url else serve(workers=args.workers,
                                                      max_active_jobs=None)
    with context as service:
        if service is None:
            url, tokens = args.url, [args.token] * args.clients
        else:
            url = service.url
            tokens = ([service.token] * args.clients if args.shared_token
                      else [service.create_token() for _ in range(args.clients)])
        report = run_load(url, tokens, args.jobs)
    summary = report.summary() | {"machine": machine()}
    if args.json == "-":
        json.dump(summary, sys.stdout, indent=2)
        print()
    else:
        print(f"{summary['clients']} clients x {summary['jobs_per_client']} jobs: "
              f"{summary['jobs']} completed, {summary['wrong']} wrong, "
              f"{summary['errors']} errors in {report.seconds:.1f} s "
              f"({summary['jobs_per_second']:.0f} jobs/s)")
        if report.latencies:
            print(f"job latency: p50 {summary['p50_ms']:.1f} ms, p90 {summary['p90_ms']:.1f} ms, "
                  f"p99 {summary['p99_ms']:.1f} ms, max {summary['max_ms']:.1f} ms")
        for line in summary["first_errors"]:
            print("  error:", line)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(summary, fh, indent=2)
    return 0 if report.wrong == 0 and not report.errors else 1


if __name__ == "__main__":
    sys.exit(main())
