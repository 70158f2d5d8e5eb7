"""Request and response models of the local service: one per endpoint and direction.

The JSON shapes are the cloud's (qoro-api.md §2). Request models forbid unknown keys, use
strict types (``"1000"`` is not a shot count, ``true`` is not ``"true"``) and refuse NaN and
infinities, so a malformed request gets a 400 that names the field.

Integers are bounded (``bounds.py``): a count or range must fit SQLite's 64-bit integers and a
parameter value a float, so ``10**400`` is a 400 naming the field, never a 500.

Imports pydantic, the standard library, ``protocol.vocabulary`` and ``local.bounds`` only.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from ..protocol.vocabulary import JOB_TYPES, LOCAL_STATUSES
from .bounds import Number, SqlInt

# A Literal subscripted with a tuple is the Literal of its items: the values live in protocol/.
JobType = Literal[(*JOB_TYPES, "VALIDATE")]  # type: ignore[valid-type]
# Only the five statuses seed/0.13 clients understand are ever emitted (qoro-api.md §5.1).
JobStatus = Literal[LOCAL_STATUSES]  # type: ignore[valid-type]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------- requests


class InitRequest(_Request):
    """``POST job/init/`` (§2.7)."""

    tag: StrictStr | None = "default"
    job_type: JobType = "EXECUTE"
    use_packing: StrictBool = False
    simulator_cluster: StrictStr | None = None
    qpu_system_name: StrictStr | None = None
    execution_configuration: dict[str, Any] | None = None
    maestro_config: dict[str, Any] | None = None
    device_config: dict[str, Any] | None = None


class CreateFailedRequest(_Request):
    """``POST job/create_failed/`` (§2.16, test-only)."""

    tag: StrictStr | None = "test"
    job_type: JobType = "EXECUTE"


class ParameterSet(_Request):
    """One template row (§2.8 shape b)."""

    label: StrictStr
    values: list[Number]


class AddCircuitsRequest(_Request):
    """``POST job/{id}/add_circuits/`` (§2.8): bound circuits or one template, plus envelope."""

    circuits: dict[StrictStr, StrictStr] | None = None
    circuit_template: StrictStr | None = None
    parameter_names: list[StrictStr] | None = None
    parameter_sets: list[ParameterSet] | None = None
    mode: Literal["append"] = "append"
    # §2.8: the STRING "true"/"false", never a JSON boolean.
    finalized: Literal["true", "false"] = "false"
    shots: SqlInt | None = None
    shot_groups: list[tuple[SqlInt, SqlInt, SqlInt]] | None = None
    observables: StrictStr | None = None
    circuit_ham_map: list[tuple[SqlInt, SqlInt]] | None = None


# ---------------------------------------------------------------------------- responses


class PingResponse(_Response):
    """``GET /api/`` (§2.1); the body is read by nobody but people and the local client."""

    status: Literal["ok"] = "ok"
    service: Literal["qoro-local"] = "qoro-local"
    version: str
    idempotency: bool = False


class Qpu(_Response):
    """A QPU entry: EXACTLY these four keys, or seed/0.13 clients crash (§2.2)."""

    nickname: str
    q_bits: int
    status: str
    system_kind: str


class QpuSystem(_Response):
    """A ``qpusystem/`` entry (§2.2)."""

    name: str
    access_level: str
    supports_expval: bool
    qpus: list[Qpu]


class SimulatorCluster(_Response):
    """A ``simulatorcluster/`` entry (§2.3)."""

    name: str
    access_level: str
    minimum_tier: str
    supports_expval: bool


class VendorSpec(_Response):
    """One vendor of ``vendor-config-blueprint/`` (§2.4)."""

    label: str
    credentials: list[dict[str, Any]]
    device: list[dict[str, Any]]


class CreditsResponse(_Response):
    """``credits/`` (§2.5): amounts are decimal strings."""

    balance: str
    total_used: str
    created_at: str
    updated_at: str


class Transaction(_Response):
    """One ledger row of ``credits/transactions/`` (§2.6)."""

    id: int
    amount: str
    balance_after: str
    transaction_type: str
    description: str
    job_id: str | None
    created_at: str


class TransactionsPage(_Response):
    """``credits/transactions/`` (§2.6): page-number pagination."""

    count: int
    total_pages: int
    next: str | None
    previous: str | None
    results: list[Transaction]


class JobIdResponse(_Response):
    """``job/init/`` and ``job/create_failed/`` (§2.7, §2.16)."""

    job_id: str
    request_encodings: list[str] | None = Field(
        default=None, description="local extension: Content-Encodings accepted on requests"
    )
    max_finalize_wait: float | None = Field(
        default=None, description="local extension: longest `add_circuits/?wait=` honoured, "
        "seconds (protocol.vocabulary.FINALIZE_WAIT_FIELD)"
    )
    single_request_jobs: bool | None = Field(
        default=None, description="local extension: `job/submit/` creates, uploads and "
        "finalizes a job in one request (protocol.vocabulary.SUBMIT_FIELD)"
    )


class AddCircuitsResponse(_Response):
    """``add_circuits/`` (§2.8); clients ignore the body, only the 200 matters."""

    job_id: str
    circuits_added: int
    total_circuits: int
    finalized: bool
    max_wait: float | None = Field(
        default=None, description="local extension: longest `status/?wait=` honoured, seconds"
    )


class Progress(_Response):
    """How far a RUNNING job is (local extension, ``protocol.vocabulary.PROGRESS_FIELD``)."""

    done: int = Field(description="circuits whose results are stored")
    total: int = Field(description="circuits of the job")


class StatusResponse(_Response):
    """``status/`` (§2.9): ``run_time`` is always a number (0.15.1 calls ``float()`` on it)."""

    status: JobStatus
    run_time: float
    error: str | None = Field(default=None, description="why the job FAILED")
    max_wait: float | None = Field(
        default=None, description="local extension: longest `status/?wait=` honoured, seconds"
    )
    progress: Progress | None = Field(
        default=None, description="local extension, on `?wait=` polls of a RUNNING job"
    )


class CancelResponse(_Response):
    """``cancel/`` (§2.11): lower-case ``cancelled``."""

    status: Literal["cancelled"] = "cancelled"
    job_id: str
    circuits_cancelled: int


class ExecutionConfigResponse(_Response):
    """``GET execution_config/`` (§2.13): every version's keys at once."""

    job_id: str
    execution_configuration: dict[str, Any] | None
    maestro_config: dict[str, Any] | None
    device_config: dict[str, Any] | None


class ExecutionConfigSetResponse(_Response):
    """``POST execution_config/`` (§2.13)."""

    status: Literal["ok"] = "ok"
    job_id: str
    execution_configuration: dict[str, Any] | None
    maestro_config: dict[str, Any] | None = None
