"""``characterize``: one call from a QUBO/HUBO/Ising problem to a characterization result.

Owns the request flow of qoro-api.md §6 on top of :class:`~pennylane_qoro.client.QoroClient`:
``job/init/`` (``VALIDATE``) -> ``submit_qubo/`` (never retried) -> ``validation_result/``,
and the fetch mode (poll ``status/`` to a terminal state, then GET the result: free, nothing is
resubmitted). Every input check happens before ``job/init/``. After the job exists, a
connection failure, timeout or 5xx is raised as :class:`~.errors.CharacterizationSubmitError`
with the job id and the phase (§1.7); 4xx errors stay the client's own typed errors.

Where it runs: ``client=`` if given; else ``url``/``api_key`` (``url="local"`` for the
embedded service); else, with no URL and no key anywhere, the embedded local service
(``pennylane_qoro.local.start()``), like the device, with a one-time warning.

Imports the client package, this package and ``pennylane_qoro.endpoint`` (which imports
``pennylane_qoro.local`` lazily, only when the embedded service is the answer).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from ..client import JobFailedError, QoroClient, QoroConnectionError, ServerError
from ..client.errors import InsufficientCreditsError, JobCancelledError, JobTimedOutError
from ..endpoint import resolve_endpoint
from .convert import canonicalize
from .encoding import MAX_REQUEST_BYTES, encode_problem
from .errors import CharacterizationFailedError, CharacterizationSubmitError, ProblemTooLargeError
from .options import build_options
from .references import greedy_reference
from .references import reference_states as _check_references
from .result import CharacterizationResult

log = logging.getLogger(__name__)

JOB_TYPE = "VALIDATE"  # the wire value of divi's CHARACTERIZE (qoro-api.md §2.7)
DEFAULT_TAG = "pennylane-qoro-characterize"
_AMBIGUOUS = (QoroConnectionError, ServerError)  # §1.7: timeouts, connection errors, 5xx


def _resolve_client(client: QoroClient | None, url: str | None,
                    api_key: str | None) -> QoroClient:
    """``client`` if given, else one for the endpoint ``url``/``api_key`` resolve to (the
    device's lookup and no-key fallback, ``endpoint.resolve_endpoint``)."""
    if client is not None:
        return client
    endpoint = resolve_endpoint(url, api_key)
    return endpoint.client(progress=not endpoint.local)


def characterize(
    problem: Any = None,
    reference_states: Any = None,
    *,
    preset: str | None = "standard",
    options: Mapping[str, Any] | None = None,
    client: QoroClient | None = None,
    url: str | None = None,
    api_key: str | None = None,
    job_id: str | None = None,
    n_variables: int | None = None,
    wire_order: Sequence[Hashable] | None = None,
    tag: str | None = DEFAULT_TAG,
    timeout: float | None = None,
) -> CharacterizationResult:
    """Characterize a QUBO/HUBO (hardness, QAOA p=1 landscape, recommendations).

    Where it runs: on ``client`` if given, else on ``url``/``api_key``. Each is looked up like
    the device's: the argument, then ``QORO_API_URL`` / ``QORO_API_KEY`` in the nearest
    ``.env`` file, then in the environment. With a key and no URL: the Qoro cloud. With
    neither anywhere (or ``url="local"``): the embedded local service of this process
    (``pennylane_qoro.local.start()``, free and offline, method ``local-v1``), with a
    one-time warning.

    The result's main accessors: ``result.difficulty`` and ``result.hardness_score`` (preset
    ``"deep"``), ``result.best_energy``, ``result.best_parameters`` and
    ``result.qaoa_initial_params(layers=...)`` (starting angles for QAOA),
    ``result.approximation_ratio``, ``result.recommendations`` (list of ``level``/``metric``/
    ``text`` items), ``result.summary()`` / ``print(result)``, ``result.html()`` (the
    service's report) and ``result.to_dict()``; ``result.job_id`` fetches it again for free
    with ``characterize(job_id=...)``.

    Args:
        problem: a square QUBO matrix, a ``{(i, j): w}`` QUBO or HUBO dict, a wire dict, or a
            PennyLane Hamiltonian of Z/I words (e.g. ``qml.qaoa.maxcut(graph)[0]``). Ignored
            in fetch mode.
        reference_states: candidate solutions (bitstrings, character i = variable i, or 0/1
            sequences). None: the helper sends the best of a few seeded greedy descents.
        preset (str | None): ``"fast"``, ``"standard"`` (default) or ``"deep"`` (the only one
            that returns ``hardness``, like the cloud). None lets the server decide.
        options (Mapping | None): ``analysis``, ``ansatz``, ``subspace``, ``constraints``,
            ``cost_qubo``/``penalty_qubo`` (characterization.md §1.7).
        client (QoroClient | None): the client to use (else built from ``url``/``api_key``).
        url (str | None): service URL; ``"local"`` for the embedded service.
        api_key (str | None): API key (else ``.env`` / ``QORO_API_KEY``).
        job_id (str | None): fetch this existing job's result instead of submitting (free).
        n_variables (int | None): pin the number of variables.
        wire_order (Sequence | None): variable labels in wire-index order.
        tag (str | None): job tag.
        timeout (float | None): client deadline for status polling in fetch mode (seconds).

    Returns:
        CharacterizationResult

    Raises:
        ProblemError: bad problem, reference states or options (a ValueError; nothing sent).
        CharacterizationSubmitError: the job exists but submission, status polling or result
            retrieval failed ambiguously; fetch it later with ``characterize(job_id=...)``.
        CharacterizationFailedError: the job FAILED, is unfinished, or has no analysis.
        QoroHTTPError: the service refused a request (4xx), with the job id when known.

    >>> import pennylane as qml, networkx as nx                       # doctest: +SKIP
    >>> H = qml.qaoa.maxcut(nx.cycle_graph(5))[0]                      # doctest: +SKIP
    >>> print(characterize(H, preset="deep"))                          # doctest: +SKIP
    """
    if job_id is not None:
        svc = _resolve_client(client, url, api_key)
        return _wrap(_fetch(svc, job_id, poll=True, timeout=timeout), svc)
    if problem is None:
        raise ValueError("characterize() needs a problem to submit, or job_id= to fetch")
    prob = canonicalize(problem, n_variables=n_variables, wire_order=wire_order)
    if reference_states is None:
        refs, source = [greedy_reference(prob)], "greedy (client, seed 0)"
    else:
        refs, source = _check_references(reference_states, prob.n), "user"
    wire = encode_problem(prob)
    wire_options = build_options(preset, options, prob, wire)
    body: dict[str, Any] = {"qubo": wire.qubo, "reference_states": refs}
    if wire_options:
        body["options"] = wire_options
    size = len(json.dumps(body, separators=(",", ":"), allow_nan=False))
    if size > MAX_REQUEST_BYTES:
        raise ProblemTooLargeError(
            f"the submission is {size} bytes ({wire.encoding}); submit_qubo bodies above "
            f"{MAX_REQUEST_BYTES} bytes are refused by proxies (nothing splits them)"
        )
    svc = _resolve_client(client, url, api_key)
    new_id = svc.init_job(JOB_TYPE, tag=tag)
    log.info("characterization job %s created; if this call does not return, fetch it with "
             "characterize(job_id=%r) rather than resubmitting", new_id, new_id)
    try:
        svc.submit_qubo(new_id, body)
    except _AMBIGUOUS as exc:
        raise CharacterizationSubmitError(new_id, "submission", exc) from exc
    data = _fetch(svc, new_id, poll=False, timeout=timeout)
    return _wrap(data, svc, problem=prob, encoding=wire.encoding, lossy=wire.lossy,
                 refs=tuple(refs), source=source)


def _fetch(svc: QoroClient, job_id: str, *, poll: bool, timeout: float | None) -> dict:
    """Poll to a terminal state (fetch mode, or an unfinished result), then GET the result."""
    if poll:
        _wait(svc, job_id, timeout)
    try:
        data = svc.validation_result(job_id)
    except _AMBIGUOUS as exc:
        raise CharacterizationSubmitError(job_id, "result retrieval", exc) from exc
    if not poll and data.get("status") in ("PENDING", "SCHEDULED", "RUNNING", "PAUSED"):
        # the analysis is synchronous today (§6); a future asynchronous server lands here
        _wait(svc, job_id, timeout)
        try:
            data = svc.validation_result(job_id)
        except _AMBIGUOUS as exc:
            raise CharacterizationSubmitError(job_id, "result retrieval", exc) from exc
    return data


def _wait(svc: QoroClient, job_id: str, timeout: float | None) -> None:
    try:
        svc.wait(job_id, timeout=timeout)
    except JobFailedError as exc:
        raise CharacterizationFailedError(job_id, exc.status, exc.server_message) from exc
    except _AMBIGUOUS as exc:
        raise CharacterizationSubmitError(job_id, "status polling", exc) from exc


_TERMINAL_ERRORS = {
    "CANCELLED": JobCancelledError,
    "INSUFFICIENT_CREDITS": InsufficientCreditsError,
    "TIMED_OUT": JobTimedOutError,
}


def _wrap(data: dict, svc: QoroClient, **context: Any) -> CharacterizationResult:
    """divi 0.13+'s wrapping rules (characterization.md §1.8)."""
    job_id, status = data["job_id"], data["status"]
    message = str(data.get("error") or "")
    if status in _TERMINAL_ERRORS:
        raise _TERMINAL_ERRORS[status](job_id, status, message)
    if status == "FAILED":
        raise CharacterizationFailedError(job_id, status, message or "the analysis failed")
    if status != "COMPLETED":
        raise CharacterizationFailedError(job_id, status, "the job has not finished; fetch it "
                                          "again with characterize(job_id=...)")
    if not data.get("report") and not data.get("hardness"):
        raise CharacterizationFailedError(job_id, status, "completed without any analysis")
    recs = data.get("recommendations")
    return CharacterizationResult(
        job_id=job_id, status=status, hardness=data.get("hardness"), report=data.get("report"),
        recommendations=list(recs) if recs else [], created_at=data.get("created_at"),
        completed_at=data.get("completed_at"), problem=context.get("problem"),
        encoding=context.get("encoding"), lossy_encoding=bool(context.get("lossy")),
        reference_states=context.get("refs", tuple(
            (data.get("report") or {}).get("reference_states") or ())),
        reference_source=context.get("source"), raw=data, _client=svc,
    )
