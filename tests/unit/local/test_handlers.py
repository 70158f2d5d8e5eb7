"""Refusals -> the cloud's statuses and bodies (``local/handlers.py``)."""

from __future__ import annotations

import json

import pytest

from pennylane_qoro.local.handlers import format_validation, store_error_response
from pennylane_qoro.local.store import (
    Conflict,
    Forbidden,
    InsufficientCredits,
    Invalid,
    KeyReused,
    NotFound,
    RateLimited,
    Replayed,
)


@pytest.mark.parametrize("exc, status, body", [
    (NotFound("j"), 404, {"detail": "Not found."}),
    (Forbidden("j"), 403, {"detail": "You do not have permission to modify this job."}),
    (Conflict("Job is not in PENDING status"), 409, {"error": "Job is not in PENDING status"}),
    (KeyReused("used"), 409, {"error": "used"}),
    (InsufficientCredits("insufficient credits"), 402, {"detail": "insufficient credits"}),
    (Invalid("duplicate circuit label 'a'"), 400, {"detail": "duplicate circuit label 'a'"}),
])
def test_each_store_refusal_has_one_status(exc, status: int, body: dict) -> None:
    response = store_error_response(exc)
    assert response.status_code == status and json.loads(response.body) == body


def test_rate_limits_say_when_to_retry() -> None:
    response = store_error_response(RateLimited("too many", 3))
    assert response.status_code == 429 and response.headers["retry-after"] == "3"


def test_a_replay_is_the_recorded_answer() -> None:
    response = store_error_response(Replayed(201, '{"job_id": "x"}'))
    assert response.status_code == 201 and response.body == b'{"job_id": "x"}'
    assert response.media_type == "application/json"


def test_validation_errors_name_the_field() -> None:
    errors = [{"loc": ("body", "shots"), "msg": "Input should be a valid integer"},
              {"loc": ("body",), "msg": "Field required"}]
    assert format_validation(errors) == "shots: Input should be a valid integer; Field required"
