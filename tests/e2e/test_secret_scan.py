"""No token or API key in any log line, repr, error message or stored file.

Two runs, every logger at DEBUG:

* in-process: the client and the local service (uvicorn's own loggers included, with a handler
  attached to them directly because they do not propagate) through a workload that takes the
  success paths and the failure paths -- injected 502s and dropped connections, retries, lost
  answers with and without advertised idempotency, 401 for a wrong key, 400, 404, 409, 429,
  a client deadline -- then every log record (message, arguments, traceback),
  every caught exception (str, repr, args, traceback) and the reprs of the objects a user
  holds are scanned for the token, the wrong key and a second user's token;
* as a program: ``qoro-local serve --log-level debug`` and ``token create``, the same kind of
  workload, then its stdout/stderr and the database file are scanned (the store keeps only
  sha256 hashes of tokens).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pennylane_qoro.client import JobSpec, QoroClient, QoroError
from pennylane_qoro.client.config import ApiKey
from pennylane_qoro.local import FaultPlan, serve

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
X = f"{HEAD}qreg q[1];\ncreg c[1];\nx q[0];\nmeasure q[0] -> c[0];\n"
# Seconds of simulation (22 qubits, rotations Maestro cannot fuse away): still running when the
# client's zero deadline is checked, however the first poll is delayed (REQUEST_FLOOR, faults).
SLOW = f"{HEAD}qreg q[22];\ncreg c[22];\n" + "".join(
    f"rx(0.{k % 9 + 1}) q[{i}];\ncx q[{i}],q[{(i + 1) % 22}];\n"
    for k in range(24) for i in range(22)) + "measure q -> c;\n"
WRONG_KEY = "qk_wrong_5ecret-key-that-must-not-leak"
LOGGERS = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "urllib3", "fastapi",
           "pennylane_qoro", "asyncio"]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter("%(name)s %(levelname)s %(message)s").format(record))
        self.lines.append(repr(record.args))


@contextmanager
def everything_at_debug() -> Iterator[_Collect]:
    handler = _Collect()
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)


def _spec(qasm: str = X) -> JobSpec:
    return JobSpec(circuits=(("a", qasm),), shots=5)


def _workload(url: str, token: str, other: str, caught: list[BaseException]) -> list[object]:
    """Calls that succeed and calls that fail; returns the objects a user would hold."""

    def attempt(call: Callable[[], object]) -> None:
        try:
            call()
        except QoroError as exc:
            caught.append(exc)

    client = QoroClient(url, api_key=token, progress=False, poll_interval=0.02)
    wrong = QoroClient(url, api_key=WRONG_KEY, progress=False)
    second = QoroClient(url, api_key=other, progress=False)
    result = client.run(_spec())
    attempt(wrong.credits)  # 401
    attempt(lambda: client.status("not-a-job"))  # 404
    attempt(lambda: client.cancel(result.job_id))  # 409
    attempt(lambda: second.results(result.job_id))  # another token: 404
    attempt(lambda: client.run(_spec("OPENQASM 2.0;\nqreg q[1];\nbogus q[0];\n")))  # 400
    attempt(lambda: client.run(_spec(SLOW), timeout=0.0))  # client deadline
    for _ in range(3):
        attempt(lambda: second.init_job("EXECUTE", simulator_cluster="qoro_maestro"))  # 429
    client.run(_spec())  # through the injected faults
    objects = [client, wrong, second, client.stats, result, client._http,
               ApiKey(token, "environment")]
    for c in (client, wrong, second):
        c.close()
    return objects


def _scan(texts: list[str], secrets: list[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"secret found in: {text[:300]!r}"


def test_no_secret_in_process_logs_errors_or_reprs(tmp_path: Path) -> None:
    faults = [
        FaultPlan(status=502, times=3, methods=frozenset({"GET"}), path="status"),
        FaultPlan(when="after", action="drop", times=2, methods=frozenset({"POST"}),
                  path="add_circuits"),
        FaultPlan(action="drop", times=2, methods=frozenset({"GET"}), path="resultsV2"),
    ]
    caught: list[BaseException] = []
    with everything_at_debug() as logs, serve(faults=faults, max_active_jobs=2,
                                              workers=1) as svc:
        other = svc.create_token()
        objects = _workload(svc.url, svc.token, other, caught)
        with serve(idempotency=False, faults=FaultPlan(
                when="after", action="drop", methods=frozenset({"POST"}), path="job/init")
                   ) as plain:
            c = QoroClient(plain.url, api_key=plain.token, progress=False)
            try:
                c.submit(_spec())
            except QoroError as exc:  # AmbiguousSubmissionError
                caught.append(exc)
            objects += [c, plain]
            secrets = [svc.token, other, WRONG_KEY, plain.token]
        objects.append(svc)
    kinds = {type(e).__name__ for e in caught}
    assert {"AuthenticationError", "NotFoundError", "ConflictError", "ValidationError",
            "DeadlineExceededError", "RateLimitedError", "AmbiguousSubmissionError"} <= kinds
    assert any("uvicorn" in line or "urllib3" in line for line in logs.lines)
    texts = list(logs.lines)
    for exc in caught:
        texts += [str(exc), repr(exc), repr(exc.args),
                  "".join(traceback.format_exception(exc))]
    texts += [repr(o) for o in objects] + [str(o) for o in objects]
    _scan(texts, secrets)
    print(f"\nsecret scan (in-process): {len(logs.lines) // 2} log records, {len(caught)} "
          f"errors {sorted(kinds)}, {len(objects)} reprs: no token or key found")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pennylane_qoro.local", *args]


def test_no_secret_in_program_output_or_database(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite"
    token = subprocess.run(_cli("token", "create", "--db", str(db)), capture_output=True,
                           text=True, check=True).stdout.strip()
    other = subprocess.run(_cli("token", "create", "--db", str(db)), capture_output=True,
                           text=True, check=True).stdout.strip()
    proc = subprocess.Popen(
        _cli("serve", "--db", str(db), "--port", "0", "--log-level", "debug",
             "--max-active-jobs", "2", "--workers", "1"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    caught: list[BaseException] = []
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving http://"), line
        _workload(line.split()[1], token, other, caught)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "POST /api/job/init/" in out  # uvicorn's access log (stdout) was on at debug
    texts = [line, out, err] + [str(e) for e in caught] + [repr(e) for e in caught]
    _scan(texts, [token, other, WRONG_KEY])
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert token.encode() not in stored and other.encode() not in stored
    print(f"\nsecret scan (program): {len(out.splitlines()) + len(err.splitlines())} output "
          "lines at --log-level debug (access log included), "
          f"{len(caught)} errors, database files: no token found")


@pytest.mark.parametrize("where", ["argument", "environment"])
def test_key_never_in_client_reprs(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    if where == "environment":
        monkeypatch.setenv("QORO_API_KEY", WRONG_KEY)
        client = QoroClient("http://127.0.0.1:9/api", progress=False)
    else:
        client = QoroClient("http://127.0.0.1:9/api", api_key=WRONG_KEY, progress=False)
    texts = [repr(client), str(client), repr(client._http), repr(vars(client)),
             repr(client._http._idempotent.auth), repr(vars(client._http))]
    _scan(texts, [WRONG_KEY])
    client.close()
