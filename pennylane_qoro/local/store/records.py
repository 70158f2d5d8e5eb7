"""Row types of the store and their conversion from SQLite rows and to JSON columns.

Owns :class:`Job` (one ``jobs`` row), :class:`CircuitRow` (a circuit to insert),
:class:`Work` (what the runner needs to run a claimed job), :class:`Remember` (an
``Idempotency-Key`` to honour) and the timestamps the store writes. Runs no SQL.

Imports only the standard library.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "JOB_COLUMNS",
    "CircuitRow",
    "Job",
    "PendingCircuit",
    "Remember",
    "Work",
    "ago",
    "dumps",
    "job_from_row",
    "loads",
    "now",
]

# (idx, label, qasm, template, params, shots, n_qubits, n_clbits) of a circuit not yet run
PendingCircuit = tuple[int, str, str | None, int | None, tuple[float, ...] | None, int | None,
                       int, int]


@dataclass(frozen=True)
class Job:
    """One job row (without its circuits)."""

    id: str
    owner: str
    job_type: str
    tag: str | None
    target: str | None
    status: str
    finalized: bool
    n_circuits: int
    max_qubits: int
    execution_configuration: dict[str, Any] | None
    maestro_config: dict[str, Any] | None
    device_config: dict[str, Any] | None
    options: dict[str, Any]
    observables: list[list[str]] | None
    circuit_ham_map: list[list[int]] | None
    cost: int
    error: str | None
    run_time: float
    attempts: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class CircuitRow:
    """One circuit to store: bound text, or a template index plus its parameter values."""

    label: str
    n_qubits: int
    n_clbits: int
    cost: int
    qasm: str | None = None
    template: int | None = None
    params: tuple[float, ...] | None = None
    shots: int | None = None


@dataclass(frozen=True)
class Work:
    """What the runner needs to run (or resume) a claimed job."""

    job: Job
    templates: dict[int, tuple[str, tuple[str, ...]]]
    pending: list[PendingCircuit]
    done: int


@dataclass(frozen=True)
class Remember:
    """An ``Idempotency-Key`` to honour for one request.

    Attributes:
        owner (str): the caller's owner key (keys are per owner).
        key (str): the header's value.
        fingerprint (str): digest of method, path and body; a different request under the
            same key is refused.
        respond (Callable[[Job], tuple[int, str]]): builds the (status, JSON body) answered to
            this request from the job as the transaction leaves it; recorded for replays.
    """

    owner: str
    key: str
    fingerprint: str
    respond: Callable[[Job], tuple[int, str]]


JOB_COLUMNS = (
    "id, owner, job_type, tag, target, status, finalized, n_circuits, max_qubits, "
    "execution_configuration, maestro_config, device_config, options, observables, "
    "circuit_ham_map, cost, error, run_time, attempts, created_at, updated_at"
)
"""The ``jobs`` columns in :class:`Job`'s field order, for ``SELECT``."""


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now() -> str:
    """The current UTC time as the store writes it (sortable ISO 8601 text)."""
    return _timestamp(datetime.now(timezone.utc))


def ago(seconds: float) -> str:
    """The UTC time ``seconds`` ago, written as :func:`now` writes times."""
    return _timestamp(datetime.now(timezone.utc) - timedelta(seconds=seconds))


def loads(text: str | None) -> Any:
    """A nullable JSON column's value."""
    return None if text is None else json.loads(text)


def dumps(value: Any) -> str | None:
    """A value for a nullable JSON column (compact separators)."""
    return None if value is None else json.dumps(value, separators=(",", ":"))


def job_from_row(row: sqlite3.Row | tuple) -> Job:
    """A :class:`Job` from a row selected with :data:`JOB_COLUMNS`."""
    (id_, owner, job_type, tag, target, status, finalized, n_circuits, max_qubits, ec, mc, dc,
     options, observables, ham_map, cost, error, run_time, attempts, created, updated) = row
    return Job(
        id=id_, owner=owner, job_type=job_type, tag=tag, target=target, status=status,
        finalized=bool(finalized), n_circuits=n_circuits, max_qubits=max_qubits,
        execution_configuration=loads(ec), maestro_config=loads(mc), device_config=loads(dc),
        options=json.loads(options), observables=loads(observables),
        circuit_ham_map=loads(ham_map), cost=cost, error=error, run_time=run_time,
        attempts=attempts, created_at=created, updated_at=updated,
    )
