"""Uploading a job's circuits: request chunking against the per-request cap, and the uploads.

This module owns ``qoro-api.md`` §3.2 and §3.3 on the client side:

* :func:`plan_bound_requests` and :func:`plan_template_requests` split bound circuits or
  template rows into ``add_circuits`` bodies of at most :data:`MAX_PAYLOAD_BYTES` each, sized
  exactly (the serialized body the planner measures is the body sent);
* :func:`upload_bodies` sends them, each under its own ``Idempotency-Key``, and on failure
  discards the half-uploaded job and says which states it may be in.

Planning is pure (no I/O); only :func:`upload_bodies` talks to a service, through a
``Transport`` of ``client/http.py``. It imports the standard library, numpy and ``protocol``;
never requests or PennyLane.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..protocol.errors import PayloadError
from ..protocol.shot_groups import check_shot_groups, rebase_shot_groups
from ..protocol.text import json_body
from ..protocol.vocabulary import MAX_PAYLOAD_BYTES, WAIT_PARAM
from .errors import AmbiguousSubmissionError, QoroConnectionError
from .polling import best_effort

if TYPE_CHECKING:
    from .http import Transport

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "TIMEOUT_UPLOAD",
    "plan_bound_requests",
    "plan_template_requests",
    "upload_bodies",
]

log = logging.getLogger(__name__)

TIMEOUT_UPLOAD = 100.0  # seconds per add_circuits request (qoro-api.md §1.5)


# -- request chunking (pure) ---------------------------------------------------------------------


def _jlen(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=True, allow_nan=False))




def plan_bound_requests(
    circuits: Sequence[tuple[str, str]],
    envelope: Mapping[str, Any],
    *,
    shot_groups: Sequence[Sequence[int]] | None = None,
    max_bytes: int = MAX_PAYLOAD_BYTES,
) -> list[bytes]:
    """Split bound circuits into ``add_circuits`` bodies of at most ``max_bytes`` each.

    Greedy (§3.2): walk the circuits in order and close a chunk when the next circuit would
    push the exact serialized body over the cap. Sizes are exact: the envelope (``shots`` /
    ``observables`` / ``circuit_ham_map``, ``mode``, ``finalized``) and the chunk-local
    ``shot_groups`` are counted, and the last body's shorter ``"true"`` is accounted for.

    Args:
        circuits (Sequence[tuple[str, str]]): ``(label, compressed qasm)`` in job order.
        envelope (Mapping): the keys every chunk repeats unchanged (``shots`` or
            ``observables`` and ``circuit_ham_map``, which stays job-global).
        shot_groups (Sequence[Sequence[int]] | None): global ``[start, end, shots]`` triples;
            each chunk carries them intersected with its span and rebased to 0 (§3.3).
        max_bytes (int): the per-request cap.

    Returns:
        list[bytes]: the serialized bodies in order; only the last has ``"finalized": "true"``.

    Raises:
        PayloadError: no circuits, a duplicate label, bad ``shot_groups``, or one circuit
            whose body alone exceeds the cap.
    """
    n = len(circuits)
    if n == 0:
        raise PayloadError("a job needs at least one circuit")
    labels = [label for label, _ in circuits]
    for label, compressed in circuits:
        if not isinstance(label, str) or not isinstance(compressed, str):
            raise PayloadError(f"circuit {label!r}: label and compressed qasm must be strings")
    if len(set(labels)) != n:
        dup = next(lab for lab, c in _count(labels).items() if c > 1)
        raise PayloadError(f"duplicate circuit label {dup!r}: labels route results (§4.7)")
    groups = check_shot_groups(shot_groups, n) if shot_groups is not None else None
    fixed = {k: v for k, v in envelope.items() if k not in ("circuits", "shot_groups")}
    head: dict[str, Any] = {"circuits": {}, "mode": "append", "finalized": "false", **fixed}
    if groups is not None:
        head["shot_groups"] = []
    base = _jlen(head)
    starts_range = {s: shots for s, _, shots in groups} if groups else {}
    shots_of = _expand_shots(groups, n) if groups else None

    bounds: list[tuple[int, int]] = []
    lo = 0
    size = base
    for i, (label, compressed) in enumerate(circuits):
        limit = max_bytes + (1 if i == n - 1 else 0)  # the last body says "true", 1 byte less
        j = i - lo
        add = _jlen(label) + 2 + _jlen(compressed) + (2 if j else 0)
        add += _shot_delta(j, i, starts_range, shots_of)
        if j and size + add > limit:
            bounds.append((lo, i))
            lo, j, size = i, 0, base
            add = _jlen(label) + 2 + _jlen(compressed)
            add += _shot_delta(0, i, starts_range, shots_of)
        if size + add > limit:
            real = size + add - (limit - max_bytes)  # the "true" body is one byte shorter
            raise PayloadError(
                f"circuit {label!r} needs a {real}-byte request on its own, over the "
                f"{max_bytes}-byte cap (§3.2); split or simplify it"
            )
        size += add
    bounds.append((lo, n))
    return [
        _bound_body(circuits, lo, hi, fixed, groups, final=k == len(bounds) - 1, cap=max_bytes)
        for k, (lo, hi) in enumerate(bounds)
    ]


def _count(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def _expand_shots(groups: Sequence[tuple[int, int, int]], n: int) -> list[int]:
    shots = [0] * n
    for s, e, value in groups:
        shots[s:e] = [value] * (e - s)
    return shots


def _shot_delta(j: int, i: int, starts: Mapping[int, int], shots_of: list[int] | None) -> int:
    """Bytes the chunk-local ``shot_groups`` grows by when circuit ``i`` joins at position ``j``."""
    if shots_of is None:
        return 0
    if j == 0 or i in starts:  # a new triple [j, j+1, shots]
        return _jlen([j, j + 1, shots_of[i]]) + (2 if j else 0)
    return len(str(j + 1)) - len(str(j))  # the last triple's end goes from j to j+1


def _bound_body(
    circuits: Sequence[tuple[str, str]],
    lo: int,
    hi: int,
    fixed: Mapping[str, Any],
    groups: Sequence[tuple[int, int, int]] | None,
    *,
    final: bool,
    cap: int,
) -> bytes:
    body: dict[str, Any] = {
        "circuits": dict(circuits[lo:hi]),
        "mode": "append",
        "finalized": "true" if final else "false",  # a string, not a bool (§2.8)
        **fixed,
    }
    if groups is not None:
        body["shot_groups"] = rebase_shot_groups(groups, lo, hi)
    data = json_body(body)
    if len(data) > cap:  # the planner's arithmetic is exact; this guards against regressions
        raise PayloadError(f"internal sizing error: planned body is {len(data)} > {cap} bytes")
    return data


def plan_template_requests(
    templates: Sequence[tuple[str, Sequence[str], Sequence[tuple[str, Sequence[float]]]]],
    envelope: Mapping[str, Any],
    *,
    max_bytes: int = MAX_PAYLOAD_BYTES,
) -> list[bytes]:
    """Split template rows into ``add_circuits`` bodies of at most ``max_bytes`` each (§3.2).

    Every body re-sends its template and ``parameter_names``; rows are packed greedily on the
    exact serialized size. Only the very last body (across all templates) is finalized.

    Args:
        templates: ``(compressed template, parameter_names, rows)`` per template, where each
            row is ``(label, values)`` with ``len(values) == len(parameter_names)``.
        envelope (Mapping): ``shots`` or ``observables`` (one group), repeated in every body.
        max_bytes (int): the per-request cap.

    Returns:
        list[bytes]: serialized bodies in order.

    Raises:
        PayloadError: no rows, a duplicate label, a row of the wrong length or with a
            non-finite value, a template whose fixed overhead reaches the cap, or a row that
            cannot fit a request alone.
    """
    if not templates:
        raise PayloadError("a job needs at least one template")
    fixed = {
        k: v
        for k, v in envelope.items()
        if k not in ("circuit_template", "parameter_names", "parameter_sets")
    }
    seen: set[str] = set()
    bodies: list[bytes] = []
    for t, (compressed, names, rows) in enumerate(templates):
        names = [str(nm) for nm in names]
        if not rows:
            raise PayloadError(f"template {t} has no parameter rows")
        head = {
            "circuit_template": compressed,
            "parameter_names": names,
            "parameter_sets": [],
            "mode": "append",
            "finalized": "false",
            **fixed,
        }
        base = _jlen(head)
        if base >= max_bytes:
            raise PayloadError(
                f"template {t}: its fixed overhead alone is {base} bytes, reaching the "
                f"{max_bytes}-byte cap (§3.2)"
            )
        wire_rows = [_wire_row(t, label, values, len(names), seen) for label, values in rows]
        last_template = t == len(templates) - 1
        chunks: list[list[dict[str, Any]]] = [[]]
        size = base
        for r, row in enumerate(wire_rows):
            limit = max_bytes + (1 if last_template and r == len(wire_rows) - 1 else 0)
            row_len = _jlen(row)
            add = row_len + (2 if chunks[-1] else 0)
            if chunks[-1] and size + add > limit:
                chunks.append([])
                size, add = base, row_len
            if size + add > limit:
                real = size + add - (limit - max_bytes)
                raise PayloadError(
                    f"template {t} row {row['label']!r} needs a {real}-byte request on "
                    f"its own, over the {max_bytes}-byte cap (§3.2)"
                )
            chunks[-1].append(row)
            size += add
        for c, chunk in enumerate(chunks):
            final = last_template and c == len(chunks) - 1
            body = {**head, "parameter_sets": chunk, "finalized": "true" if final else "false"}
            data = json_body(body)
            if len(data) > max_bytes:
                raise PayloadError(f"internal sizing error: planned body is {len(data)} bytes")
            bodies.append(data)
    return bodies


def _wire_row(t: int, label: Any, values: Sequence[float], n_names: int, seen: set[str]) -> dict:
    if not isinstance(label, str):
        raise PayloadError(f"template {t}: row label {label!r} is not a string")
    if label in seen:
        raise PayloadError(f"duplicate circuit label {label!r}: labels route results (§4.7)")
    seen.add(label)
    vals = [float(v) for v in values]  # values are always JSON floats on the wire (§2.8)
    if len(vals) != n_names:
        raise PayloadError(
            f"template {t} row {label!r} has {len(vals)} values for {n_names} parameter names"
        )
    if not all(np.isfinite(vals)):
        raise PayloadError(f"template {t} row {label!r} has a non-finite value: {vals}")
    return {"label": label, "values": vals}


# -- uploads -------------------------------------------------------------------------------------


def upload_bodies(
    http: Transport,
    job_id: str,
    bodies: Sequence[bytes],
    *,
    on_answer: Callable[[Any], None],
    discard: Callable[[str], bool],
    finalize_wait: float | None = None,
    cancel: Callable[[str], Any] | None = None,
) -> Any:
    """POST every planned body to ``job/{id}/add_circuits/``, in order (§2.8).

    Each body carries its own ``Idempotency-Key`` (``Transport.post_idempotent``), so a service
    advertising idempotency gets it re-sent on failure and applies it once (§8 item 10). If an
    upload still fails, the job is discarded (cancelled and deleted, best effort) before the
    error is raised, so no half-uploaded job is left to run.

    Args:
        http (Transport): the client's transport.
        job_id (str): the job ``job/init/`` created.
        bodies (Sequence[bytes]): the serialized bodies of :func:`plan_bound_requests` or
            :func:`plan_template_requests`.
        on_answer (Callable[[Any], None]): called with each parsed answer (the client learns
            ``max_wait`` from it).
        discard (Callable[[str], bool]): cancels and deletes the job; True if it was deleted.
        finalize_wait (float | None): for a service advertising the answering finalize
            (``FINALIZE_WAIT_FIELD``), the last body is sent with ``?wait=<seconds>``.
        cancel (Callable[[str], Any] | None): Ctrl+C while that waiting finalize is out
            cancels the job (it may be running) and keeps it, as Ctrl+C while polling does.

    Returns:
        Any: the parsed answer to the last (finalizing) body.

    Raises:
        AmbiguousSubmissionError: a chunk went unanswered and could not be re-sent safely;
            the message says which states the job may be in.
        QoroHTTPError, QoroConnectionError: the service refused a chunk or could not be
            reached; the job was discarded first.
    """
    k, answer = 0, None
    last = len(bodies) - 1
    try:
        for k, body in enumerate(bodies):
            log.debug("job %s: add_circuits %d/%d", job_id, k + 1, len(bodies))
            endpoint = f"job/{job_id}/add_circuits/"
            if k == last and finalize_wait:
                endpoint += f"?{WAIT_PARAM}={finalize_wait:.3f}"
            answer = http.post_idempotent(endpoint, body, timeout=TIMEOUT_UPLOAD, job_id=job_id)
            on_answer(answer)
    except AmbiguousSubmissionError as exc:
        deleted = discard(job_id)
        raise _ambiguous_upload(exc, job_id, k, len(bodies), deleted) from None
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt) and k == last and finalize_wait and cancel:
            log.warning("interrupted: cancelling Qoro job %s", job_id)
            best_effort(cancel, job_id)
            raise
        discard(job_id)
        raise
    return answer


def discard_job(
    job_id: str, *, cancel: Callable[[str], Any], delete: Callable[[str], Any]
) -> bool:
    """Cancel and delete a half-uploaded job; failures are logged, never raised.

    Returns:
        bool: whether the job was deleted.
    """
    cancelled = best_effort(cancel, job_id)
    deleted = best_effort(delete, job_id)
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


def bare_message(exc: QoroConnectionError) -> str:
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
        f"{bare_message(exc)}. State of job {job_id} after chunk {k + 1}/{n} went unanswered: "
        f"{state}",
        method=exc.method,
        path=exc.path,
        job_id=job_id,
    )
