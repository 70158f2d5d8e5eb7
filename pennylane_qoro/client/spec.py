"""What a Qoro job carries, and its validation into requests (qoro-api.md §2.7, §2.8).

:class:`JobSpec` (with :class:`Template` rows) describes one job; :class:`JobResult` is what
``QoroClient.run`` hands back. :func:`plan_job` checks a spec against the protocol's rules
(exactly one of ``shots`` / ``shot_groups`` / ``observables``, one target, templates or bound
circuits) and builds the ``job/init/`` body and every ``add_circuits`` body, sized by
``client/upload.py``, before anything is sent.

Pure: no I/O. It imports the standard library, ``protocol`` and ``client.upload``; never
requests or PennyLane.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..protocol.errors import PayloadError
from ..protocol.observables import encode_observables
from ..protocol.text import compress_text, json_body
from ..protocol.vocabulary import JOB_TYPES
from .upload import plan_bound_requests, plan_template_requests

__all__ = ["JobResult", "JobSpec", "Template", "UploadPlan", "plan_job"]


@dataclass(frozen=True)
class Template:
    """A parametric circuit and its parameter rows (the template path, §2.8 (b), §3.5).

    Attributes:
        qasm (str): OpenQASM 2 text with placeholder names where values go.
        parameter_names (tuple[str, ...]): the placeholders, in value order.
        rows (tuple[tuple[str, tuple[float, ...]], ...]): ``(label, values)`` per circuit.
    """

    qasm: str
    parameter_names: tuple[str, ...]
    rows: tuple[tuple[str, tuple[float, ...]], ...]


@dataclass(frozen=True)
class JobSpec:
    """Everything one Qoro job carries (§2.7, §2.8).

    Attributes:
        job_type (str): ``"EXECUTE"`` (histograms) or ``"EXPECTATION"`` (Pauli expectations).
        circuits (tuple[tuple[str, str], ...]): bound circuits ``(label, qasm)``.
        templates (tuple[Template, ...]): the template path; not mixed with ``circuits``.
        shots (int | None): EXECUTE, one count for every circuit.
        shot_groups (tuple[tuple[int, int, int], ...] | None): EXECUTE, per-circuit shots as
            job-global ``(start, end, shots)`` ranges tiling the circuits (bound path only).
        observables (tuple[tuple[str, ...], ...] | None): EXPECTATION, groups of dense Pauli
            terms (character i = qubit i).
        circuit_ham_map (tuple[tuple[int, int], ...] | None): one job-global circuit range per
            observable group (bound path; required with more than one group).
        simulator_cluster (str | None): simulator target (ignored when ``qpu_system`` is set).
        qpu_system (str | None): QPU system target; takes precedence.
        maestro_config (Mapping | None): simulator settings, simulator targets only.
        tag (str | None): the job's tag.
    """

    job_type: str = "EXECUTE"
    circuits: tuple[tuple[str, str], ...] = ()
    templates: tuple[Template, ...] = ()
    shots: int | None = None
    shot_groups: tuple[tuple[int, int, int], ...] | None = None
    observables: tuple[tuple[str, ...], ...] | None = None
    circuit_ham_map: tuple[tuple[int, int], ...] | None = None
    simulator_cluster: str | None = "qoro_maestro"
    qpu_system: str | None = None
    maestro_config: Mapping[str, Any] | None = None
    tag: str | None = "default"

    @property
    def labels(self) -> list[str]:
        """Circuit labels in submission order."""
        if self.circuits:
            return [label for label, _ in self.circuits]
        return [label for t in self.templates for label, _ in t.rows]


@dataclass(frozen=True)
class JobResult:
    """The outcome of :meth:`QoroClient.run`.

    Attributes:
        job_id (str): the service's job id.
        results (dict[str, Any]): label -> decoded results in submission order:
            ``{bitstring: count}`` (Qiskit order, ``c[0]`` rightmost) for EXECUTE,
            ``{dense term: float}`` for EXPECTATION.
        run_time (float): the service's ``run_time`` in seconds (0.0 when absent).
        requests (int): HTTP requests this run made (init, uploads, polls, pages).
    """

    job_id: str
    results: dict[str, Any]
    run_time: float
    requests: int


@dataclass(frozen=True)
class UploadPlan:
    """A validated job, ready to send: the ``job/init/`` body and every ``add_circuits`` body.

    Attributes:
        init (dict[str, Any]): the ``job/init/`` body (§2.7).
        bodies (list[bytes]): the serialized ``add_circuits`` bodies, in order (§2.8, §3.2).
    """

    init: dict[str, Any]
    bodies: list[bytes]


def plan_job(spec: JobSpec) -> UploadPlan:
    """Validate a spec and build the init body and every add_circuits body (§3.2).

    Everything is built and size-checked before anything is sent, so a request that cannot
    fit fails before any job exists.

    Raises:
        PayloadError: the spec is inconsistent or cannot fit the per-request cap.
    """
    if spec.job_type not in JOB_TYPES:
        raise PayloadError(f"job_type must be one of {JOB_TYPES}, got {spec.job_type!r}")
    if bool(spec.circuits) == bool(spec.templates):
        raise PayloadError("a job carries either bound circuits or templates (exactly one)")
    envelope = _envelope(spec)
    if spec.circuits:
        compressed = [
            (_label(label), compress_text(_qasm(label, q))) for label, q in spec.circuits
        ]
        _check_ham_map(spec, len(compressed))
        groups = [list(g) for g in spec.shot_groups] if spec.shot_groups is not None else None
        bodies = plan_bound_requests(compressed, envelope, shot_groups=groups)
    else:
        if spec.shot_groups is not None or spec.circuit_ham_map is not None:
            raise PayloadError("shot_groups and circuit_ham_map are bound-path only (§2.8)")
        if spec.observables is not None and len(spec.observables) != 1:
            raise PayloadError("a template job takes exactly one observable group (§2.8)")
        templates = [
            (
                compress_text(_qasm("template", t.qasm)),
                [str(name) for name in t.parameter_names],
                [(row[0], row[1]) for row in t.rows],
            )
            for t in spec.templates
        ]
        bodies = plan_template_requests(templates, envelope)
    return UploadPlan(init=_init_body(spec), bodies=bodies)


def _label(label: Any) -> str:
    if not isinstance(label, str) or not label:
        raise PayloadError(f"circuit label {label!r} must be a non-empty string")
    return label


def _qasm(label: str, qasm: Any) -> str:
    if not isinstance(qasm, str) or not qasm.strip():
        raise PayloadError(f"circuit {label!r}: qasm must be non-empty text")
    return qasm


def _envelope(spec: JobSpec) -> dict[str, Any]:
    """Exactly one of shots / shot_groups / observables(+circuit_ham_map) (§2.8)."""
    if spec.job_type == "EXECUTE":
        if spec.observables is not None or spec.circuit_ham_map is not None:
            raise PayloadError("EXECUTE jobs take shots or shot_groups, not observables")
        if (spec.shots is None) == (spec.shot_groups is None):
            raise PayloadError("EXECUTE jobs need exactly one of shots or shot_groups")
        if spec.shots is None:
            return {}
        if isinstance(spec.shots, bool) or not isinstance(spec.shots, int) or spec.shots <= 0:
            raise PayloadError(f"shots must be a positive int, got {spec.shots!r}")
        return {"shots": spec.shots}
    if spec.shots is not None or spec.shot_groups is not None:
        raise PayloadError("EXPECTATION jobs take observables, not shots or shot_groups")
    if not spec.observables:
        raise PayloadError("EXPECTATION jobs need observables")
    envelope: dict[str, Any] = {"observables": encode_observables(spec.observables)}
    if spec.circuit_ham_map is not None:
        envelope["circuit_ham_map"] = [[int(s), int(e)] for s, e in spec.circuit_ham_map]
    return envelope


def _check_ham_map(spec: JobSpec, n_circuits: int) -> None:
    if spec.observables is None:
        return
    groups = len(spec.observables)
    if spec.circuit_ham_map is None:
        if groups > 1:
            raise PayloadError(f"{groups} observable groups need a circuit_ham_map (§3.4)")
        return
    if len(spec.circuit_ham_map) != groups:
        raise PayloadError(
            f"circuit_ham_map has {len(spec.circuit_ham_map)} ranges for {groups} groups"
        )
    for k, (s, e) in enumerate(spec.circuit_ham_map):
        if not 0 <= s < e <= n_circuits:
            raise PayloadError(
                f"circuit_ham_map[{k}] = [{s}, {e}) is not a range within [0, {n_circuits})"
            )


def _init_body(spec: JobSpec) -> dict[str, Any]:
    """``job/init/`` body (§2.7): tag, job_type, use_packing, one target, maestro_config."""
    body: dict[str, Any] = {"tag": spec.tag, "job_type": spec.job_type, "use_packing": False}
    if spec.qpu_system is not None:
        if spec.maestro_config is not None:
            raise PayloadError("maestro_config applies to simulator clusters, not QPU systems")
        body["qpu_system_name"] = spec.qpu_system  # note the asymmetric key names
    elif spec.simulator_cluster is not None:
        body["simulator_cluster"] = spec.simulator_cluster
    else:
        raise PayloadError("a job needs a simulator_cluster or a qpu_system")
    if spec.maestro_config is not None:
        body["maestro_config"] = dict(spec.maestro_config)
    json_body(body)  # fail before init on a non-JSON maestro_config
    return body
