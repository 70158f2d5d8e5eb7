"""The Qoro job API: :class:`QoroClient` and the job description types.

This module owns the job lifecycle of ``qoro-api.md`` §2 and §5: building the complete upload
plan before ``job/init/`` (so a request that cannot fit fails before any job exists), the
chunked ``add_circuits`` uploads with ``finalized`` as a string, adaptive status polling with a
deadline, typed terminal errors and cancel-on-Ctrl+C, ``resultsV2`` paging, and the remaining
endpoints (targets, credits, execution config, characterization).

It reaches the network only through ``client/http.py`` and the wire formats only through
``client/wire.py``. It imports the standard library, numpy-free helpers of this package and
(lazily, optionally) tqdm; never PennyLane.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import wire
from .config import resolve_api_key, resolve_url
from .errors import (
    AmbiguousSubmissionError,
    DeadlineExceededError,
    InsufficientCreditsError,
    JobCancelledError,
    JobError,
    JobFailedError,
    JobTimedOutError,
    PayloadError,
    QoroConnectionError,
    ServerError,
    ValidationError,
    WireDecodeError,
)
from .http import ClientStats, Transport

__all__ = [
    "ACTIVE_STATUSES",
    "TERMINAL_STATUSES",
    "JobResult",
    "JobSpec",
    "QoroClient",
    "Template",
]

log = logging.getLogger(__name__)

# Per-call timeouts in seconds (qoro-api.md §1.5).
TIMEOUT_SHORT = 10.0  # ping, targets, credits
TIMEOUT_INIT = 100.0
TIMEOUT_UPLOAD = 100.0
TIMEOUT_STATUS = 200.0
TIMEOUT_RESULTS = 100.0
TIMEOUT_CANCEL = 50.0
TIMEOUT_DELETE = 50.0
TIMEOUT_EXEC_CONFIG = 50.0
TIMEOUT_QUBO = 300.0  # the analysis runs inside the request
TIMEOUT_VALIDATION = 100.0

PAGE_LIMIT = 100  # resultsV2 page size; offset always grows by exactly this (§2.10)
# While waiting, a service that stops answering status polls (a restart, a network blip) is
# polled again for this long before the failure is raised: the job lives on the service.
OUTAGE_GRACE = 60.0
PROGRESS_AFTER = 2.0  # seconds of waiting before a progress display appears
JOB_TYPES = ("EXECUTE", "EXPECTATION")

# §5.1: all nine statuses.
ACTIVE_STATUSES = frozenset({"PENDING", "SCHEDULED", "RUNNING", "PAUSED"})
TERMINAL_STATUSES = frozenset(
    {"COMPLETED", "FAILED", "CANCELLED", "INSUFFICIENT_CREDITS", "TIMED_OUT"}
)
_GATEWAY_STATUSES = frozenset({502, 503, 504})  # a service restarting or briefly away
_FAILURES: dict[str, type[JobError]] = {
    "FAILED": JobFailedError,
    "CANCELLED": JobCancelledError,
    "INSUFFICIENT_CREDITS": InsufficientCreditsError,
    "TIMED_OUT": JobTimedOutError,
}


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
class _Plan:
    init: dict[str, Any]
    bodies: list[bytes]


class QoroClient:
    """A client for the Qoro REST API (the cloud or a compatible local service).

    Args:
        url (str | None): base URL; else ``$QORO_API_URL``; else the Qoro cloud.
        api_key (str | None): API key; else ``QORO_API_KEY`` from ``.env``; else the
            environment.
        progress (bool): show a tqdm progress display for jobs that run longer than ~2 s
            (only if tqdm is installed).
        poll_interval (float): the longest pause between status checks, in seconds.
        first_poll (float): the pause before the first status check; it grows x1.5 per poll.
        retries (int): re-sends of a failed idempotent request (GET, DELETE, and the keyed
            ``job/init/`` / ``add_circuits/`` POSTs of a service advertising idempotency).
        request_timeout (float | None): caps every per-call timeout of §1.5 (None: the
            protocol's values, 10 to 300 s).

    Raises:
        ConfigurationError: bad URL, plain http off-host, or no API key.

    >>> client = QoroClient("http://127.0.0.1:8000/api", api_key="...")  # doctest: +SKIP
    >>> client.run(JobSpec(circuits=(("bell", qasm),), shots=1000)).results  # doctest: +SKIP
    {'bell': {'00': 508, '11': 492}}
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        progress: bool = True,
        poll_interval: float = 3.0,
        first_poll: float = 0.02,
        retries: int = 5,
        request_timeout: float | None = None,
    ):
        if not (poll_interval > 0 and first_poll > 0):
            raise ValueError("poll_interval and first_poll must be > 0")
        if retries < 0 or (request_timeout is not None and not request_timeout > 0):
            raise ValueError("retries must be >= 0 and request_timeout > 0")
        self._url = resolve_url(url)
        self.stats = ClientStats()
        self._http = Transport(
            self._url,
            resolve_api_key(api_key),
            stats=self.stats,
            retries=retries,
            timeout_cap=request_timeout,
        )
        self.outage_grace = OUTAGE_GRACE
        # Longest long-poll the service honours (``status/?wait=``), once it has said so in a
        # response (the embedded service does; the Qoro cloud does not): polls then wait on
        # the service instead of sleeping here, and see the job's end at once.
        self.max_wait: float | None = None
        self.progress = progress
        self.poll_interval = float(poll_interval)
        self.first_poll = float(first_poll)

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return self._url

    def __repr__(self) -> str:
        return f"QoroClient(url={self._url!r})"

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    def __enter__(self) -> QoroClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- account and targets (§2.1-§2.6) -----------------------------------------------------

    def ping(self) -> dict:
        """``GET /api/``; the service's JSON answer (``{}`` when it sends none)."""
        body = self._http.get("", timeout=TIMEOUT_SHORT)
        return body if isinstance(body, dict) else {}

    def qpu_systems(self) -> list[dict]:
        """``GET qpusystem/``: the QPU systems and their QPUs."""
        return self._list("qpusystem/")

    def simulator_clusters(self) -> list[dict]:
        """``GET simulatorcluster/``: the simulator clusters."""
        return self._list("simulatorcluster/")

    def credits(self) -> dict:
        """``GET credits/``: balance and usage (decimal strings)."""
        return self._dict(self._http.get("credits/", timeout=TIMEOUT_SHORT), "credits/")

    def transactions(self, page: int = 1, page_size: int = 20) -> dict:
        """``GET credits/transactions/``: one page of the credit history (§2.6)."""
        if page < 1 or not 1 <= page_size <= 100:
            raise ValueError("page must be >= 1 and page_size within 1..100")
        body = self._http.get(
            "credits/transactions/",
            params={"page": page, "page_size": page_size},
            timeout=TIMEOUT_SHORT,
        )
        return self._dict(body, "credits/transactions/")

    # -- jobs (§2.7-§2.13) -------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> str:
        """Create a job and upload all its circuits; returns the job id.

        The whole upload plan is built and size-checked first, so a :class:`PayloadError`
        leaves nothing on the service. ``job/init/`` and every chunk carry their own
        ``Idempotency-Key``; a service that advertises idempotency gets them re-sent on
        failure and applies each once (§8 item 10). If an upload still fails after
        ``job/init/``, the job is cancelled and deleted (best effort) before the error is
        raised.

        Raises:
            PayloadError: the spec is inconsistent or cannot fit the per-request cap.
            AmbiguousSubmissionError: a request went unanswered and could not be re-sent
                safely; the message says which states the job may be in.
            QoroHTTPError, QoroConnectionError: the service refused or could not be reached;
                the error names the job id when one exists.
        """
        plan = _plan(spec)
        job_id = self._init(plan.init)
        k = 0
        try:
            for k, body in enumerate(plan.bodies):
                log.debug("job %s: add_circuits %d/%d", job_id, k + 1, len(plan.bodies))
                answer = self._http.post_idempotent(
                    f"job/{job_id}/add_circuits/", body, timeout=TIMEOUT_UPLOAD, job_id=job_id
                )
                self._learn_max_wait(answer)
        except AmbiguousSubmissionError as exc:
            deleted = self._discard(job_id)
            raise _ambiguous_upload(exc, job_id, k, len(plan.bodies), deleted) from None
        except BaseException:
            self._discard(job_id)
            raise
        return job_id

    def status(self, job_id: str, *, wait: float | None = None) -> dict:
        """``GET job/{id}/status/``: the body with ``status`` (str) and ``run_time`` (float).

        Args:
            job_id (str): the job.
            wait (float | None): long polling, for services that advertise ``max_wait``: the
                service may hold the answer up to this many seconds while the job is active.
        """
        params = {"wait": f"{wait:.3f}"} if wait else None
        body = self._http.get(
            f"job/{job_id}/status/", timeout=TIMEOUT_STATUS, params=params, job_id=job_id
        )
        if not isinstance(body, dict):
            raise WireDecodeError(f"status of job {job_id} is not a JSON object: {body!r}")
        self._learn_max_wait(body)
        out = dict(body)
        out["status"] = str(body.get("status", ""))
        out["run_time"] = _lenient_float(body.get("run_time"))
        return out

    def wait(self, job_id: str, *, timeout: float | None = None) -> dict:
        """Poll until the job is terminal; returns the COMPLETED status body.

        The first check comes ``first_poll`` seconds after the call and the pause grows
        x1.5 up to ``poll_interval``. Ctrl+C cancels the job on the service (once, best
        effort) and re-raises ``KeyboardInterrupt``.

        Args:
            job_id (str): the job.
            timeout (float | None): the client-side deadline in seconds (None: no limit).

        Raises:
            JobFailedError, JobCancelledError, InsufficientCreditsError, JobTimedOutError:
                the job ended otherwise than COMPLETED (with the server's message).
            DeadlineExceededError: ``timeout`` passed while the job was still active.
        """
        if timeout is not None and timeout < 0:
            raise ValueError("timeout must be >= 0")
        try:
            return self._poll(job_id, timeout)
        except KeyboardInterrupt:
            log.warning("interrupted: cancelling Qoro job %s", job_id)
            self._best_effort(self.cancel, job_id)
            raise

    def results(self, job_id: str) -> list[dict]:
        """All result rows (``resultsV2``, pages of 100), decoded, in submission order.

        Each row keeps its keys; ``results`` is replaced by its decoded form (§4.3).

        Raises:
            ValidationError: results are not available (the job is still running).
            WireDecodeError: a malformed page or payload.
        """
        rows: list[dict] = []
        offset = 0
        while True:
            # §2.10: the query lives in the endpoint string and the offset grows by exactly
            # PAGE_LIMIT; the server's `next` URL is only null-checked, never followed.
            endpoint = f"job/{job_id}/resultsV2/?limit={PAGE_LIMIT}&offset={offset}"
            try:
                page = self._http.get(endpoint, timeout=TIMEOUT_RESULTS, job_id=job_id)
            except ValidationError as exc:
                raise type(exc)(
                    exc.status,
                    f"job results not available, likely the job is still running "
                    f"({exc.server_message})",
                    method=exc.method,
                    path=exc.path,
                    job_id=job_id,
                ) from None
            entries = _page_rows(page, job_id, offset)
            rows.extend(_decode_row(row, job_id) for row in entries)
            if not page.get("next"):
                return rows
            if not entries:
                raise WireDecodeError(
                    f"job {job_id}: empty results page at offset {offset} with a next link"
                )
            offset += PAGE_LIMIT

    def run(self, spec: JobSpec, *, timeout: float | None = None) -> JobResult:
        """Submit, wait and fetch: one job from spec to decoded results.

        If the client deadline passes, the job is cancelled (best effort) before
        :class:`DeadlineExceededError` is raised, so it does not keep spending credits.

        Args:
            spec (JobSpec): the job.
            timeout (float | None): the client-side wait deadline in seconds.

        Returns:
            JobResult: results keyed by label, in submission order.
        """
        before = self.stats.requests
        job_id = self.submit(spec)
        try:
            final = self.wait(job_id, timeout=timeout)
        except DeadlineExceededError:
            self._best_effort(self.cancel, job_id)
            raise
        rows = self.results(job_id)
        by_label = {row["label"]: row["results"] for row in rows}
        missing = [label for label in spec.labels if label not in by_label]
        if missing:
            raise WireDecodeError(
                f"job {job_id}: no result rows for {len(missing)} label(s), e.g. {missing[:3]}"
            )
        return JobResult(
            job_id=job_id,
            results={label: by_label[label] for label in spec.labels},
            run_time=final["run_time"],
            requests=self.stats.requests - before,
        )

    def cancel(self, job_id: str) -> dict:
        """``POST job/{id}/cancel/`` (never retried); 409 if the job is not cancellable."""
        body = self._http.post(f"job/{job_id}/cancel/", timeout=TIMEOUT_CANCEL, job_id=job_id)
        return body if isinstance(body, dict) else {}

    def delete(self, job_id: str) -> None:
        """``DELETE job/{id}`` (no trailing slash, §2.12)."""
        self._http.delete(f"job/{job_id}", timeout=TIMEOUT_DELETE, job_id=job_id)

    def get_execution_config(self, job_id: str) -> dict:
        """``GET job/{id}/execution_config/``; 404 when none was set."""
        body = self._http.get(
            f"job/{job_id}/execution_config/", timeout=TIMEOUT_EXEC_CONFIG, job_id=job_id
        )
        return self._dict(body, "execution_config/")

    def set_execution_config(self, job_id: str, config: Mapping[str, Any]) -> dict:
        """``POST job/{id}/execution_config/`` (PENDING jobs only, else 409)."""
        body = self._http.post(
            f"job/{job_id}/execution_config/",
            dict(config),
            timeout=TIMEOUT_EXEC_CONFIG,
            job_id=job_id,
        )
        return body if isinstance(body, dict) else {}

    # -- characterization (§2.14-§2.15, §6) --------------------------------------------------

    def init_job(self, job_type: str, *, tag: str | None = None, **fields: Any) -> str:
        """``POST job/init/`` with ``{"job_type": ..., "tag": ..., **fields}``; the job id."""
        body: dict[str, Any] = {"job_type": job_type}
        if tag is not None:
            body["tag"] = tag
        body.update(fields)
        return self._init(body)

    def submit_qubo(self, job_id: str, body: Mapping[str, Any]) -> dict:
        """``POST job/{id}/submit_qubo/``: runs the analysis (timeout 300 s, never retried)."""
        out = self._http.post(
            f"job/{job_id}/submit_qubo/", dict(body), timeout=TIMEOUT_QUBO, job_id=job_id
        )
        return out if isinstance(out, dict) else {}

    def validation_result(self, job_id: str) -> dict:
        """``GET job/{id}/validation_result/``; ``job_id`` filled in when absent."""
        body = self._http.get(
            f"job/{job_id}/validation_result/", timeout=TIMEOUT_VALIDATION, job_id=job_id
        )
        out = dict(self._dict(body, "validation_result/"))
        out.setdefault("job_id", job_id)
        return out

    def validation_html(self, job_id: str) -> str:
        """``GET job/{id}/validation_result/html/``: a self-contained HTML fragment."""
        return self._http.get_text(
            f"job/{job_id}/validation_result/html/", timeout=TIMEOUT_VALIDATION, job_id=job_id
        )

    # -- internals ---------------------------------------------------------------------------

    def _init(self, body: Mapping[str, Any]) -> str:
        try:
            answer = self._http.post_idempotent("job/init/", body, timeout=TIMEOUT_INIT)
        except AmbiguousSubmissionError as exc:
            raise AmbiguousSubmissionError(
                f"{_bare(exc)}. State: job/init/ may have created a job whose id never "
                "reached this client; such a job is empty and PENDING, so it never runs and "
                "costs nothing",
                method=exc.method,
                path=exc.path,
            ) from None
        job_id = answer.get("job_id") if isinstance(answer, dict) else None
        if not isinstance(job_id, str) or not job_id:
            raise WireDecodeError(f"job/init/ answered without a string job_id: {answer!r}")
        encodings = answer.get("request_encodings")
        if isinstance(encodings, list) and "gzip" in encodings:
            self._http.gzip_requests = True  # the service accepts gzip bodies (a local extension)
        self.stats.add(jobs=1)
        log.info("Qoro job %s created", job_id)
        return job_id

    def _discard(self, job_id: str) -> bool:
        """Cancel and delete a half-uploaded job; failures are logged, never raised.

        Returns:
            bool: whether the job was deleted.
        """
        cancelled = self._best_effort(self.cancel, job_id)
        deleted = self._best_effort(self.delete, job_id)
        if deleted:
            log.warning("upload of job %s failed; the job was deleted", job_id)
        else:
            log.warning(
                "upload of job %s failed and the job could not be deleted (cancelled: %s); "
                "delete it with QoroClient.delete(%r)",
                job_id,
                cancelled,
                job_id,
            )
        return deleted

    @staticmethod
    def _best_effort(call: Callable[[str], Any], job_id: str) -> bool:
        try:
            call(job_id)
        except Exception as exc:  # best effort by design (§5.4)
            log.debug("best-effort %s(%s) failed: %s", call.__name__, job_id, exc)
            return False
        return True

    def _poll(self, job_id: str, timeout: float | None) -> dict:
        start = time.monotonic()
        deadline = None if timeout is None else start + timeout
        pause = min(self.first_poll, self.poll_interval)
        warned: set[str] = set()
        bar = _Progress(job_id, enabled=self.progress)
        outage = _Outage(job_id, self.outage_grace)
        retrying = False
        try:
            while True:
                long_wait = None if retrying else self._long_wait(deadline)
                if long_wait is None:
                    _sleep_until(pause, deadline)
                try:
                    body = self.status(job_id, wait=long_wait)
                except (QoroConnectionError, ServerError) as exc:
                    if isinstance(exc, ServerError) and exc.status not in _GATEWAY_STATUSES:
                        raise
                    if deadline is not None and time.monotonic() >= deadline:
                        raise
                    outage.failed(exc)  # raises once the service stayed away too long
                    pause = min(pause * 1.5, self.poll_interval)
                    retrying = True
                    continue
                retrying = False
                outage.answered()
                self.stats.add(polls=1)
                state = body["status"].upper()
                if state == "COMPLETED":
                    return body
                if state in _FAILURES:
                    raise _FAILURES[state](job_id, state, _status_message(body))
                if state not in ACTIVE_STATUSES and state not in warned:
                    warned.add(state)
                    log.warning(
                        "job %s reports unknown status %r; treating it as still active",
                        job_id,
                        body["status"],
                    )
                now = time.monotonic()
                bar.update(state, now - start)
                if deadline is not None and now >= deadline:
                    raise DeadlineExceededError(
                        job_id,
                        state,
                        f"client deadline of {timeout:g} s passed; the job is still {state} "
                        "on the service",
                    )
                pause = min(pause * 1.5, self.poll_interval)
        finally:
            bar.close()

    def _learn_max_wait(self, body: Any) -> None:
        value = body.get("max_wait") if isinstance(body, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            self.max_wait = float(value)

    def _long_wait(self, deadline: float | None) -> float | None:
        """Seconds to long-poll for now, or None to sleep-and-poll (no long polling known)."""
        if self.max_wait is None:
            return None
        wait = min(self.max_wait, self.poll_interval)
        if self._http.timeout_cap is not None:
            wait = min(wait, self._http.timeout_cap / 2)  # the request must outlive its wait
        if deadline is not None:
            wait = min(wait, deadline - time.monotonic())
        return wait if wait >= 0.001 else None

    def _list(self, endpoint: str) -> list[dict]:
        body = self._http.get(endpoint, timeout=TIMEOUT_SHORT)
        if not isinstance(body, list):
            raise WireDecodeError(f"{endpoint} did not answer a JSON array: {body!r:.200}")
        return body

    @staticmethod
    def _dict(body: Any, endpoint: str) -> dict:
        if not isinstance(body, dict):
            raise WireDecodeError(f"{endpoint} did not answer a JSON object: {body!r:.200}")
        return body


class _Outage:
    """Tracks status polls the service did not answer while a job is awaited."""

    def __init__(self, job_id: str, grace: float):
        self._job_id = job_id
        self._grace = grace
        self._since: float | None = None

    def answered(self) -> None:
        self._since = None

    def failed(self, exc: QoroConnectionError | ServerError) -> None:
        """Note a failed poll; re-raise it once polls have failed for ``grace`` seconds."""
        now = time.monotonic()
        if self._since is None:
            self._since = now
            log.warning("job %s: status poll failed (%s); polling on", self._job_id, exc)
        if now - self._since >= self._grace:
            raise exc


def _bare(exc: QoroConnectionError) -> str:
    """The message of a transport error without its ``METHOD path:`` prefix."""
    return str(exc).removeprefix(f"{exc.method} {exc.path}: ")


def _ambiguous_upload(
    exc: AmbiguousSubmissionError, job_id: str, k: int, n: int, deleted: bool
) -> AmbiguousSubmissionError:
    """The upload error with the states job ``job_id`` may be in (chunk ``k`` of ``n``)."""
    stored = f"chunks 1-{k} only" if k else "no circuits"
    if deleted:
        state = "the job was then cancelled and deleted, so nothing of it remains"
    elif k + 1 == n:
        state = (
            f"it may hold {stored} (PENDING, not finalized) or all {n} chunk(s) (finalized: "
            "queued, running or finished, and charged); it could not be deleted, so inspect "
            f"it with status({job_id!r}) and delete({job_id!r})"
        )
    else:
        state = (
            f"it may hold {stored} or chunks 1-{k + 1} (PENDING, not finalized, so it will "
            f"not run); it could not be deleted, so delete it with delete({job_id!r})"
        )
    return AmbiguousSubmissionError(
        f"{_bare(exc)}. State of job {job_id} after chunk {k + 1}/{n} went unanswered: {state}",
        method=exc.method,
        path=exc.path,
        job_id=job_id,
    )


def _sleep_until(pause: float, deadline: float | None) -> None:
    if deadline is not None:
        pause = min(pause, max(0.0, deadline - time.monotonic()))
    if pause > 0:
        time.sleep(pause)


def _status_message(body: Mapping[str, Any]) -> str:
    for key in ("error", "detail", "message"):
        value = body.get(key)
        if value:
            return str(value)
    return ""


def _lenient_float(value: Any) -> float:
    """``run_time`` as the service may send it: number, numeric string, null or absent (§2.9)."""
    if value is None or isinstance(value, bool):
        return 0.0
    try:
        out = float(value)
    except (TypeError, ValueError):
        log.debug("ignoring non-numeric run_time %r", value)
        return 0.0
    return out if math.isfinite(out) else 0.0


def _page_rows(page: Any, job_id: str, offset: int) -> list[Any]:
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        raise WireDecodeError(f"job {job_id}: results page at offset {offset} has no rows list")
    return page["results"]


def _decode_row(row: Any, job_id: str) -> dict:
    if not isinstance(row, dict) or "label" not in row or "results" not in row:
        raise WireDecodeError(f"job {job_id}: result row without label/results: {row!r:.200}")
    out = dict(row)
    try:
        out["results"] = wire.decode_histogram(row["results"])
    except WireDecodeError as exc:
        raise WireDecodeError(f"job {job_id}, circuit {row['label']!r}: {exc}") from None
    return out


class _Progress:
    """A tqdm display that appears after PROGRESS_AFTER seconds, if tqdm is importable."""

    def __init__(self, job_id: str, *, enabled: bool):
        self._job_id = job_id
        self._enabled = enabled
        self._bar: Any = None

    def update(self, state: str, elapsed: float) -> None:
        if not self._enabled or elapsed < PROGRESS_AFTER:
            return
        if self._bar is None:
            try:
                from tqdm.auto import tqdm  # optional dependency, imported only when needed
            except ImportError:
                self._enabled = False
                return
            self._bar = tqdm(
                desc=f"Qoro job {self._job_id.split('-')[0]}",
                bar_format="{desc}: {postfix} [{elapsed}]",
                leave=False,
            )
        self._bar.set_postfix_str(state, refresh=False)
        self._bar.update(0)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


# -- planning (pure) ---------------------------------------------------------------------------


def _plan(spec: JobSpec) -> _Plan:
    """Validate a spec and build the init body and every add_circuits body (§3.2)."""
    if spec.job_type not in JOB_TYPES:
        raise PayloadError(f"job_type must be one of {JOB_TYPES}, got {spec.job_type!r}")
    if bool(spec.circuits) == bool(spec.templates):
        raise PayloadError("a job carries either bound circuits or templates (exactly one)")
    envelope = _envelope(spec)
    if spec.circuits:
        compressed = [
            (_label(label), wire.compress_text(_qasm(label, q))) for label, q in spec.circuits
        ]
        _check_ham_map(spec, len(compressed))
        groups = [list(g) for g in spec.shot_groups] if spec.shot_groups is not None else None
        bodies = wire.plan_bound_requests(compressed, envelope, shot_groups=groups)
    else:
        if spec.shot_groups is not None or spec.circuit_ham_map is not None:
            raise PayloadError("shot_groups and circuit_ham_map are bound-path only (§2.8)")
        if spec.observables is not None and len(spec.observables) != 1:
            raise PayloadError("a template job takes exactly one observable group (§2.8)")
        templates = [
            (
                wire.compress_text(_qasm("template", t.qasm)),
                [str(name) for name in t.parameter_names],
                [(row[0], row[1]) for row in t.rows],
            )
            for t in spec.templates
        ]
        bodies = wire.plan_template_requests(templates, envelope)
    return _Plan(init=_init_body(spec), bodies=bodies)


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
    envelope: dict[str, Any] = {"observables": wire.encode_observables(spec.observables)}
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
    wire.json_body(body)  # fail before init on a non-JSON maestro_config
    return body
