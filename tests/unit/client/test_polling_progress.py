"""Tests for the progress display of pennylane_qoro.client.polling (``progress=True``):
the line's text, and a real wait on the local service with a job held RUNNING.

The job is held by the local service's timing option (``Timing(running=...)``) after its
first 64 results are stored, so the service's ``progress`` extension (on long polls) reports
64 of 100 rows for the whole hold, and the display's clock has seconds to tick.
"""

from __future__ import annotations

import re

import pytest
from client_specs import bound_spec

import pennylane_qoro.client.polling as polling
from pennylane_qoro.client import QoroClient
from pennylane_qoro.client.polling import progress_line
from pennylane_qoro.local import serve
from pennylane_qoro.local.timing import Timing

HOLD = 3.5  # seconds the service keeps the job RUNNING once its circuits have run


class TestProgressLine:
    def test_status_rows_and_clock(self):
        """Test the text: short id, status, rows done, m:ss; no stray comma."""
        line = progress_line("b6fd7639-aaaa", "RUNNING", 65.9, {"done": 3, "total": 8})
        assert line == "Qoro job b6fd7639: RUNNING, 3/8 rows, 1:05"

    @pytest.mark.parametrize("progress", [None, {}, {"done": "x", "total": 2}, [1, 2]])
    def test_without_usable_progress_the_rows_are_left_out(self, progress):
        """Test an absent or malformed progress field (the cloud sends none)."""
        line = progress_line("b6fd7639", "PENDING", 0.4, progress)
        assert line == "Qoro job b6fd7639: PENDING, 0:00"
        assert ": ," not in line

    def test_hours(self):
        """Test a wait over an hour shows h:mm:ss."""
        assert progress_line("j", "RUNNING", 3600 * 2 + 61).endswith("RUNNING, 2:01:01")


@pytest.fixture(scope="module")
def held(tmp_path_factory):
    """A local service that holds every job RUNNING for HOLD seconds."""
    db = tmp_path_factory.mktemp("held") / "jobs.sqlite"
    with serve(db=db, timing=Timing(running=HOLD)) as svc:
        yield svc


def test_display_of_a_job_held_running(held, capsys, monkeypatch):
    """Test the display over a real wait: job id, RUNNING with the rows the service
    reports, a clock that ticks between polls, and the final status left on screen."""
    monkeypatch.setattr(polling, "PROGRESS_AFTER", 0.0)
    with QoroClient(held.url, api_key=held.token, progress=True, poll_interval=0.5) as client:
        result = client.run(bound_spec(100))
    assert len(result.results) == 100
    err = capsys.readouterr().err
    short = result.job_id.split("-")[0]
    lines = [frame.strip() for frame in re.split(r"[\r\n]+", err) if frame.strip()]
    assert lines and all(line.startswith(f"Qoro job {short}: ") for line in lines)
    assert f"Qoro job {short}: RUNNING, 64/100 rows, 0:0" in err
    assert ": ," not in err
    clocks = {m.group(1) for m in re.finditer(r"RUNNING, (?:\d+/\d+ rows, )?(\d+:\d\d)", err)}
    assert len(clocks) >= 2, clocks  # the clock ticks while a long poll is out
    assert re.search(rf"Qoro job {short}: COMPLETED, \d+:\d\d\n$", err)  # stays on screen
    assert held.token not in err
