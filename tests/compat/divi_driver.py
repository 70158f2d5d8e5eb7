"""Drive the official ``qoro-divi`` QoroService against a local service (run INSIDE its venv).

Usage: ``python divi_driver.py URL TOKEN`` prints one JSON object with what the official client
saw. ``python divi_driver.py URL TOKEN flood N [TOKEN2]`` submits N one-circuit jobs back to
back (then N more with TOKEN2, through a second QoroService), waits for every one and prints
``{"version", "jobs": {token_index: [[job_id, status, counts], ...]}}``. The only change to
the client is configuration: its hard-coded ``API_URL`` module attribute is pointed at URL
(``divi.backends.runners._qoro.API_URL`` in 0.15.1, ``divi.backends._qoro_service.API_URL`` in
0.13). Nothing is mocked.

This file is executed by tests/compat/test_divi_compat.py with the venv's interpreter; it must
not import pytest or anything from pennylane_qoro.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from importlib.metadata import version
from typing import Any

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def program(n: int, body: str, measure: bool = True) -> str:
    text = f"{HEAD}qreg q[{n}];\ncreg c[{n}];\n{body}"
    if measure:
        text += "".join(f"measure q[{i}] -> c[{i}];\n" for i in range(n))
    return text


TEMPLATE = program(2, "ry(theta_0) q[0];\nrx(theta_1) q[1];\ncx q[0],q[1];\n")
ROWS = (("row_a", (3.141592653589793, 0.0)), ("row_b", (0.0, 3.141592653589793)),
        ("row_c", (3.141592653589793, 3.141592653589793)))


def slow_circuits(count: int) -> dict[str, str]:
    n = 20
    body = "".join(f"h q[{k}];\n" for k in range(n)) + "".join(
        f"cx q[{k}],q[{k + 1}];\nrz(0.{k + 1}) q[{k + 1}];\n" for k in range(n - 1)) * 4
    return {f"slow{i}": program(n, body) for i in range(count)}


def big_circuits(count: int) -> dict[str, str]:
    """Circuits whose compressed size forces the client to split them into several requests."""
    import random

    rng = random.Random(0)
    out = {}
    for i in range(count):
        noise = "".join(rng.choice("0123456789abcdef") for _ in range(9000))
        out[f"big{i:03d}"] = program(1, ("x q[0];\n" if i % 2 else "") + f"// {noise}\n")
    return out


class Driver:
    def __init__(self, url: str, token: str):
        self.version = version("qoro-divi")
        self.new = not self.version.startswith(("0.12", "0.13"))
        module = "divi.backends.runners._qoro" if self.new else "divi.backends._qoro_service"
        self.module = importlib.import_module(module)
        self.module.API_URL = url  # the official client's only knob for the base URL
        from divi.backends import JobConfig, QoroService

        self.JobConfig = JobConfig
        self.service = QoroService(auth_token=token, polling_interval=0.05)
        self.report: dict[str, Any] = {"version": self.version}

    # -- helpers ------------------------------------------------------------------------
    def wait(self, result: Any) -> str:
        try:
            return str(self.service.poll_job_status(result, loop_until_complete=True,
                                                    verbose=False).value)
        except Exception as exc:  # 0.15.1 raises typed errors for terminal failures
            return f"{type(exc).__name__}: {getattr(exc, 'status', '')}"

    def results(self, result: Any) -> dict[str, Any]:
        rows = self.service.get_job_results(result).results
        return {row["label"]: row["results"] for row in rows}

    def submit(self, circuits: dict[str, str], **kw: Any) -> Any:
        return self.service.submit_circuits(circuits, **kw)

    # -- scenarios ----------------------------------------------------------------------
    def connection(self) -> None:
        self.report["ping"] = self.service.test_connection().status_code
        qpus = self.service.fetch_qpu_systems()
        self.report["qpu_systems"] = [s.name for s in qpus]
        self.report["qpus"] = [q.nickname for s in qpus for q in s.qpus]
        self.report["clusters"] = [c.name for c in self.service.fetch_simulator_clusters()]
        self.report["credits"] = self.service.get_credit_balance()
        tx = self.service.get_credit_transactions(page=1, page_size=5)
        self.report["transactions"] = {"count": tx["count"], "types":
                                       [r["transaction_type"] for r in tx["results"]]}

    def bound_execute(self) -> None:
        circuits = {"x0": program(2, "x q[0];\n"), "bell": program(2, "h q[0];\ncx q[0],q[1];\n"),
                    "ghz": program(3, "h q[0];\ncx q[0],q[1];\ncx q[1],q[2];\n")}
        job = self.submit(circuits)
        self.report["execute_status"] = self.wait(job)
        self.report["execute"] = self.results(job)

    def shot_groups_and_chunks(self) -> None:
        circuits = big_circuits(240)
        groups = [[0, 100, 7], [100, 240, 9]]
        job = self.submit(circuits, shot_groups=groups)
        # how many add_circuits requests the client made, in its own terms
        requests_made = (job.backend_jobs if self.new
                         else len(self.service._split_circuits(circuits)))
        self.report["chunked_status"] = self.wait(job)
        res = self.results(job)
        self.report["chunked"] = {
            "requests": requests_made, "n": len(res), "ordered": list(res) == list(circuits),
            "shots": sorted({sum(v.values()) for v in res.values()}),
            "first": res["big000"], "second": res["big001"], "last": res["big239"],
            "shots_by_range": [sum(res["big099"].values()), sum(res["big100"].values())],
        }

    def template(self) -> None:
        if self.new:
            from divi.circuits import CircuitPayload
            from qiskit.circuit import Parameter

            payload = CircuitPayload(circuit=TEMPLATE,
                                     parameters=(Parameter("theta_0"), Parameter("theta_1")),
                                     parameter_sets=ROWS)
            job = self.service.submit_circuits([payload])
        else:
            from divi.circuits import TemplateEntry

            entry = TemplateEntry(template_qasm=TEMPLATE,
                                  parameter_names=("theta_0", "theta_1"), parameter_sets=ROWS)
            job = self.service.submit_circuit_templates([entry])
        self.report["template_status"] = self.wait(job)
        self.report["template"] = self.results(job)

    def expectation(self) -> None:
        circuits = {"zx": program(2, "x q[0];\nh q[1];\n"), "bell": program(2,
                    "h q[0];\ncx q[0],q[1];\n")}
        job = self.submit(circuits, ham_ops="ZI;IZ;IX;ZZ;XX")
        self.report["expectation_status"] = self.wait(job)
        self.report["expectation"] = self.results(job)

    def execution_config(self) -> None:
        if self.new:
            from divi.backends import MaestroConfig

            job = self.submit({"a": program(1, "x q[0];\n")},
                              maestro_config=MaestroConfig(simulation_type="MatrixProductState",
                                                           max_bond_dimension=8, seed=3))
            self.report["config_status"] = self.wait(job)
            got = self.service.get_maestro_config(job)
            self.report["config"] = {"max_bond_dimension": got.max_bond_dimension,
                                     "seed": got.seed}
        else:
            from divi.backends import ExecutionConfig, SimulationMethod

            cfg = ExecutionConfig(bond_dimension=8,
                                  simulation_method=SimulationMethod.MatrixProductState)
            job = self.submit({"a": program(1, "x q[0];\n")}, override_execution_config=cfg)
            self.report["config_status"] = self.wait(job)
            got = self.service.get_execution_config(job)
            self.report["config"] = {"bond_dimension": got.bond_dimension,
                                     "simulation_method": int(got.simulation_method)}
            fresh = self.service.submit_circuits({"b": program(1, "")})  # finalized at once
            try:
                self.service.set_execution_config(fresh, ExecutionConfig(bond_dimension=4))
                self.report["config_set"] = "accepted"
            except Exception as exc:  # 409 once the job left PENDING
                self.report["config_set"] = str(exc)[:3]
        self.report["config_results"] = self.results(job)

    def noise(self) -> None:
        """A noise model in maestro_config (0.15.1), or the old noisy_device fields (0.13)."""
        if self.new:
            import maestro
            from divi.backends import MaestroConfig

            model = maestro.NoiseModel()
            model.set_all_depolarizing(2, 0.1)
            model.set_kraus_channel([1], [[[1j, 0], [0, -1j]]])  # Z up to phase: no-op on counts
            sent = [{"method": m, "args": list(a), "kwargs": dict(k)}
                    for m, a, k in model._call_log]
            job = self.submit({"n": program(2, "x q[0];\ncx q[0],q[1];\n")},
                              maestro_config=MaestroConfig(simulation_type="DensityMatrix",
                                                           noise_model=model, noise_seed=9))
            self.report["noise_status"] = self.wait(job)
            self.report["noise_counts"] = self.results(job)["n"]
            got = self.service.get_maestro_config(job)
            self.report["noise_sent"] = json.loads(json.dumps(sent, default=str))
            self.report["noise_returned"] = json.loads(json.dumps(
                [{"method": m, "args": list(a), "kwargs": dict(k)}
                 for m, a, k in got.noise_model._call_log], default=str))
            self.report["noise_seed_returned"] = got.noise_seed
        else:
            from divi.backends import ExecutionConfig

            cfg = ExecutionConfig(noisy_device="ibm_fake_fez", noise_realizations=4)
            try:
                self.submit({"n": program(1, "x q[0];\n")}, override_execution_config=cfg)
                self.report["noise_old"] = "accepted"
            except Exception as exc:
                self.report["noise_old"] = str(exc)[:400]

    def cancel_and_delete(self) -> None:
        job = self.submit(slow_circuits(120))
        response = self.service.cancel_job(job)
        self.report["cancel"] = {"code": response.status_code, "body": response.json()}
        self.report["cancel_status"] = self.wait(job)
        try:
            self.service.cancel_job(job)
            self.report["cancel_again"] = "no error"
        except Exception as exc:
            self.report["cancel_again"] = str(exc)[:60]
        done = self.submit({"d": program(1, "")})
        self.wait(done)
        self.report["delete"] = self.service.delete_job(done).status_code
        try:
            self.service.poll_job_status(done)
            self.report["after_delete"] = "still there"
        except Exception as exc:
            self.report["after_delete"] = str(exc)[:3]


def flood(url: str, tokens: list[str], n: int) -> dict[str, Any]:
    """N jobs per token submitted back to back (no waiting in between), then awaited."""
    drivers = [Driver(url, token) for token in tokens]
    submitted: list[tuple[int, Any]] = []
    for index, driver in enumerate(drivers):
        for i in range(n):
            body = "x q[0];\n" if i % 2 else ""
            submitted.append((index, driver.submit({f"j{i}": program(1, body)})))
    jobs: dict[str, list] = {str(i): [] for i in range(len(drivers))}
    for index, job in submitted:
        driver = drivers[index]
        status = driver.wait(job)
        counts = driver.results(job) if status == "COMPLETED" else None
        job_id = getattr(job, "job_id", None) or getattr(job, "id", None) or str(job)
        jobs[str(index)].append([str(job_id), status, counts])
    return {"version": drivers[0].version, "jobs": jobs}


def main() -> None:
    url, token = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3 and sys.argv[3] == "flood":
        print(json.dumps(flood(url, [token, *sys.argv[5:6]], int(sys.argv[4]))))
        return
    driver = Driver(url, token)
    for name in ("connection", "bound_execute", "template", "expectation",
                 "shot_groups_and_chunks", "execution_config", "noise", "cancel_and_delete"):
        try:
            getattr(driver, name)()
        except Exception:
            driver.report.setdefault("errors", {})[name] = traceback.format_exc()[-2000:]
    print(json.dumps(driver.report))


if __name__ == "__main__":
    main()
