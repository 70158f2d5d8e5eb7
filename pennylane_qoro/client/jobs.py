"""The Qoro job API: :class:`QoroClient`, one method per endpoint of ``qoro-api.md`` §2.

:class:`QoroClient` is the facade: ``submit`` (validate and plan with ``client/spec.py``,
``job/init/``, then the chunked uploads of ``client/upload.py``), ``wait`` (the polling of
``client/polling.py``: adaptive, a deadline, cancel on Ctrl+C), ``results`` (``resultsV2``
paging of ``client/paging.py``), ``run`` (all three; with a journal, ``client/journal_run.py``
first looks for the job in the journal), and the remaining endpoints (targets,
credits, cancel/delete, execution config, characterization).

It reaches the network only through ``client/http.py`` and the wire formats only through
``protocol``. It imports the standard library and this package; never PennyLane.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..protocol.vocabulary import (
    ACTIVE_STATUSES,
    FINALIZE_WAIT_FIELD,
    GZIP_ENCODING,
    SUBMIT_FIELD,
    TERMINAL_STATUSES,
)
from .config import resolve_api_key, resolve_url
from .errors import DeadlineExceededError, WireDecodeError
from .http import Transport
from .job_answers import finalized_status, inline_rows, lenient_float, positive_number
from .job_creation import init_one, one_request_body, submit_one
from .journal_run import journaled_run
from .paging import fetch_rows
from .polling import OUTAGE_GRACE, PollSchedule, best_effort, wait_for_job
from .spec import JobResult, JobSpec, Template, UploadPlan, plan_job
from .stats import ClientStats
from .upload import discard_job, upload_bodies

if TYPE_CHECKING:
    from .in_process import InProcessApp
    from .journal import Journal

__all__ = [
    "ACTIVE_STATUSES",
    "TERMINAL_STATUSES",
    "JobResult",
    "JobSpec",
    "QoroClient",
    "Template",
]

log = logging.getLogger(__name__)

# Per-call timeouts in seconds (qoro-api.md §1.5); add_circuits' is ``upload.TIMEOUT_UPLOAD``,
# job/init/'s ``job_creation.TIMEOUT_INIT``.
TIMEOUT_SHORT = 10.0  # ping, targets, credits
TIMEOUT_STATUS = 200.0
TIMEOUT_CANCEL = 50.0
TIMEOUT_DELETE = 50.0
TIMEOUT_EXEC_CONFIG = 50.0
TIMEOUT_QUBO = 300.0  # the analysis runs inside the request
TIMEOUT_VALIDATION = 100.0


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
        in_process (InProcessApp | None): the service at ``url`` runs in this process (the
            embedded local service): requests reach its application without a socket
            (``client/in_process.py``).

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
        in_process: InProcessApp | None = None,
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
            in_process=in_process,
        )
        self.outage_grace = OUTAGE_GRACE
        # Longest long-poll the service honours (``status/?wait=``), once it has said so in a
        # response (the embedded service does; the Qoro cloud does not): polls then wait on
        # the service instead of sleeping here, and see the job's end at once.
        self.max_wait: float | None = None
        # Longest ``add_circuits/?wait=`` (the answering finalize, a local extension), once
        # ``job/init/`` has advertised it: the last upload then answers with the job's end.
        self.max_finalize_wait: float | None = None
        # ``job/submit/`` (a local extension), once ``job/init/`` has advertised it: a job of
        # one chunk then costs one request (client/job_creation.py).
        self.single_request_jobs = False
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
        return self._submit(spec, answered=False)[0]

    def _submit(
        self,
        spec: JobSpec,
        *,
        answered: bool = True,
        timeout: float | None = None,
        plan: UploadPlan | None = None,
        on_created: Callable[[str], None] | None = None,
    ) -> tuple[str, Any]:
        """:meth:`submit`, also returning the answer to the finalizing upload; ``answered``
        asks a service advertising the answering finalize to hold that answer until the job
        ends (up to ``timeout`` and its ``max_finalize_wait``). ``plan`` is ``plan_job(spec)``
        when the caller built it already; ``on_created`` hears the job id before any upload
        (the journal records it there)."""
        plan = plan_job(spec) if plan is None else plan
        body = one_request_body(plan, len(spec.labels),
                                advertised=self.single_request_jobs and answered,
                                journaled=on_created is not None)
        if body is not None:
            job_id, answer = submit_one(self._http, body)
            self.stats.add(jobs=1)
            self._learn_max_wait(answer)
            return job_id, answer
        job_id = self._init(plan.init)
        if on_created is not None:
            on_created(job_id)
        answer = upload_bodies(
            self._http,
            job_id,
            plan.bodies,
            on_answer=self._learn_max_wait,
            discard=self._discard,
            finalize_wait=self._finalize_wait(timeout) if answered else None,
            cancel=self.cancel,
        )
        return job_id, answer

    def status(self, job_id: str, *, wait: float | None = None,
               deadline: float | None = None) -> dict:
        """``GET job/{id}/status/``: the body with ``status`` (str) and ``run_time`` (float).

        Args:
            job_id (str): the job.
            wait (float | None): long polling, for services that advertise ``max_wait``: the
                service may hold the answer up to this many seconds while the job is active.
            deadline (float | None): ``time.monotonic()`` by which the request must end (the
                job's wait deadline bounds every poll, however slowly the answer arrives).
        """
        params = {"wait": f"{wait:.3f}"} if wait else None
        body = self._http.get(f"job/{job_id}/status/", timeout=TIMEOUT_STATUS, params=params,
                              job_id=job_id, deadline=deadline)
        if not isinstance(body, dict):
            raise WireDecodeError(f"status of job {job_id} is not a JSON object: {body!r}")
        self._learn_max_wait(body)
        out = dict(body)
        out["status"] = str(body.get("status", ""))
        out["run_time"] = lenient_float(body.get("run_time"))
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
        schedule = PollSchedule(
            first_poll=self.first_poll,
            poll_interval=self.poll_interval,
            outage_grace=self.outage_grace,
            progress=self.progress,
        )
        return wait_for_job(
            job_id,
            status=self.status,
            cancel=self.cancel,
            long_wait=self._long_wait,
            on_poll=lambda: self.stats.add(polls=1),
            schedule=schedule,
            timeout=timeout,
        )

    def results(self, job_id: str, *, labels: Sequence[str] | None = None) -> list[dict]:
        """All result rows (``resultsV2``, pages of 100), decoded, in submission order.

        Each row keeps its keys; ``results`` is replaced by its decoded form (§4.3). Paging
        stops once ``count`` rows (the first page's ``count``, or ``len(labels)``) arrived, so
        a server whose ``next`` never ends cannot keep the client paging.

        Args:
            job_id (str): the job.
            labels (Sequence[str] | None): the labels sent, when known: ``count`` must match
                their number and every row must carry a distinct one of them.

        Raises:
            ValidationError: results are not available (the job is still running).
            WireDecodeError: a malformed page or payload, or inconsistent pages (``count``
                changing, more rows than ``count``, ``next`` missing before ``count`` rows,
                a row label not sent or repeated).
        """
        return fetch_rows(self._http.get, job_id, labels)

    def run(self, spec: JobSpec, *, timeout: float | None = None, journal: Journal | None = None,
            deterministic: bool = False, cache: bool = False,
            seed_in_key: bool = True) -> JobResult:
        """Submit, wait and fetch: one job from spec to decoded results.

        If the client deadline passes, the job is cancelled (best effort) before
        :class:`DeadlineExceededError` is raised, so it does not keep spending credits.

        With a ``journal`` (:class:`~pennylane_qoro.client.journal.Journal`), the job is
        recorded under its content key before ``job/init/``; a job of the same key that an
        earlier run submitted and never saw finish is reattached to (waited on and fetched)
        instead of submitted again while the service has it PENDING, RUNNING or COMPLETED
        (``docs/journal.rst``).

        Args:
            spec (JobSpec): the job.
            timeout (float | None): the client-side wait deadline in seconds.
            journal (Journal | None): record the job, and reattach to an unfinished twin.
            deterministic (bool): the caller vouches that the results are a function of the
                request (analytic, or a seeded simulator), so a twin's results may be shared.
            cache (bool): with ``deterministic``, a fetched twin's results stored in the
                journal are returned with no request, and these results are stored.
            seed_in_key (bool): ``False`` leaves ``maestro_config["seed"]`` out of the content
                key, for jobs whose results the seed cannot change.

        Returns:
            JobResult: results keyed by label, in submission order (with a journal, a
            :class:`~pennylane_qoro.client.journal_run.JournaledResult` saying where they
            came from).
        """
        if journal is not None:
            return journaled_run(self, spec, journal, timeout=timeout, cache=cache,
                                 deterministic=deterministic, seed_in_key=seed_in_key)
        before = self.stats.requests
        job_id, answer = self._submit(spec, timeout=timeout)
        return self._finish(job_id, spec, answer, timeout=timeout, before=before)

    def _finish(self, job_id: str, spec: JobSpec, answer: Any, *, timeout: float | None,
                before: int) -> JobResult:
        """Wait for a submitted (or reattached) job and fetch its results by label."""
        try:
            final = finalized_status(job_id, answer) or self.wait(job_id, timeout=timeout)
        except DeadlineExceededError as exc:
            cancelled = best_effort(self.cancel, job_id)
            told = (
                f"timeout={timeout:g} s passed, so the job was cancelled"
                if cancelled
                else f"timeout={timeout:g} s passed and cancelling the job failed: it may "
                f"still run; cancel it with client.cancel({job_id!r})"
            )
            raise DeadlineExceededError(job_id, exc.status, told, cancelled=cancelled) from None
        rows = inline_rows(job_id, answer, final)
        if rows is None:
            rows = self.results(job_id, labels=spec.labels)
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
        job_id, answer = init_one(self._http, body)
        finalize_wait = answer.get(FINALIZE_WAIT_FIELD)
        if positive_number(finalize_wait):
            self.max_finalize_wait = float(finalize_wait)
        self.single_request_jobs = answer.get(SUBMIT_FIELD) is True
        encodings = answer.get("request_encodings")
        if isinstance(encodings, list) and GZIP_ENCODING in encodings:
            self._http.gzip_requests = True  # the service accepts gzip bodies (a local extension)
        self.stats.add(jobs=1)
        log.info("Qoro job %s created", job_id)
        return job_id

    def _discard(self, job_id: str) -> bool:
        """Cancel and delete a half-uploaded job (best effort); whether it was deleted."""
        return discard_job(job_id, cancel=self.cancel, delete=self.delete)

    def _finalize_wait(self, timeout: float | None) -> float | None:
        """Seconds the finalizing upload may wait for the job's end (None: the service does
        not advertise the answering finalize, or the timeouts leave no room)."""
        if self.max_finalize_wait is None:
            return None
        wait = min(self.max_finalize_wait, self.poll_interval)
        if self._http.timeout_cap is not None:
            wait = min(wait, self._http.timeout_cap / 2)  # the request must outlive its wait
        if timeout is not None:
            wait = min(wait, timeout)
        return wait if wait >= 0.001 else None

    def _learn_max_wait(self, body: Any) -> None:
        value = body.get("max_wait") if isinstance(body, dict) else None
        if positive_number(value):
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
