"""Errors of the characterization helper, grafted onto the client's tree (``client/errors.py``).

::

    ValueError
    └── ProblemError                  bad input, found before any request (names the problem)
        ├── ProblemTooLargeError      beyond the helper's size limits
        ├── ReferenceStateError       a reference state is not a 0/1 string of the right width
        └── OptionsError              an option outside characterization.md §1.7
    QoroError
    └── CharacterizationSubmitError   the job exists but a later phase failed ambiguously
    JobError
    └── CharacterizationFailedError   FAILED, unfinished, or COMPLETED without an analysis

:class:`CharacterizationSubmitError` follows qoro-api.md §1.7: after ``job/init/`` answered, a
connection failure, timeout or 5xx in submission, status polling or result retrieval is wrapped
with the job id and the phase, so the user fetches the result (free) instead of paying twice.

Imports the standard library and ``client.errors`` only.
"""

from __future__ import annotations

from ..client.errors import JobError, QoroError

PHASES = ("submission", "status polling", "result retrieval")


class ProblemError(ValueError):
    """The problem, its reference states or its options are invalid; nothing was sent."""


class ProblemTooLargeError(ProblemError):
    """The problem is beyond the helper's limits (variables or request size)."""


class ReferenceStateError(ProblemError):
    """A reference state is malformed (characters other than 0/1, or the wrong width)."""


class OptionsError(ProblemError):
    """An option is unknown or outside its allowed values (characterization.md §1.7)."""


class CharacterizationSubmitError(QoroError):
    """A characterization job was created, but a later phase did not return safely.

    Attributes:
        job_id (str): the existing job: fetch it with ``characterize(job_id=...)``.
        phase (str): ``"submission"``, ``"status polling"`` or ``"result retrieval"``.

    The underlying client error is chained as ``__cause__``.
    """

    def __init__(self, job_id: str, phase: str, cause: BaseException):
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        self.job_id = job_id
        self.phase = phase
        super().__init__(
            f"characterization job {job_id} was created, but {phase} did not return safely "
            f"({type(cause).__name__}: {cause}). Fetch it with characterize(job_id="
            f"{job_id!r}) instead of submitting the problem again."
        )


class CharacterizationFailedError(JobError):
    """The job FAILED, is not finished, or completed without any analysis."""
