"""One token's 700 000-row upload against another token's ``status/`` polls (issue 17).

``python -m bench upload-fairness [--rows 700000] [--idle-seconds 2] [--unpaid] [--out DIR]``
starts a
real ``qoro-local serve`` process on a fresh database with two tokens, then:

1. **idle**: token B polls the status of its own job back to back for ``--idle-seconds``;
2. **upload**: token A sends ONE finalizing ``add_circuits/`` chunk of ``--rows`` template rows
   (a gzip body, about 31 MiB of JSON for 700 000 rows, paid for by A's credits, or with
   ``--unpaid`` refused for credits, the issue's 402 case) while B keeps polling; the window
   is from sending the chunk to its answer.

Prints B's status latency in both phases (p50, p99, max, polls) and their p99 ratio, the issue's
goal (p99 < 100 ms during the upload) as held or missed, and the upload's own time; with
``--out`` also writes ``bench_upload_fairness.json``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from .timing import machine

TEMPLATE = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nrx(theta) q[0];\n'
            "measure q[0] -> c[0];\n")
INIT = {"tag": "fairness", "job_type": "EXECUTE", "simulator_cluster": "qoro_maestro"}
GOAL_P99 = 0.100


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pennylane_qoro.local", *args]


def _token(db: Path, credits: str) -> str:
    return subprocess.run(_cli("token", "create", "--db", str(db), "--credits", credits),
                          capture_output=True, text=True, check=True).stdout.strip()


def _body(rows: int) -> bytes:
    from pennylane_qoro.protocol.text import compress_text

    sets = [{"label": f"r{i}", "values": [0.001 * (i % 1000)]} for i in range(rows)]
    body = {"circuit_template": compress_text(TEMPLATE), "parameter_names": ["theta"],
            "parameter_sets": sets, "mode": "append", "shots": 1, "finalized": "true"}
    return json.dumps(body).encode()


def _summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    if not ordered:
        return {"polls": 0}
    return {"polls": len(ordered), "p50_ms": ordered[len(ordered) // 2] * 1e3,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
            "max_ms": ordered[-1] * 1e3}


class _Poller(threading.Thread):
    """Token B: ``status/`` of its own job, back to back, each poll's (sent, answered)."""

    def __init__(self, url: str, token: str, job_id: str):
        super().__init__(daemon=True)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.path = f"{url}/job/{job_id}/status/"
        self.polls: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            sent = time.perf_counter()
            self.session.get(self.path, timeout=120).raise_for_status()
            self.polls.append((sent, time.perf_counter()))

    def window(self, start: float, end: float) -> list[float]:
        return [a - s for s, a in self.polls if start <= s and a <= end]


def measure(rows: int, idle_seconds: float, *, unpaid: bool = False) -> dict:
    """Run both phases against a fresh ``qoro-local serve``; the numbers as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "jobs.sqlite"
        big = _token(db, "1" if unpaid else str(rows * 2 // 100 + 100))
        small = _token(db, "10")
        proc = subprocess.Popen(_cli("serve", "--db", str(db), "--port", "0"),
                                stdout=subprocess.PIPE, text=True)
        try:
            url = proc.stdout.readline().split()[-1]
            return _phases(url, big, small, rows, idle_seconds)
        finally:
            proc.kill()
            proc.wait(timeout=30)


def _phases(url: str, big: str, small: str, rows: int, idle_seconds: float) -> dict:
    a = requests.Session()
    a.headers["Authorization"] = f"Bearer {big}"
    b_job = requests.post(f"{url}/job/init/", json=INIT, timeout=30,
                          headers={"Authorization": f"Bearer {small}"}).json()["job_id"]
    a_job = a.post(f"{url}/job/init/", json=INIT, timeout=30).json()["job_id"]
    raw = _body(rows)
    body = gzip.compress(raw, 6)
    poller = _Poller(url, small, b_job)
    poller.start()
    idle_start = time.perf_counter()
    time.sleep(idle_seconds)
    start = time.perf_counter()
    r = a.post(f"{url}/job/{a_job}/add_circuits/", data=body, timeout=600,
               headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    end = time.perf_counter()
    poller.stop.set()
    poller.join(timeout=120)
    idle, during = _summary(poller.window(idle_start, start)), \
        _summary(poller.window(start, end))
    return {"rows": rows, "json_mib": len(raw) / 2**20, "gzip_mib": len(body) / 2**20,
            "upload_status": r.status_code, "upload_seconds": end - start,
            "idle": idle, "during_upload": during,
            "p99_ratio": during.get("p99_ms", 0) / max(idle.get("p99_ms", 0), 1e-9)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench upload-fairness",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=700_000)
    parser.add_argument("--idle-seconds", type=float, default=2.0)
    parser.add_argument("--unpaid", action="store_true",
                        help="token A cannot pay: the chunk is refused with 402")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here")
    args = parser.parse_args(argv)
    res = measure(args.rows, args.idle_seconds, unpaid=args.unpaid)
    res["machine"] = machine()
    print(f"machine: {res['machine']}")
    print(f"upload: {res['rows']} rows, {res['json_mib']:.1f} MiB JSON "
          f"({res['gzip_mib']:.1f} MiB gzip), HTTP {res['upload_status']} after "
          f"{res['upload_seconds']:.2f} s")
    for phase in ("idle", "during_upload"):
        s = res[phase]
        print(f"  other token's status/ {phase:13s}: {s['polls']:5d} polls, "
              f"p50 {s.get('p50_ms', 0):7.1f} ms, p99 {s.get('p99_ms', 0):7.1f} ms, "
              f"max {s.get('max_ms', 0):7.1f} ms")
    print(f"  p99 during / idle: {res['p99_ratio']:.1f}x")
    held = res["during_upload"].get("p99_ms", float("inf")) < GOAL_P99 * 1e3
    print(f"  [{'held' if held else 'MISSED'}] other token's status/ p99 < "
          f"{GOAL_P99 * 1e3:.0f} ms during the upload")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench_upload_fairness.json").write_text(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
