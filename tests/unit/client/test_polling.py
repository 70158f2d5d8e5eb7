"""Tests for pennylane_qoro.client.polling through QoroClient.wait / run: statuses, deadlines,
Ctrl+C, run_time and the progress display, against the real local service (see conftest.py).

The service runs each job for real; the states a job passes through are scripted
(``qoro.statuses``, a :func:`~pennylane_qoro.local.faults.status_script`) where the local
service would never give them (SCHEDULED, PAUSED, an unknown state, terminal failures, a job
RUNNING for ever). Tests that need the job itself still active on the service use
``slow_spec`` and cancel it when done.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import pytest
from client_specs import bound_spec, slow_spec

from pennylane_qoro.client import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    DeadlineExceededError,
    InsufficientCreditsError,
    JobCancelledError,
    JobFailedError,
    JobTimedOutError,
    QoroClient,
)
from pennylane_qoro.local import FaultPlan

pytestmark = pytest.mark.usefixtures("no_key_in_logs")


class TestWait:
    def test_every_active_status_is_accepted(self, client, qoro):
        qoro.statuses("PENDING", "SCHEDULED", "RUNNING", "PAUSED", "RUNNING", "COMPLETED",
                      run_time=1.25)
        job_id = client.submit(bound_spec(1))
        final = client.wait(job_id)
        assert final["status"] == "COMPLETED" and final["run_time"] == 1.25
        assert qoro.count("GET", "status") == 6 and client.stats.polls == 6
        assert all(not h.query for h in qoro.hits if h.route == "status")  # no long polls
        assert {
            "PENDING",
            "SCHEDULED",
            "RUNNING",
            "PAUSED",
            "COMPLETED",
            "FAILED",
            "CANCELLED",
            "INSUFFICIENT_CREDITS",
            "TIMED_OUT",
        } == ACTIVE_STATUSES | TERMINAL_STATUSES

    def test_unknown_status_warns_once_and_keeps_polling(self, client, qoro, caplog):
        qoro.statuses("MAINTENANCE", "MAINTENANCE", "MAINTENANCE", "COMPLETED")
        job_id = client.submit(bound_spec(1))
        assert client.wait(job_id)["status"] == "COMPLETED"
        warnings = [r for r in caplog.records if "unknown status" in r.getMessage()]
        assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
        assert job_id in warnings[0].getMessage()

    @pytest.mark.parametrize(
        "status, extra, cls, message",
        [
            (
                "FAILED",
                {"error": "qasm parse error line 3"},
                JobFailedError,
                "qasm parse error line 3",
            ),
            ("CANCELLED", {}, JobCancelledError, ""),
            (
                "INSUFFICIENT_CREDITS",
                {"detail": "balance 0.00"},
                InsufficientCreditsError,
                "balance 0.00",
            ),
            ("TIMED_OUT", {"message": "deadline 3600 s"}, JobTimedOutError, "deadline 3600 s"),
        ],
    )
    def test_terminal_failures(self, client, qoro, status, extra, cls, message):
        qoro.statuses("RUNNING", status, run_time=0, **extra)
        job_id = client.submit(bound_spec(1))
        with pytest.raises(cls) as info:
            client.wait(job_id)
        err = info.value
        assert err.job_id == job_id and err.status == status
        assert err.server_message == message and job_id in str(err)
        assert qoro.token not in str(err)

    def test_deadline(self, client, qoro):
        qoro.statuses("RUNNING")
        job_id = client.submit(bound_spec(1))
        with pytest.raises(DeadlineExceededError) as info:
            client.wait(job_id, timeout=0.15)
        assert info.value.job_id == job_id and info.value.status == "RUNNING"
        assert "deadline of 0.15 s" in str(info.value)
        assert qoro.count("POST", "cancel") == 0  # wait() alone leaves the job alone

    def test_run_cancels_on_deadline(self, client, qoro):
        qoro.statuses("RUNNING")
        with pytest.raises(DeadlineExceededError) as info:
            client.run(slow_spec(), timeout=0.1)
        assert qoro.count("POST", "cancel") == 1
        assert qoro.job(info.value.job_id).status == "CANCELLED"

    def test_zero_timeout_checks_once(self, client, qoro):
        qoro.statuses("COMPLETED")
        job_id = client.submit(bound_spec(1))
        assert client.wait(job_id, timeout=0)["status"] == "COMPLETED"

    @pytest.mark.parametrize(
        "extra, expected",
        [
            ({"run_time": "2.5"}, 2.5),
            ({"run_time": None}, 0.0),
            ({}, 0.0),
            ({"run_time": "n/a"}, 0.0),
            ({"run_time": 7}, 7.0),
            ({"run_time": True}, 0.0),
        ],
    )
    def test_run_time_is_read_leniently(self, client, qoro, extra, expected):
        # The real status answers, with run_time replaced (or, for {}, left out).
        edit = FaultPlan(action="edit", update=extra, remove=() if extra else ("run_time",),
                         times=None)
        qoro.inject("GET", "status", edit)
        qoro.inject("POST", "add", edit)  # the answering finalize carries run_time too
        assert client.run(bound_spec(1)).run_time == expected

    @pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
    @pytest.mark.parametrize("cancel_fails", [False, True])
    def test_ctrl_c_cancels_the_job_once(self, client, qoro, cancel_fails):
        qoro.statuses("RUNNING")
        if cancel_fails:
            qoro.inject("POST", "cancel", FaultPlan(status=500, body={"error": "nope"}))
        job_id = client.submit(slow_spec())
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                client.wait(job_id)
        finally:
            timer.cancel()
        assert qoro.count("POST", "cancel") == 1
        assert (qoro.job(job_id).status == "CANCELLED") is not cancel_fails
        if cancel_fails:
            client.cancel(job_id)  # the injected failure is used up: stop the slow job

    def test_progress_display(self, qoro, capsys):
        client = QoroClient(qoro.url, api_key=qoro.token, progress=True, poll_interval=0.1)
        qoro.statuses(*["RUNNING"] * 30, "COMPLETED")
        job_id = client.submit(bound_spec(1))
        client.wait(job_id)
        err = capsys.readouterr().err
        assert f"Qoro job {job_id.split('-')[0]}" in err and "RUNNING" in err
        assert qoro.token not in err
        client.close()

    def test_progress_silent_without_tqdm(self, qoro, capsys, monkeypatch):
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import tqdm.auto -> ImportError
        client = QoroClient(qoro.url, api_key=qoro.token, progress=True, poll_interval=0.1)
        qoro.statuses(*["RUNNING"] * 30, "COMPLETED")
        client.wait(client.submit(bound_spec(1)))
        assert "Qoro job" not in capsys.readouterr().err
        client.close()

    def test_no_progress_for_short_jobs(self, qoro, capsys):
        client = QoroClient(qoro.url, api_key=qoro.token, progress=True)
        client.run(bound_spec(1))
        assert "Qoro job" not in capsys.readouterr().err
        client.close()
